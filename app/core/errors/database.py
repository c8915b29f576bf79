"""Database refusals that are the client's fault, mapped to the problem they stand for."""

from __future__ import annotations

from sqlalchemy.exc import DataError

from app.core.errors.classes import AppError, NotFound, Unprocessable

# SQLSTATEs of a value the database cannot hold
_NUMERIC_OUT_OF_RANGE = "22003"
_STRING_TOO_LONG = "22001"


def database_value_error(exc: BaseException) -> AppError | None:
    """The client error behind the database refusing a value, or None when it is a real fault.

    The safety net under the `Id` type (app.core.validation) and the schemas' max_length, for every
    route that does not use them: an id too large for its column (sqlite3 raises OverflowError,
    PostgreSQL "integer out of range") can name nothing, so it is a 404 like any missing id; a text
    too long for its column (PostgreSQL only) is a 422."""
    if isinstance(exc, OverflowError):
        return NotFound(code="not_found") if "SQLite INTEGER" in str(exc) else None
    if isinstance(exc, DataError):
        state = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
        if state == _NUMERIC_OUT_OF_RANGE:
            return NotFound(code="not_found")
        if state == _STRING_TOO_LONG:
            return Unprocessable("填写的内容太长了", code="value_too_long")
    return None
