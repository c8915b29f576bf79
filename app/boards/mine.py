"""Boards as the people on them find them: a member's own boards with a preview of their public card
(我的公示牌), and the boards a group or branch is shown on (the group leader's link and QR code).

Secretaries manage boards in `service.py` (`board.manage`); here nothing is managed, only public
addresses are read, so seeing the unit is enough. The preview is built from the same `…Public`
schemas and card builder as the board itself (`public._card`, `MemberCard`): what it shows is what a
villager sees, and nothing private crosses it.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import and_, case, func, select
from sqlmodel import Session, col

from app.boards import public, service, stars
from app.boards.models import BOARD_KIND_LABELS, Board, BoardKind, BoardMember
from app.boards.schemas import MemberCard, SatisfactionView
from app.boards.schemas_mine import BoardLink, MyBoards
from app.core.errors import NotFound
from app.core.pagination import Page, PageParams, paginate
from app.core.permissions import Actor, Permission, require
from app.evaluations import service as evaluations_service
from app.members import service as members_service
from app.members.models import Member
from app.org import service as org_service
from app.org.models import OrgUnit
from app.pledges import service as pledges_service

NO_CONSENT = (
    "您没有同意公示（亮身份），所以公示牌上不显示您的姓名、照片和职务；已公示的承诺仍然公示，"
    "显示为“一名党员”和岗位（创星榜只计人数，不列姓名）。"
    "如需亮身份，请告诉支部书记，由书记在党员信息里勾选“同意公示”。"
)
NOT_SELECTED = "这块公示牌只展示书记选定的党员，目前没有选您。"


def link(board: Board, unit: OrgUnit, *, shown: bool | None = None, note: str = "") -> BoardLink:
    url = service.public_url(board)
    return BoardLink(
        kind=board.kind,
        kind_label=BOARD_KIND_LABELS[board.kind],
        title=board.title,
        unit_name=unit.name,
        public_url=url,
        qr_svg_url=f"{url}/qr.svg",
        qr_png_url=f"{url}/qr.png",
        public_url_warning=service.public_url_problem(),
        shown=shown,
        note=note,
    )


def unit_boards(session: Session, *, actor: Actor, unit_id: int, params: PageParams) -> Page[BoardLink]:
    """The boards a unit's members are shown on: those of the unit and of the units above it (a
    group's own board, its branch's, the star boards above), the nearest first. Public addresses only."""
    unit = org_service.visible_unit(session, actor, unit_id)
    require(actor, Permission.unit_read, unit)
    stmt = (
        select(Board)
        .join(OrgUnit, col(OrgUnit.id) == col(Board.unit_id))
        .where(col(Board.unit_id).in_(org_service.ancestor_ids(unit)), col(Board.archived_at).is_(None))
        .order_by(func.length(col(OrgUnit.path)).desc(), col(Board.kind), col(Board.id))
    )

    def to_links(rows: Sequence[Board]) -> list[BoardLink]:
        units = org_service.units_by_id(session, {b.unit_id for b in rows})
        return [link(b, units[b.unit_id]) for b in rows]

    return paginate(session, stmt, params, to_links)


def my_boards(session: Session, *, actor: Actor) -> MyBoards:
    """The signed-in member's boards (their group's and branch's pledge boards, and the star board
    above them), whether each shows them, and their public card as a board shows it. Six statements."""
    if actor.member_id is None:
        raise NotFound("您的账号没有对应的在册党员，没有自己的公示牌", code="no_member")
    member = members_service.get_member(session, actor.member_id)
    home = org_service.get_unit(session, member.group_id or member.branch_id)
    unit_ids = [u for u in (member.group_id, member.branch_id) if u is not None]
    rows = session.execute(
        select(Board, col(BoardMember.member_id))
        .outerjoin(
            BoardMember,
            and_(col(BoardMember.board_id) == col(Board.id), col(BoardMember.member_id) == member.id),
        )
        .where(
            col(Board.unit_id).in_(unit_ids),
            col(Board.kind) == BoardKind.pledges,
            col(Board.archived_at).is_(None),
        )
        .order_by(case((col(Board.unit_id) == member.branch_id, 1), else_=0), col(Board.id))  # the group's first
    ).all()
    units = org_service.units_by_id(session, unit_ids)
    boards: list[BoardLink] = []
    first_shown: Board | None = None
    named = members_service.is_named(member)
    for board, selected in rows:
        listed = not board.selected_members or selected is not None
        shown = named and listed
        if listed and first_shown is None:
            first_shown = board
        note = "" if shown else NOT_SELECTED if not listed else NO_CONSENT
        boards.append(link(board, units[board.unit_id], shown=shown, note=note))
    star = service.star_board_for(session, home)
    # without consent: the card as the boards show it (一名党员 and the post, the public pledges)
    card = _card(session, member, first_shown)
    return MyBoards(
        consent=member.board_consent,
        consent_note="" if named else NO_CONSENT,
        has_photo=member.photo_key is not None,
        photo_url=f"/api/v1/members/{member.id}/photo" if member.photo_key else None,
        member_id=member.id or 0,
        card=card,
        boards=boards,
        stars=link(star, org_service.get_unit(session, star.unit_id)) if star is not None else None,
    )


def _card(session: Session, member: Member, board: Board | None) -> MemberCard:
    """The member's card as a board shows it: the public schema, this year's public pledges, the
    published level; photos addressed under the board that shows them (none when no board does)."""
    person = members_service.to_public(member)
    base = public.base_path(board.token) if board is not None else ""
    year = service.current_year()
    found = pledges_service.public_pledges_for_units(session, member_ids=[person.id], year=year)
    pledges = found.by_member.get(person.id, [])
    satisfaction = {
        k: SatisfactionView(**v.model_dump())
        for k, v in evaluations_service.public_satisfaction(session, [p.id for p in pledges], year=year).items()
    }
    level = stars.ratings.member_levels(session, [person.id]).get(person.id) if person.named else None
    cards = [public._card(base, p, satisfaction) for p in pledges]
    if board is None:  # no page to address them under yet
        for c in cards:
            c.url = ""
            if c.latest is not None:
                c.latest.photos = []
    return MemberCard(
        name=person.name,
        post=person.post,
        public_title=person.public_title,
        photo_url=f"{base}/img/{person.photo_key}" if person.photo_key and board is not None else None,
        level=public.level_view(level),
        pledges=cards,
        named=person.named,
    )
