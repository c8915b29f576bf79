from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.live import LiveServer, live_server


@pytest.fixture(scope="session")
def server() -> Iterator[LiveServer]:
    """One live server with the demo town for all browser tests of a run."""
    with live_server() as srv:
        yield srv
