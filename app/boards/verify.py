"""The public verify page of a pledge on a board (/b/{token}/p/{id}/verify, docs/history.md): its hash
chain link by link — public events with their time and label, private ones by hash only — whether
the server's recomputation found it whole, and the branch's latest digest (记录校验码).

Not cached: it is rarely opened and must show the chain as the database holds it now.
"""

from __future__ import annotations

from sqlmodel import Session

from app.boards import public, service
from app.boards.render import render
from app.pledges import history, verification
from app.pledges.models import Pledge


def verify_page(session: Session, resolved: service.Resolved, pledge_id: int, *, big: bool) -> str | None:
    """The page's HTML; None when the pledge is not on this board."""
    model = public.model_for(session, resolved)
    card = model.cards.get(pledge_id)
    pledge = session.get(Pledge, pledge_id)
    if card is None or pledge is None:
        return None
    links = verification.public_chain(session, pledge_id)
    base = public.base_path(resolved.token)
    digest = history.latest_digest(session, pledge.branch_id)
    return render(
        "verify.html",
        title=f"{card.title} · 记录校验",
        p=card,
        links=links,
        whole=bool(links) and all(link["ok"] for link in links),
        digest=history.digest_of(digest),
        base=base,
        here=f"{base}/p/{pledge_id}",
        big=big,
    )
