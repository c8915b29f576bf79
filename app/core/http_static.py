"""Static files served as they were compressed at build time: for `x.js`, the `x.js.br` or `x.js.gz`
written beside it (vite-plugin-compression2, frontend/vite.config.js) goes out as stored bytes with
its Content-Encoding, by the same choice of encoding as everything else (`http.negotiate`).

A file without a pre-compressed sibling is compressed by `CompressionMiddleware` as any answer is;
either way a text file says `Vary: Accept-Encoding`. The ETag is the sent file's (its own size and
time), so each encoding revalidates on its own.
"""

from __future__ import annotations

import os
import stat
from mimetypes import guess_type

from starlette.datastructures import Headers
from starlette.responses import FileResponse, Response
from starlette.staticfiles import NotModifiedResponse, StaticFiles
from starlette.types import Scope

from app.core.http import FILE_SUFFIX, accepted


class PrecompressedStaticFiles(StaticFiles):
    def file_response(
        self,
        full_path: str | os.PathLike[str],
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        media_type = guess_type(str(full_path))[0] or "text/plain"
        encoding = accepted(scope) if status_code == 200 else None
        if encoding is not None:
            variant = f"{os.fspath(full_path)}{FILE_SUFFIX[encoding]}"
            try:
                variant_stat = os.stat(variant)
            except OSError:
                variant_stat = None
            if variant_stat is not None and stat.S_ISREG(variant_stat.st_mode):
                response: Response = FileResponse(variant, stat_result=variant_stat, media_type=media_type)
                response.headers["content-encoding"] = encoding
                response.headers["vary"] = "Accept-Encoding"
                if self.is_not_modified(response.headers, Headers(scope=scope)):
                    response = NotModifiedResponse(response.headers)
                    response.headers["vary"] = "Accept-Encoding"
                return response
        return super().file_response(full_path, stat_result, scope, status_code)
