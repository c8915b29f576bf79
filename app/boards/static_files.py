"""Boards as static files (docs/boards.md, "Static files"): with `LIANGNUO_STATIC_BOARDS_DIR` set, every
board page and star board is written there as the app would answer it, so nginx or a CDN sends
`/b/{token}` and `/s/{token}` without Python:

    b/{token}/index.html  (+ .gz, .br, .etag)   the page (the app's bytes; .etag: the app's ETag)
    b/{token}/big.html    (+ .gz, .br, .etag)   the large-text version (?big=1)
    b/{token}/2025.html, 2025-big.html (+ …)    a past year's board (?year=2025[&big=1]: 往年承诺)
    b/{token}/gone.html   (+ .gz)               a rotated or taken-down board's 410 page (no index.html)
    s/{token}/…                                  star boards alike
    _headers.conf                                the public pages' security headers, as nginx add_header lines

When: after a commit that wrote (any session of this process), debounced — one round a moment after a
burst of writes — and once a minute as a safety net (a change made by another process). A round reads
every live board's versions (one query, plus one per star board) and takes each page from the same
caches the routes use, so an unchanged page costs no rendering and is not rewritten (its ETag is in the
sidecar): rounds are idempotent, and several workers writing the same files write the same bytes
(each file is replaced atomically). A directory whose token is no longer a live board's gets the 410
page at once (the token rotated away, or the board taken down); an unknown token's is removed.

Pledge pages are not written: each carries the device's own form token (the rating form's CSRF and
minimum fill time, docs/boards.md "Abuse control") and sets the device cookie, so it is answered by
the app, as the rating and suggestion forms are.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from sqlalchemy import event, select
from sqlalchemy.orm import ORMExecuteState
from sqlmodel import Session, col

from app.boards import dependencies, public, service, stars
from app.boards.models import Board, BoardKind
from app.boards.pages import PageError, message
from app.boards.render import PUBLIC_HEADERS, Rendered
from app.core import db
from app.core.config import settings
from app.core.http import FILE_SUFFIX, compress
from app.org import service as org_service

log = logging.getLogger("liangnuo.static_boards")

TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
PREFIX = {BoardKind.pledges: "b", BoardKind.stars: "s"}
VARIANTS = {False: "index.html", True: "big.html"}
GONE = "gone.html"
SAFETY_NET_SECONDS = 60.0


@dataclass
class Round:
    """What one round did (for the CLI and the tests)."""

    boards: int = 0
    written: int = 0
    gone: int = 0
    removed: int = 0


def _put(path: Path, data: bytes) -> None:
    """Replace a file atomically (a reader sees the old file or the new one, never half of one)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _unlink(directory: Path, name: str) -> None:
    for suffix in ("", *FILE_SUFFIX.values(), ".etag"):
        (directory / f"{name}{suffix}").unlink(missing_ok=True)


def write_page(directory: Path, name: str, page: Rendered, *, force: bool = False) -> bool:
    """The page and its compressed forms, then its ETag; False when the files already hold it."""
    etag_file = directory / f"{name}.etag"
    try:
        if not force and etag_file.read_text() == page.etag and (directory / name).is_file():
            return False
    except OSError:
        pass
    directory.mkdir(parents=True, exist_ok=True)
    _put(directory / f"{name}{FILE_SUFFIX['br']}", page.brotli)
    _put(directory / f"{name}{FILE_SUFFIX['gzip']}", page.gzipped)
    _put(directory / name, page.body)
    _put(etag_file, page.etag.encode())
    _unlink(directory, GONE)
    return True


def write_gone(directory: Path, error: PageError) -> bool:
    """The 410 page in place of the board's, at once (the page first, then the old one removed)."""
    body = bytes(message(error.status, error.page_title, error.lines, link=error.link, link_text=error.link_text).body)
    if (directory / GONE).is_file() and (directory / GONE).read_bytes() == body:
        return False
    directory.mkdir(parents=True, exist_ok=True)
    _put(directory / f"{GONE}{FILE_SUFFIX['gzip']}", compress(body, "gzip"))
    _put(directory / GONE, body)
    for name in (*VARIANTS.values(), *_year_pages(directory)):
        _unlink(directory, name)
    return True


def year_page(year: int, big: bool) -> str:
    """The file of a past year's board (`?year=2025` → 2025.html, with `&big=1` → 2025-big.html)."""
    return f"{year}-big.html" if big else f"{year}.html"


def _year_pages(directory: Path) -> list[str]:
    return sorted({p.name for p in directory.glob("[0-9][0-9][0-9][0-9]*.html")}) if directory.is_dir() else []


def headers_conf() -> str:
    """The public pages' headers for nginx (`include` it where the static pages are served)."""
    lines = [f'add_header {name} "{value}" always;' for name, value in PUBLIC_HEADERS.items()]
    return "\n".join(lines) + "\n"


