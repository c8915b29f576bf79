"""QR codes read off a printed sheet (one-time slips, posters) as a phone camera would: the PDF rastered
by pdftoppm, every page decoded by zbar."""

from __future__ import annotations

import subprocess
from pathlib import Path


def decode_pdf(pdf: bytes, folder: Path, dpi: int = 200) -> list[str]:
    """Every QR code on every page, in page order. The sheet and its pages are kept in `folder`
    (sheet.pdf, page-N.png; an earlier, longer sheet's pages removed first). 200 dpi: a longer
    address makes a QR code of more modules, which zbar misses now and then off a 150 dpi raster."""
    from PIL import Image
    from pyzbar.pyzbar import decode

    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("page*.png"):
        stale.unlink()
    source = folder / "sheet.pdf"
    source.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", str(source), str(folder / "page")], check=True)
    found: list[str] = []
    for page in sorted(folder.glob("page*.png")):
        found += [s.data.decode() for s in decode(Image.open(page))]
    return found
