"""The OpenAPI document as the server really answers: the problem+json errors of each kind of route
declared from one shared `responses` table per kind, and If-Match `required` where its absence is a
428, so a generated client (or schemathesis) and the server agree.

The kind of an operation is read from the route itself, not declared by hand on each of them (a new
route cannot forget it): anonymous (no security), a read (GET), a write, a state change (it takes
If-Match). If-Match is required when the route's dependency answers 428 without it — asked of the
dependency itself, with the header absent — and stays optional where a missing one is allowed
(e.g. a rating policy not written yet).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import iter_route_contexts

from app.core.errors import PROBLEM_JSON, PreconditionRequired, for_status

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["type", "title", "status", "detail", "code"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string", "description": "问题类型（中文）"},
        "status": {"type": "integer"},
        "detail": {"type": "string", "description": "给人看的说明（中文）"},
        "code": {"type": "string", "description": "给程序用的稳定代码"},
        "errors": {"type": "array", "items": {"type": "object"}},
    },
}
_PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}


def _problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    out: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        kind = for_status(status)
        description = kind.title if kind is not None and status != 400 else "请求有误"
        if status == 413:
            description = "提交的内容太大"
        out[status] = {"description": description, "content": {PROBLEM_JSON: {"schema": _PROBLEM_REF}}}
    return out


# the shared tables, one per kind of route
ANONYMOUS_RESPONSES = _problems(400, 401, 413, 422, 429)
READ_RESPONSES = _problems(400, 401, 403, 404, 422, 429)
WRITE_RESPONSES = _problems(400, 401, 403, 404, 409, 413, 415, 422, 429)
STATE_CHANGE_RESPONSES = _problems(400, 401, 403, 404, 409, 412, 413, 415, 422, 428, 429)

IF_MATCH = "If-Match"


def _dependencies(dependant: Dependant) -> Iterator[Dependant]:
    yield dependant
    for sub in dependant.dependencies:
        yield from _dependencies(sub)


def _if_match(dependant: Dependant) -> tuple[bool, bool]:
    """(takes If-Match, its absence is a 428)."""
    takes = required = False
    for dep in _dependencies(dependant):
        for param in dep.header_params:
            if param.alias.lower() != IF_MATCH.lower():
                continue
            takes = True
            call: Callable[..., Any] | None = dep.call
            if call is None or dep is dependant:
                continue
            try:
                call(**{param.name: None})
            except PreconditionRequired:
                required = True
            except Exception:  # noqa: S112  (another refusal: not the missing-header one)
                continue
    return takes, required


def _kinds(app: FastAPI) -> dict[tuple[str, str], tuple[dict[int | str, dict[str, Any]], bool]]:
    """(path, method) → (the responses table of its kind, If-Match required)."""
    out: dict[tuple[str, str], tuple[dict[int | str, dict[str, Any]], bool]] = {}
    for route in iter_route_contexts(app.router.routes):
        dependant = getattr(route, "dependant", None)
        path, methods = route.path, route.methods
        if dependant is None or not path or not methods:
            continue
        takes, required = _if_match(dependant)
        for method in methods:
            out[(path, method.lower())] = ({}, required) if not takes else (STATE_CHANGE_RESPONSES, required)
    return out


def _table_of(operation: dict[str, Any], method: str, state_change: bool) -> dict[int | str, dict[str, Any]]:
    if state_change:
        return STATE_CHANGE_RESPONSES
    if not operation.get("security"):
        return ANONYMOUS_RESPONSES
    return READ_RESPONSES if method in ("get", "head") else WRITE_RESPONSES


def complete(app: FastAPI, document: dict[str, Any]) -> dict[str, Any]:
    """Declare each operation's problem responses and If-Match requirement in `document`."""
    document.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    kinds = _kinds(app)
    for path, item in document.get("paths", {}).items():
        for method, operation in item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            table, required = kinds.get((path, method), ({}, False))
            responses = operation["responses"]
            for status, response in _table_of(operation, method, bool(table)).items():
                key = str(status)
                if key == "422" or key not in responses:
                    responses[key] = response
            for param in operation.get("parameters", []):
                if param.get("in") == "header" and param.get("name", "").lower() == IF_MATCH.lower() and required:
                    param["required"] = True
    return document


def install_openapi(app: FastAPI) -> None:
    """Make `app.openapi()` return the completed document (built once, as FastAPI does)."""
    original = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = complete(app, original())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
