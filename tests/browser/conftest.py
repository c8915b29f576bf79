from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.live import CHROMIUM_FLAGS, ROOT, LiveServer, chromium_path, live_server

DIST_INDEX = ROOT / "frontend" / "dist" / "index.html"
SCREENSHOTS = ROOT / "var" / "screenshots"


@pytest.fixture(scope="session")
def server() -> Iterator[LiveServer]:
    """One live server with the demo town for all browser tests of a run, with the masking shapes
    planted in its public free text (tests.live.plant_masking_shapes; the privacy crawl looks for them)."""
    with live_server(plant_shapes=True) as srv:
        yield srv


@pytest.fixture(scope="session")
def pwa_built() -> None:
    """The PWA tests need the build; a missing one is a failure (never a skip)."""
    if not DIST_INDEX.exists():
        pytest.fail("frontend/dist/index.html is missing: build the PWA first with `make frontend` (make test does it)")


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """The system Chromium driven by Python Playwright (never a downloaded browser)."""
    path = chromium_path()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail("playwright is not installed (pip install -e '.[dev]')")
        pytest.skip("playwright is not installed (pip install -e '.[dev]')")
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=path, args=CHROMIUM_FLAGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def context(pwa_built: None, browser: object) -> Iterator[object]:
    """A fresh phone-sized profile. Service workers are blocked: the app must work without one
    (iOS WeChat has none), and offline emulation then applies to every request the page makes."""
    ctx = browser.new_context(  # type: ignore[attr-defined]
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        service_workers="block",
        has_touch=True,
        is_mobile=True,
    )
    ctx.set_default_timeout(10_000)
    try:
        yield ctx
    finally:
        ctx.close()


@pytest.fixture
def page(context: object) -> Iterator[object]:
    pg = context.new_page()  # type: ignore[attr-defined]
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    yield pg
    assert not errors, f"JavaScript errors on the page: {errors}"


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
