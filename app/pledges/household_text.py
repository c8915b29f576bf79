"""One rule, every path: a pledge's public text never names the household it helps.

A 结对帮扶 pledge names its household in private places only (`Pledge.helped_household`, the pairing's
`household_name`: app/pledges/pairing.py). Its title, content and progress reports (visits included)
go on a public board, so each write of them is checked here — drafting, editing a draft, proposing a
revision, a progress report by any route, a visit, and renaming a pairing's household (which checks
the texts already written). 422 `pairing_name_public`, in Chinese.

A name matches as written ("檀秋月户") and without its 户/家 suffix when two characters or more remain
("檀秋月"), ignoring spaces and letter case, so "檀 秋 月" does not slip through.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlmodel import Session, col

from app.core.errors import Unprocessable
from app.pledges.models import Pledge, PledgeProgress
from app.pledges.models_pairing import Pairing

MESSAGE = "承诺和走访记录会公开，请不要写帮扶对象的姓名（可写“结对户”）"


def _squeezed(text: str) -> str:
    return "".join(text.split()).casefold()


def _forms(name: str) -> set[str]:
    whole = _squeezed(name)
    core = whole.removesuffix("户").removesuffix("家")
    return {f for f in (whole, core) if len(f) >= 2}


def check_texts(names: Iterable[str | None], *texts: str | None, field: str = "text") -> None:
    """422 when any text contains any of the household names (see the module)."""
    forms = set().union(*(_forms(n) for n in names if n and n.strip()))
    if not forms:
        return
    for text in texts:
        if text and any(f in _squeezed(text) for f in forms):
            raise Unprocessable(
                MESSAGE, code="pairing_name_public", errors=[{"field": field, "message": "不要写帮扶对象的姓名"}]
            )


def names_of(session: Session, pledge: Pledge, helped_household: str | None = None) -> list[str | None]:
    """The households a pledge helps: its own private field (or the value about to be saved) and its
    pairing's household. One primary-key read at most."""
    names = [helped_household if helped_household is not None else pledge.helped_household]
    if pledge.pairing_id is not None:
        pairing = session.get(Pairing, pledge.pairing_id)
        names.append(pairing.household_name if pairing else None)
    return names


def check_pledge_texts(
    session: Session, pledge: Pledge, *texts: str | None, helped_household: str | None = None
) -> None:
    """The pledge's public texts (given, or as they stand) against the households it helps."""
    check_texts(names_of(session, pledge, helped_household), *texts)


def check_renamed_household(session: Session, pairing_id: int, new_name: str) -> None:
    """Renaming a pairing's household: what is already public about it must not contain the new name."""
    pledges = select(col(Pledge.title), col(Pledge.content)).where(col(Pledge.pairing_id) == pairing_id)
    texts: list[str | None] = [t for row in session.execute(pledges) for t in row]
    reports = (
        select(col(PledgeProgress.text))
        .join(Pledge, col(Pledge.id) == col(PledgeProgress.pledge_id))
        .where(col(Pledge.pairing_id) == pairing_id)
    )
    texts += [t for (t,) in session.execute(reports)]
    try:
        check_texts([new_name], *texts)
    except Unprocessable as e:
        raise Unprocessable(
            "已公开的结对帮扶承诺或走访记录里出现了这个名字，不能改成它：请先修改那些内容",
            code="pairing_name_public",
            errors=[{"field": "household_name", "message": "已公开的内容里出现了这个名字"}],
        ) from e