def live_boards(session: Session) -> list[tuple[BoardKind, service.Resolved]]:
    """Every board not taken down, with the versions its page depends on (one query, and one per star board)."""
    rows = session.execute(
        select(
            col(Board.id),
            col(Board.kind),
            col(Board.token),
            col(Board.unit_id),
            col(Board.version),
            org_service.content_version_of(col(Board.unit_id)),
        ).where(col(Board.archived_at).is_(None))
    ).all()
    found: list[tuple[BoardKind, service.Resolved]] = []
    for board_id, kind, token, unit_id, version, content_version in rows:
        if kind == BoardKind.stars:
            content_version = stars.subtree_version(session, unit_id)
        resolved = service.Resolved(
            board_id=board_id, unit_id=unit_id, version=version, content_version=content_version, token=token
        )
        found.append((BoardKind(kind), resolved))
    return found


def _page(session: Session, kind: BoardKind, resolved: service.Resolved, big: bool) -> Rendered:
    if kind == BoardKind.stars:
        return stars.star_page(session, resolved, big=big)
    return public.board_page(session, resolved, resolved.token, big=big)


def _retire(session: Session, root: Path, live: set[tuple[BoardKind, str]], done: Round) -> None:
    """Directories of tokens no longer live: the 410 page (rotated, taken down), else removed."""
    for kind, prefix in PREFIX.items():
        base = root / prefix
        if not base.is_dir():
            continue
        for entry in os.scandir(base):
            if not TOKEN.match(entry.name) or (kind, entry.name) in live:
                continue
            try:
                if kind == BoardKind.stars:
                    dependencies.resolved_star_board(session, entry.name)
                else:
                    dependencies.resolved_board(session, entry.name)
            except PageError as error:
                if error.status == 410:
                    done.gone += write_gone(Path(entry.path), error)
                    continue
            shutil.rmtree(entry.path, ignore_errors=True)
            done.removed += 1


def render(
    session: Session, root: Path, *, force: bool = False, progress: Callable[[int, int], None] | None = None
) -> Round:
    """One round: every live board's pages written when they changed (`force`: all of them), gone
    boards' 410 pages. `progress(done, total)` is called after each board (the CLI's bar)."""
    done = Round()
    root.mkdir(parents=True, exist_ok=True)
    conf = headers_conf().encode()
    if not (root / "_headers.conf").is_file() or (root / "_headers.conf").read_bytes() != conf:
        _put(root / "_headers.conf", conf)
    boards = live_boards(session)
    live: set[tuple[BoardKind, str]] = set()
    for i, (kind, resolved) in enumerate(boards):
        if not TOKEN.match(resolved.token):
            continue
        live.add((kind, resolved.token))
        directory = root / PREFIX[kind] / resolved.token
        for big, name in VARIANTS.items():
            done.written += write_page(directory, name, _page(session, kind, resolved, big), force=force)
        if kind == BoardKind.pledges:  # its past years (往年承诺), as the app answers ?year=
            for year in public.model_for(session, resolved).view.years:
                for big in (False, True):
                    page = _page(session, kind, replace(resolved, year=year), big)
                    done.written += write_page(directory, year_page(year, big), page, force=force)
        done.boards += 1
        if progress is not None:
            progress(i + 1, len(boards))
    _retire(session, root, live, done)
    return done


class Renderer:
    """Rounds in a background thread: woken after a commit that wrote, a round once the writes settle
    (`static_boards_debounce_seconds`), and at least once a minute. `background = False` (tests): only
    `run()` renders."""

    def __init__(self) -> None:
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self.background = True
        self.pending = False

    def changed(self) -> None:
        if settings.static_boards_dir is None:
            return
        self.pending = True
        self._wake.set()
        if self.background and (self._thread is None or not self._thread.is_alive()):
            self._thread = threading.Thread(target=self._loop, name="static-boards", daemon=True)
            self._thread.start()

    def run(self) -> Round:
        """A round now, in a read-only session of its own."""
        root = settings.static_boards_dir
        if root is None:
            return Round()
        with self._lock:
            self.pending = False
            with db.new_session(read_only=True) as session:
                return render(session, root)

    def _loop(self) -> None:
        while True:
            woken = self._wake.wait(SAFETY_NET_SECONDS)
            if woken:
                time.sleep(settings.static_boards_debounce_seconds)
                self._wake.clear()
            try:
                self.run()
            except Exception:
                log.warning("static board files not written", exc_info=True)


renderer = Renderer()
_WROTE = "liangnuo.static_boards_wrote"


@event.listens_for(Session, "after_flush")
def _flushed(session: Session, _context: object) -> None:
    session.info[_WROTE] = True


@event.listens_for(Session, "do_orm_execute")
def _executed(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        state.session.info[_WROTE] = True


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    if session.info.pop(_WROTE, False):
        renderer.changed()
