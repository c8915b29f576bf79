"""The errors package: one title per problem type (framework errors answered through their status's
class), the public names importers use, the HTML registry handing the error to the page renderer."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.testclient import TestClient
from starlette.responses import Response

import app.core.errors as errors
from app.core.errors import AppError, MethodNotAllowed, NotFound, for_status, install_error_handlers
from app.core.errors.html import _html_error_pages, register_html_errors


def test_each_status_names_one_problem_type() -> None:
    classes = [c for c in vars(errors).values() if isinstance(c, type) and issubclass(c, AppError)]
    assert len({c.status for c in classes}) == len(classes)  # one class per status: one title each
    for cls in classes:
        assert for_status(cls.status) is cls
        assert any("\u4e00" <= ch <= "\u9fff" for ch in cls.title)
    assert for_status(418) is None


def test_framework_errors_carry_their_class_title(client: TestClient) -> None:
    r = client.get("/api/v1/no-such-route")
    assert (r.status_code, r.json()["code"], r.json()["title"]) == (404, NotFound.code, NotFound.title)
    r = client.delete("/healthz")
    assert (r.json()["code"], r.json()["title"]) == (MethodNotAllowed.code, MethodNotAllowed.title)


def test_the_html_renderer_receives_the_error() -> None:
    app = FastAPI()
    install_error_handlers(app)
    seen: list[AppError | None] = []

    def page(request: Request, status: int, detail: str, error: AppError | None) -> Response:
        seen.append(error)
        return HTMLResponse(f"<p>{detail}</p>", status_code=status)

    @app.get("/t-html/missing")
    def missing() -> None:
        raise NotFound("找不到", code="thing_missing")

    register_html_errors("/t-html/", page)
    try:
        with TestClient(app) as client:
            r = client.get("/t-html/missing")
            assert (r.status_code, r.text) == (404, "<p>找不到</p>")
            assert isinstance(seen[0], NotFound)
            assert seen[0].code == "thing_missing"
            r = client.get("/t-html/nowhere")  # a framework 404: no AppError to hand over
            assert r.status_code == 404
            assert seen[1] is None
    finally:
        _html_error_pages.pop("/t-html/")
