"""A file the browser downloads or shows: one Content-Disposition (the Chinese name by RFC 5987 with an
ASCII fallback a very old browser uses) and the response that carries it."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import quote

from fastapi import Response


def disposition(filename: str, *, fallback: str = "export", inline: bool = False) -> str:
    """`attachment` (or `inline`: shown in the browser, e.g. a PDF to print) with the file's own name."""
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}"


def file_response(
    data: bytes,
    filename: str,
    media_type: str,
    *,
    fallback: str = "export",
    inline: bool = False,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """The bytes with their name, never cached (a file made for this request, often private)."""
    return Response(
        data,
        media_type=media_type,
        headers={
            "Content-Disposition": disposition(filename, fallback=fallback, inline=inline),
            "Cache-Control": "no-store",
            **(headers or {}),
        },
    )
