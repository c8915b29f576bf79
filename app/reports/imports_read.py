"""Reading an uploaded roster safely: xlsx or CSV in, a `Sheet` of text cells out, or a clear Chinese
refusal before anything is parsed that could hurt.

What a hostile or broken file gets, before openpyxl reads a byte of it:
- over 20 MB → 413; over 50,000 data rows → 413 (counted while reading, never loaded whole);
- a zip whose members would unpack to more than 200 MB, or any member compressed more than 200:1
  (a zip bomb) → 413, from the sizes the zip's directory declares (and openpyxl is then limited to
  reading those sizes);
- a macro-enabled workbook (vbaProject.bin, or a macroEnabled content type, whatever the file name
  says) → 415; an OLE compound file (an encrypted workbook, or an old .xls) → 415;
- anything else that is neither a readable xlsx nor text → 415.

Cells come out as stripped text (numbers as their digits, dates as `date`); formula cells and merged
cells are kept as notes by cell so the check reports them by row and column. CSV is decoded as UTF-8
(with or without BOM) or else GB18030, as Excel in China writes it; a CSV cell that starts with
= + - @ is kept as the text it is (it is never evaluated here; exports escape it again).
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from openpyxl.utils import get_column_letter

from app.core.errors import PayloadTooLarge, UnsupportedMediaType

MAX_BYTES = 20 * 1024 * 1024
MAX_ROWS = 50_000
MAX_COLUMNS = 30
MAX_UNCOMPRESSED = 200 * 1024 * 1024
MAX_RATIO = 200
MAX_ZIP_MEMBERS = 2_000

_OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTION_INFO = "EncryptionInfo".encode("utf-16-le")
_MERGE = re.compile(rb'<(?:\w+:)?mergeCell\s+ref="([A-Z]+\d+(?::[A-Z]+\d+)?)"')


@dataclass
class Cell:
    value: str | date | None
    formula: bool = False
    merged: bool = False


@dataclass
class Sheet:
    """The first worksheet (or the CSV): its header texts and data rows, each row with its number in
    the file (the header is row 1)."""

    headers: list[str]
    rows: list[tuple[int, list[Cell]]]
    file_format: str  # "xlsx" | "csv"
    encoding: str | None = None  # the CSV's detected encoding
    notes: list[str] = field(default_factory=list)


def cell_ref(row: int, column_index: int) -> str:
    """ "C5": the cell a person finds in Excel (column_index from 0)."""
    return f"{get_column_letter(column_index + 1)}{row}"


def read(data: bytes, *, file_name: str = "") -> Sheet:
    """Read an uploaded xlsx or CSV (told apart by content, not by name), refusing hostile files."""
    if len(data) > MAX_BYTES:
        raise PayloadTooLarge("文件超过 20 MB，请拆分成几个文件再导入", code="import_too_large")
    if data.startswith(_OLE_SIGNATURE):
        if _ENCRYPTION_INFO in data:
            raise UnsupportedMediaType(
                "这个工作簿设置了打开密码（已加密），无法读取。请在 Excel 里取消密码、另存为 .xlsx 后再导入",
                code="import_encrypted",
            )
        raise UnsupportedMediaType(
            "这是旧版 Excel（.xls）或其他 Office 文件，请在 Excel 里另存为 .xlsx 后再导入", code="import_xls"
        )
    if data.startswith(b"PK\x03\x04") or data.startswith(b"PK\x05\x06"):
        return _read_xlsx(data)
    if file_name.lower().endswith((".xlsx", ".xlsm", ".xls")):
        raise UnsupportedMediaType("文件已损坏或不是 Excel 工作簿，请重新保存后再导入", code="import_unreadable")
    return _read_csv(data)


# ---------------------------------------------------------------- xlsx


def _check_zip(archive: zipfile.ZipFile) -> None:
    members = archive.infolist()
    if len(members) > MAX_ZIP_MEMBERS:
        raise PayloadTooLarge("文件结构异常（压缩包内文件过多），已拒绝", code="import_zip_bomb")
    total = 0
    for info in members:
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if total > MAX_UNCOMPRESSED or (info.file_size > 1024 * 1024 and ratio > MAX_RATIO):
            raise PayloadTooLarge(
                "文件解压后异常巨大（疑似“压缩炸弹”），已拒绝。请用 Excel 重新保存后再导入", code="import_zip_bomb"
            )
        name = info.filename.lower()
        if name.endswith("vbaproject.bin") or (name.endswith(".bin") and "vba" in name):
            raise _macro()
    if "[Content_Types].xml" in archive.namelist():
        types = _read_member(archive, "[Content_Types].xml")
        if b"macroEnabled" in types or b"vbaProject" in types:
            raise _macro()


def _macro() -> UnsupportedMediaType:
    return UnsupportedMediaType(
        "这是启用宏的工作簿（含 VBA 宏），为安全起见不予读取。请另存为普通的 .xlsx 后再导入", code="import_macro"
    )


def _read_member(archive: zipfile.ZipFile, name: str) -> bytes:
    """A member's bytes, never more than its declared size (a lying directory cannot unpack more)."""
    info = archive.getinfo(name)
    with archive.open(info) as handle:
        return handle.read(info.file_size + 1)[: info.file_size]


