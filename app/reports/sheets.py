"""Writing exports as spreadsheets: xlsx (openpyxl write-only, rows streamed in, the file spooled and
sent in chunks) and CSV (UTF-8 with a BOM, as Excel in China opens it, streamed row by row) — both
from one iterator of rows, so memory stays flat however many rows there are.

Every text cell passes `cell_text`: a value starting with = + - @ (or a tab or carriage return) would
be run as a formula by Excel (formula injection, CWE-1236), so it is written with a leading
apostrophe and stays the text it is. The import reads such cells as text; the export escapes them again.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from typing import IO, Any, Literal

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from app.core import downloads
from app.core.time import local_display

Format = Literal["xlsx", "csv"]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CHUNK = 64 * 1024
MEDIA_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}


def cell_text(value: Any) -> Any:
    """A value as a cell: text that a spreadsheet would read as a formula gets a leading apostrophe;
    times in China time as the app shows them; numbers and dates as they are."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return local_display(value)
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int | float | date):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def xlsx(title: str, header: Sequence[str], rows: Iterable[Sequence[Any]], widths: Sequence[int] = ()) -> IO[bytes]:
    """The workbook in a spooled temporary file (memory up to 8 MB, then disk), at its start."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title[:31])
    ws.freeze_panes = "A2"
    for i, width in enumerate(widths):
        ws.column_dimensions[chr(ord("A") + i)].width = width
    bold = Font(bold=True)
    head = []
    for name in header:
        c = WriteOnlyCell(ws, value=name)
        c.font = bold
        head.append(c)
    ws.append(head)
    for row in rows:
        ws.append([cell_text(v) for v in row])
    out: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115 (streamed, then closed)
    wb.save(out)
    out.seek(0)
    return out


def file_chunks(handle: IO[bytes]) -> Iterator[bytes]:
    try:
        while block := handle.read(CHUNK):
            yield block
    finally:
        handle.close()


def csv_file(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> IO[bytes]:
    """CSV in UTF-8 with a BOM (Excel's way of knowing it is UTF-8), spooled as the workbook is."""
    out: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115 (streamed, then closed)
    text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="")
    writer = csv.writer(text)
    writer.writerow(header)
    for row in rows:
        writer.writerow([cell_text(v) for v in row])
    text.flush()
    text.detach()
    out.seek(0)
    return out


def write(
    fmt: Format, title: str, header: Sequence[str], rows: Iterable[Sequence[Any]], widths: Sequence[int] = ()
) -> IO[bytes]:
    """The export written out (inside the request, while its session is open), at its start; a route
    streams it with `file_chunks`."""
    if fmt == "csv":
        return csv_file(header, rows)
    return xlsx(title, header, rows, widths)


def disposition(filename: str) -> str:
    """Content-Disposition of an export (app.core.downloads)."""
    return downloads.disposition(filename)
