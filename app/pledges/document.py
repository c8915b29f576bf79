"""The 承诺书: each member's pledges of a year as one document with a uniform layout (002 "统一制作并
签订承诺书"; 003 "党支部对每个党员的公开承诺书进行把关").

The document is read from the pledges themselves (a member's individual pledges of the year, all but
withdrawn ones) with the member's branch, group and post; the branch's vetting is each pledge's last
approve / return event. Only the signature is stored (`pledge_document`: the day signed on paper, who
recorded it, an optional photo of the signed paper — re-encoded without EXIF, private: never on a
public page, served only to those who may read the document).

Who: the member reads their own; the branch (pledge.review on the member's branch: the secretary,
the committee in its subtree) reads, vets, records the signature and prints. Anyone else who sees
the member is 403; anyone who does not, 404.

Vetting the whole document at once is one batch through the lifecycle engine (`apply_many`): every
submitted pledge listed is approved, or returned with the one reason; each pledge keeps its own
event, the versions are checked pledge by pledge (412), and the first refusal rolls the batch back.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any, BinaryIO

from sqlalchemy import and_, case, func, or_, select
from sqlmodel import Session, col

from app.core import images
from app.core import lifecycle as engine
from app.core.db import end_read_phase, pk
from app.core.errors import Conflict, NotFound, Unprocessable
from app.core.lifecycle import Move
from app.core.pagination import Page, PageParams, paginate
from app.core.permissions import Actor, Permission, allowed, require
from app.core.storage import get_storage
from app.core.time import today_local, utcnow
from app.members import posts
from app.members import service as members_service
from app.members.models import Member, MemberStatus, Post
from app.org import service as org_service
from app.org.models import OrgUnit
from app.pledges import access, states
from app.pledges.access import Located
from app.pledges.lifecycle import PLEDGES, actor_name
from app.pledges.models import CATEGORY_LABELS, OwnerKind, Pledge, PledgeDocument, PledgeEvent, PledgeStatus
from app.pledges.schemas_document import (
    DocumentPledge,
    DocumentRow,
    DocumentSignature,
    DocumentVet,
    DocumentVetting,
    PledgeDocumentRead,
    PostCoverageRow,
)
from app.pledges.states import Action, Who

# what a document leaves out: a pledge the member took back before it was vetted, and a draft never
# submitted (not yet a pledge: the branch has not seen it); a returned one (a draft again) stays
_LEFT_OUT = (PledgeStatus.withdrawn,)


def _in_document() -> Any:
    return and_(
        col(Pledge.status).not_in(_LEFT_OUT),
        or_(col(Pledge.status) != PledgeStatus.draft, col(Pledge.submitted_at).is_not(None)),
    )


_VETTING = {Action.approve.value: "支部审核通过", Action.return_.value: "支部退回修改"}
PHOTO_MAX_SIDE = 1600


def _member_and_branch(session: Session, actor: Actor, member_id: int) -> tuple[Member, OrgUnit]:
    """The member and their branch: 404 when the actor does not see the member, 403 when they see
    them but may not read their document (neither the member nor the branch's reviewer)."""
    member, branch = members_service.visible_member(session, actor, member_id)
    if actor.member_id != member.id or actor.system:
        require(actor, Permission.pledge_review, branch)
    return member, branch


def _pledges(session: Session, member_id: int, year: int) -> list[Pledge]:
    stmt = (
        select(Pledge)
        .where(
            col(Pledge.member_id) == member_id,
            col(Pledge.owner_kind) == OwnerKind.member,
            col(Pledge.year) == year,
            _in_document(),
        )
        .order_by(col(Pledge.created_at), col(Pledge.id))
    )
    return list(session.execute(stmt).scalars())


def _vettings(session: Session, pledge_ids: Sequence[int]) -> dict[int, DocumentVetting]:
    """Each pledge's last approve / return of a submitted pledge: two queries."""
    if not pledge_ids:
        return {}
    last = (
        select(func.max(col(PledgeEvent.id)))
        .where(
            col(PledgeEvent.pledge_id).in_(set(pledge_ids)),
            col(PledgeEvent.action).in_(list(_VETTING)),
            col(PledgeEvent.from_status) == PledgeStatus.submitted.value,
        )
        .group_by(col(PledgeEvent.pledge_id))
    )
    rows = session.execute(select(PledgeEvent).where(col(PledgeEvent.id).in_(last))).scalars()
    return {
        e.pledge_id: DocumentVetting(
            action="approve" if e.action == Action.approve.value else "return",
            label=_VETTING[e.action],
            actor_name=e.actor_name,
            at=e.at,
            reason=e.reason,
        )
        for e in rows
    }


def _document_row(session: Session, member_id: int, year: int) -> PledgeDocument | None:
    return session.execute(
        select(PledgeDocument).where(col(PledgeDocument.member_id) == member_id, col(PledgeDocument.year) == year)
    ).scalar_one_or_none()


def build(session: Session, actor: Actor, member: Member, branch: OrgUnit, year: int) -> PledgeDocumentRead:
    """The document as the actor may read it (private post duties included: it is the branch's)."""
    pledges = _pledges(session, pk(member), year)
    catalogue = posts.posts_by_id(session, [member.post_id, *(p.post_id for p in pledges)])
    vettings = _vettings(session, [pk(p) for p in pledges])
    group = org_service.find_unit(session, member.group_id) if member.group_id else None
    row = _document_row(session, pk(member), year)
    actions = ["print"]
    if allowed(actor, Permission.pledge_review, branch):
        actions.append("sign")
        waiting = next((p for p in pledges if p.status == PledgeStatus.submitted), None)
        # nobody vets their own pledges in their branch (access.authorize): asked of one waiting pledge
        if waiting is not None and access.may(
            actor, Located(waiting, org_service.get_unit(session, waiting.unit_id)), Who.reviewer
        ):
            actions.append("vet")
    return _assemble(member, branch, group, pledges, catalogue, vettings, row, actions, year)


def _assemble(
    member: Member,
    branch: OrgUnit,
    group: OrgUnit | None,
    pledges: Sequence[Pledge],
    catalogue: dict[int, Post],
    vettings: dict[int, DocumentVetting],
    row: PledgeDocument | None,
    actions: list[str],
    year: int,
) -> PledgeDocumentRead:
    own_post = catalogue.get(member.post_id) if member.post_id else None
    return PledgeDocumentRead(
        member_id=pk(member),
        year=year,
        name=member.name,
        branch_id=pk(branch),
        branch_name=branch.name,
        group_name=group.name if group else None,
        post=member.post,
        post_duties=own_post.duties if own_post else "",
        pioneer_post=own_post.pioneer if own_post else False,
        pledges=[_pledge(p, catalogue.get(p.post_id) if p.post_id else None, vettings.get(pk(p))) for p in pledges],
        submitted_count=sum(1 for p in pledges if p.status == PledgeStatus.submitted),
        signature=_signature(row),
        allowed_actions=actions,
    )


def _pledge(p: Pledge, post: Post | None, vetting: DocumentVetting | None) -> DocumentPledge:
    status = PledgeStatus(p.status)
    return DocumentPledge(
        id=pk(p),
        title=p.title,
        content=p.content,
        category=p.category,
        category_label=CATEGORY_LABELS[p.category],
        post=p.post,
        post_id=p.post_id,
        post_duties=post.duties if post else "",
        pioneer_post=post.pioneer if post else False,
        due_date=p.due_date,
        status=status,
        status_label=states.STATUS_LABELS[status],
        version=p.version,
        vetting=vetting,
    )


def _signature(row: PledgeDocument | None) -> DocumentSignature | None:
    if row is None or row.signed_on is None or row.recorded_at is None:
        return None
    return DocumentSignature(
        signed_on=row.signed_on,
        recorded_by_name=row.recorded_by_name,
        recorded_at=row.recorded_at,
        has_photo=row.photo_key is not None,
    )


def read(session: Session, *, actor: Actor, member_id: int, year: int) -> PledgeDocumentRead:
    member, branch = _member_and_branch(session, actor, member_id)
    return build(session, actor, member, branch, year)


def vet(session: Session, *, actor: Actor, member_id: int, year: int, data: DocumentVet) -> list[int]:
    """Approve or return the listed pledges of the document together: one batch of the engine, each
    pledge its own event (who, when, the reason), its version checked (412), all or nothing."""
    member, branch = _member_and_branch(session, actor, member_id)
    require(actor, Permission.pledge_review, branch)
    action = Action.approve if data.decision == "approve" else Action.return_
    if action == Action.return_ and not data.reason:
        raise Unprocessable(
            "退回承诺书须写明原因", code="reason_required", errors=[{"field": "reason", "message": "必填"}]
        )
    wanted = {item.pledge_id: item.version for item in data.pledges}
    rows = (
        session.execute(
            select(Pledge)
            .where(
                col(Pledge.id).in_(set(wanted)),
                col(Pledge.member_id) == pk(member),
                col(Pledge.year) == year,
                col(Pledge.owner_kind) == OwnerKind.member,
            )
            .order_by(col(Pledge.id))
            .with_for_update()
        )
        .scalars()
        .all()
    )
    missing = sorted(set(wanted) - {pk(p) for p in rows})
    if missing:
        raise NotFound(f"承诺书中没有这些承诺：{missing}", code="pledge_not_found")
    not_waiting = [p for p in rows if p.status != PledgeStatus.submitted]
    if not_waiting:
        raise Conflict(
            "承诺书中有承诺已不在待审核状态，请刷新后重试",
            code="pledge_wrong_state",
            extra={"pledge_ids": [pk(p) for p in not_waiting]},
        )
    units = org_service.units_by_id(session, {p.unit_id for p in rows})
    moves = [
        Move(
            access.locate(session, p, units[p.unit_id]),
            action,
            actor,
            wanted[pk(p)],
            reason=data.reason,
            inputs={"batch": True},
        )
        for p in rows
    ]
    return [pk(s.subject.pledge) for s in engine.apply_many(session, PLEDGES, moves)]


def record_signed(
    session: Session,
    *,
    actor: Actor,
    member_id: int,
    year: int,
    signed_on: str | None,
    photo: BinaryIO | None,
) -> PledgeDocumentRead:
    """Record that the member signed the printed document (the day, who recorded it), with an
    optional photo of the signed paper: sniffed, re-encoded (EXIF and GPS gone), private."""
    member, branch = _member_and_branch(session, actor, member_id)
    require(actor, Permission.pledge_review, branch)
    try:
        day = date.fromisoformat(signed_on) if signed_on else today_local()
    except ValueError:
        raise Unprocessable(
            "签订日期格式不正确", code="invalid", errors=[{"field": "signed_on", "message": "应为 YYYY-MM-DD"}]
        ) from None
    if day > today_local():
        raise Unprocessable(
            "签订日期不能晚于今天", code="invalid", errors=[{"field": "signed_on", "message": "不能晚于今天"}]
        )
    if not _pledges(session, pk(member), year):
        raise Conflict(f"{member.name} {year} 年还没有承诺，无承诺书可签", code="document_empty")
    name = actor_name(session, actor)
    key = None
    if photo is not None:
        data = photo.read(images.MAX_BYTES + 1)
        images.check_size(len(data))
        end_read_phase(session)
        processed = images.process_upload(data, display_max=PHOTO_MAX_SIDE, thumb_max=320)
        key = get_storage().put(processed.display.data, ext=processed.display.ext)
    row = _document_row(session, pk(member), year) or PledgeDocument(member_id=pk(member), year=year)
    row.signed_on = day
    row.recorded_by_account_id = actor.recorded_account_id
    row.recorded_by_name = name
    row.recorded_at = utcnow()
    if key is not None:
        row.photo_key = key
    row.version += 1 if row.id is not None else 0
    session.add(row)
    session.flush()
    return build(session, actor, member, branch, year)


def photo_key(session: Session, *, actor: Actor, member_id: int, year: int) -> str:
    """The signed paper's photo, for those who may read the document; 404 when there is none."""
    member, _branch = _member_and_branch(session, actor, member_id)
    row = _document_row(session, pk(member), year)
    if row is None or row.photo_key is None:
        raise NotFound("还没有上传签字的承诺书照片", code="photo_missing")
    return row.photo_key


# ---------------------------------------------------------------- the branch's view


def branch_of_unit(session: Session, actor: Actor, unit_id: int) -> OrgUnit:
    """A branch (or a group's branch) on which the actor holds pledge.review."""
    branch = posts.branch_for(session, actor, unit_id)
    require(actor, Permission.pledge_review, branch)
    return branch


def list_documents(
    session: Session,
    *,
    actor: Actor,
    unit_id: int,
    year: int,
    params: PageParams,
    pending: bool = False,
    unsigned: bool = False,
) -> Page[DocumentRow]:
    """The branch's members with their documents of the year: pledges, pledges waiting for the
    branch, the day signed. Four queries a page (count, page, the figures, the groups)."""
    branch = branch_of_unit(session, actor, unit_id)
    counts = _counts_sql(year)
    stmt = (
        select(Member)
        .outerjoin(counts, counts.c.member_id == col(Member.id))
        .outerjoin(
            PledgeDocument, (col(PledgeDocument.member_id) == col(Member.id)) & (col(PledgeDocument.year) == year)
        )
        .where(col(Member.branch_id) == pk(branch), col(Member.status) == MemberStatus.active)
        .order_by(col(Member.group_id), col(Member.name), col(Member.id))
    )
    if pending:
        stmt = stmt.where(counts.c.submitted > 0)
    if unsigned:
        stmt = stmt.where(counts.c.n > 0, col(PledgeDocument.signed_on).is_(None))

    def to_rows(members: Sequence[Member]) -> list[DocumentRow]:
        ids = [pk(m) for m in members]
        figures = {
            int(r.member_id): (int(r.n), int(r.submitted or 0), r.signed_on)
            for r in session.execute(
                select(counts.c.member_id, counts.c.n, counts.c.submitted, col(PledgeDocument.signed_on))
                .select_from(counts)
                .outerjoin(
                    PledgeDocument,
                    (col(PledgeDocument.member_id) == counts.c.member_id) & (col(PledgeDocument.year) == year),
                )
                .where(counts.c.member_id.in_(ids))
            )
        }
        groups = org_service.units_by_id(session, {m.group_id for m in members if m.group_id})
        out = []
        for m in members:
            n, submitted, signed_on = figures.get(pk(m), (0, 0, None))
            group = groups.get(m.group_id) if m.group_id else None
            out.append(
                DocumentRow(
                    member_id=pk(m),
                    name=m.name,
                    group_name=group.name if group else None,
                    post=m.post,
                    pledge_count=n,
                    submitted_count=submitted,
                    signed_on=signed_on,
                )
            )
        return out

    return paginate(session, stmt, params, to_rows)


def _counts_sql(year: int) -> Any:
    return (
        select(
            col(Pledge.member_id).label("member_id"),
            func.count().label("n"),
            func.sum(case((col(Pledge.status) == PledgeStatus.submitted, 1), else_=0)).label("submitted"),
        )
        .where(
            col(Pledge.owner_kind) == OwnerKind.member,
            col(Pledge.year) == year,
            _in_document(),
        )
        .group_by(col(Pledge.member_id))
        .subquery()
    )


def documents_of_branch(session: Session, *, actor: Actor, unit_id: int, year: int) -> list[PledgeDocumentRead]:
    """Every active member's document of the year that has pledges, for printing the branch's at once.
    A fixed number of queries: members, pledges, posts, vettings, signatures, groups."""
    branch = branch_of_unit(session, actor, unit_id)
    members = list(
        session.execute(
            select(Member)
            .where(col(Member.branch_id) == pk(branch), col(Member.status) == MemberStatus.active)
            .order_by(col(Member.group_id), col(Member.name), col(Member.id))
        ).scalars()
    )
    ids = [pk(m) for m in members]
    pledges = (
        list(
            session.execute(
                select(Pledge)
                .where(
                    col(Pledge.member_id).in_(ids),
                    col(Pledge.owner_kind) == OwnerKind.member,
                    col(Pledge.year) == year,
                    _in_document(),
                )
                .order_by(col(Pledge.created_at), col(Pledge.id))
            ).scalars()
        )
        if ids
        else []
    )
    by_member: dict[int, list[Pledge]] = {}
    for p in pledges:
        by_member.setdefault(int(p.member_id or 0), []).append(p)
    catalogue = posts.posts_by_id(session, [*(m.post_id for m in members), *(p.post_id for p in pledges)])
    vettings = _vettings(session, [pk(p) for p in pledges])
    groups = org_service.units_by_id(session, {m.group_id for m in members if m.group_id})
    signed = {
        d.member_id: d
        for d in session.execute(
            select(PledgeDocument).where(col(PledgeDocument.member_id).in_(ids), col(PledgeDocument.year) == year)
        ).scalars()
    }
    out = []
    for m in members:
        mine = by_member.get(pk(m))
        if not mine:
            continue
        group = groups.get(m.group_id) if m.group_id else None
        out.append(_assemble(m, branch, group, mine, catalogue, vettings, signed.get(pk(m)), ["print"], year))
    return out


def post_coverage(
    session: Session, *, actor: Actor, unit_id: int, year: int, params: PageParams, without_pledge: bool = False
) -> Page[PostCoverageRow]:
    """The branch's posts in use with the pledges of the year made for them (withdrawn and drafts
    not counted) and the members holding them; `without_pledge`: only the posts nobody pledged for.
    Three queries a page."""
    branch = branch_of_unit(session, actor, unit_id)
    pledged = (
        select(col(Pledge.post_id).label("post_id"), func.count().label("n"))
        .where(
            col(Pledge.branch_id) == pk(branch),
            col(Pledge.year) == year,
            col(Pledge.post_id).is_not(None),
            col(Pledge.status).not_in((PledgeStatus.withdrawn, PledgeStatus.draft)),
        )
        .group_by(col(Pledge.post_id))
        .subquery()
    )
    stmt = (
        select(Post)
        .outerjoin(pledged, pledged.c.post_id == col(Post.id))
        .where(col(Post.branch_id) == pk(branch), col(Post.archived_at).is_(None))
        .order_by(func.coalesce(pledged.c.n, 0), col(Post.pioneer).desc(), col(Post.sort_order), col(Post.id))
    )
    if without_pledge:
        stmt = stmt.where(pledged.c.n.is_(None))

    def to_rows(rows: Sequence[Post]) -> list[PostCoverageRow]:
        ids = [pk(p) for p in rows]
        found = session.execute(select(pledged.c.post_id, pledged.c.n).where(pledged.c.post_id.in_(ids)))
        counts = {int(post_id): int(n) for post_id, n in found}
        holders = posts.member_counts(session, ids)
        return [
            PostCoverageRow(
                post_id=pk(p),
                name=p.name,
                pioneer=p.pioneer,
                member_count=holders.get(pk(p), 0),
                pledge_count=int(counts.get(pk(p), 0)),
            )
            for p in rows
        ]

    return paginate(session, stmt, params, to_rows)