def _first_sheet_merges(archive: zipfile.ZipFile) -> set[tuple[int, int]]:
    """(row, column index) of every cell inside a merged range of the first worksheet."""
    names = sorted(n for n in archive.namelist() if re.fullmatch(r"xl/worksheets/sheet\d+\.xml", n))
    if not names:
        return set()
    first = "xl/worksheets/sheet1.xml" if "xl/worksheets/sheet1.xml" in names else names[0]
    from openpyxl.utils.cell import range_boundaries

    cells: set[tuple[int, int]] = set()
    for match in _MERGE.finditer(_read_member(archive, first)):
        min_col, min_row, max_col, max_row = range_boundaries(match.group(1).decode())
        for row in range(min_row or 1, min(max_row or 1, MAX_ROWS + 2) + 1):
            for col_ in range(min_col or 1, min(max_col or 1, MAX_COLUMNS) + 1):
                cells.add((row, col_ - 1))
    return cells


def _read_xlsx(data: bytes) -> Sheet:
    from openpyxl import load_workbook

    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        _check_zip(archive)
        merged = _first_sheet_merges(archive)
    except zipfile.BadZipFile as exc:
        raise UnsupportedMediaType(
            "文件已损坏或不是 Excel 工作簿，请重新保存后再导入", code="import_unreadable"
        ) from exc
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False, keep_links=False)
    except Exception as exc:  # openpyxl raises many kinds for a file it cannot make sense of
        raise UnsupportedMediaType(
            "无法读取这个工作簿，请用 Excel 打开后另存为 .xlsx 再导入", code="import_unreadable"
        ) from exc
    try:
        sheet = workbook.worksheets[0]
        headers: list[str] = []
        rows: list[tuple[int, list[Cell]]] = []
        for number, values in enumerate(sheet.iter_rows(max_col=MAX_COLUMNS), start=1):
            cells = [_xlsx_cell(c, (number, i) in merged) for i, c in enumerate(values)]
            if number == 1:
                headers = [str(c.value or "").strip() if not isinstance(c.value, date) else "" for c in cells]
                continue
            if all(c.value in (None, "") and not c.merged for c in cells):
                continue
            if len(rows) >= MAX_ROWS:
                raise PayloadTooLarge("文件超过 5 万行，请拆分成几个文件再导入", code="import_too_many_rows")
            rows.append((number, cells))
    finally:
        workbook.close()
    return Sheet(headers=_trim(headers), rows=rows, file_format="xlsx")


def _xlsx_cell(cell: Any, merged: bool) -> Cell:
    value = getattr(cell, "value", None)
    if getattr(cell, "data_type", None) == "f":
        return Cell(value=str(value), formula=True, merged=merged)
    return Cell(value=_text(value), merged=merged)


def _text(value: Any) -> str | date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _trim(headers: list[str]) -> list[str]:
    while headers and not headers[-1]:
        headers.pop()
    return headers


# ---------------------------------------------------------------- CSV


def decode_text(data: bytes) -> tuple[str, str]:
    """(text, encoding): UTF-8 with BOM, UTF-8, else GB18030 (a superset of GBK and GB2312)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict"), "UTF-8（带 BOM）"
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "GB18030"
    except UnicodeDecodeError as exc:
        raise UnsupportedMediaType(
            "无法识别文件的编码。请用 Excel 另存为“CSV UTF-8（逗号分隔）”或 .xlsx 后再导入", code="import_encoding"
        ) from exc


def _read_csv(data: bytes) -> Sheet:
    if b"\x00" in data[:4096]:
        raise UnsupportedMediaType("这不是 CSV 或 Excel 文件，请上传 .xlsx 或 .csv", code="import_unreadable")
    try:
        text, encoding = decode_text(data)
    except UnicodeDecodeError as exc:
        raise UnsupportedMediaType("无法识别文件的编码", code="import_encoding") from exc
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if first_line.count("\t") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    headers: list[str] = []
    rows: list[tuple[int, list[Cell]]] = []
    try:
        for number, values in enumerate(reader, start=1):
            cells = [Cell(value=v.strip() or None) for v in values[:MAX_COLUMNS]]
            if number == 1:
                headers = [str(c.value or "") for c in cells]
                continue
            if all(c.value is None for c in cells):
                continue
            if len(rows) >= MAX_ROWS:
                raise PayloadTooLarge("文件超过 5 万行，请拆分成几个文件再导入", code="import_too_many_rows")
            rows.append((number, cells))
    except csv.Error as exc:
        raise UnsupportedMediaType(f"CSV 文件格式有误：{exc}", code="import_unreadable") from exc
    if headers:
        headers[0] = headers[0].lstrip("\ufeff")
    return Sheet(headers=_trim(headers), rows=rows, file_format="csv", encoding=encoding)
