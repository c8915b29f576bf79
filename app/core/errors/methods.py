"""The methods a path really has, for the Allow header of a 405: every route of the app whose path
matches, not only the first one the router tried (nor the static files' GET, HEAD)."""

from __future__ import annotations

import re

from fastapi import Request
from fastapi.routing import iter_route_contexts
from starlette.routing import compile_path

_tables: dict[int, list[tuple[re.Pattern[str], frozenset[str]]]] = {}


def _table(app: object) -> list[tuple[re.Pattern[str], frozenset[str]]]:
    table = _tables.get(id(app))
    if table is None:
        table = []
        for route in iter_route_contexts(getattr(app, "router").routes):  # noqa: B009
            path, methods = route.path, route.methods
            if path and methods:
                table.append((compile_path(path)[0], frozenset(methods)))
        _tables[id(app)] = table
    return table


def allowed_methods(request: Request) -> list[str]:
    """The methods of every route matching the request's path, sorted (empty when none matches)."""
    path = request.scope.get("path", "")
    found: set[str] = set()
    for pattern, methods in _table(request.app):
        if pattern.match(path):
            found |= methods
    if "GET" in found:
        found.add("HEAD")
    return sorted(found)
