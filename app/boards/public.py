"""The public board: what a villager sees after scanning the QR code, built only from other domains'
`…Public` schemas (members, pledges, evaluations) — the privacy boundary — and cached.

Cache key: (board id, token, board version, the unit's content_version, the year [, large text]). Every
change a board shows bumps one of the two versions (members and pledges services call
`org_service.touch`, so do evaluations and moderation; board edits bump the board's own version), and
the year (China time) moves on 1 January, so an entry is never stale and never needs invalidating.

Query count of a cold render is constant in the number of members and pledges (see tests).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from sqlmodel import Session

from app.appraisal import debrief_public
from app.boards import service, stars
from app.boards.models import Board, BoardKind
from app.boards.render import PageCache, Rendered, render
from app.boards.schemas import (
    BoardView,
    LevelView,
    MemberCard,
    PhotoView,
    PledgeCard,
    ProgressView,
    SatisfactionView,
    SuggestionView,
    YearSummary,
)
from app.core.errors import NotFound
from app.core.storage import is_key
from app.evaluations import service as evaluations_service
from app.evaluations.dependencies import HONEYPOT_FIELD
from app.evaluations.schemas import SuggestionPublic
from app.members import registration
from app.members import service as members_service
from app.members.schemas import MemberPublic
from app.org import service as org_service
from app.org.models import OrgUnit, UnitKind
from app.pledges import history
from app.pledges import service as pledges_service
from app.pledges.models import PledgeStatus
from app.pledges.schemas import PhotoPublic as PledgePhotoPublic
from app.pledges.schemas import PledgePublic, TimelineEntryPublic
from app.ratings.schemas import LevelPublic

IN_PROGRESS = {"published", "revising", "closing"}
OUTCOME_TEXT = {"kept": "已兑现。", "partly_kept": "部分兑现。", "not_kept": "未兑现。"}


@dataclass(frozen=True)
class BoardModel:
    """The view model of one board version, plus what the public routes need to check requests."""

    view: BoardView
    unit: OrgUnit
    branch: OrgUnit | None
    cards: dict[int, PledgeCard]  # every pledge on the board, by id
    owners: dict[int, tuple[str, str]]  # pledge id → (owner's public name, the pledge's post)
    pledge_suggestions: dict[int, list[SuggestionView]]  # approved ones, newest first, for pledge pages

    @property
    def branch_id(self) -> int:
        """Whose moderation queue a suggestion to the board's unit goes to."""
        return (self.branch or self.unit).id or 0


view_cache: PageCache = PageCache(size=256)
_models: dict[tuple[int, str, int, int, int, bool], BoardModel] = {}


def base_path(token: str) -> str:
    return f"/b/{token}"


def photo_key(url: str) -> str:
    """The storage key at the end of a pledge photo's URL (content hash + extension)."""
    key = url.rsplit("/", 1)[-1].split("?", 1)[0]
    return key if is_key(key) else ""


def _photo(base: str, pledge_id: int, photo: PledgePhotoPublic) -> PhotoView:
    """A pledge photo re-addressed under this board's public URL (served after a check)."""
    return PhotoView(
        url=f"{base}/p/{pledge_id}/img/{photo_key(photo.url)}",
        thumb_url=f"{base}/p/{pledge_id}/img/{photo_key(photo.thumb_url)}",
        width=photo.thumb_width,
        height=photo.thumb_height,
    )


def _keys(photos: Sequence[PledgePhotoPublic]) -> set[str]:
    return {k for ph in photos for k in (photo_key(ph.url), photo_key(ph.thumb_url)) if k}


def _card(base: str, p: PledgePublic, satisfaction: dict[int, SatisfactionView], *, past: bool = False) -> PledgeCard:
    latest = None
    if p.latest_progress is not None:
        latest = ProgressView(
            text=p.latest_progress.text,
            at=p.latest_progress.created_at,
            percent=p.latest_progress.percent,
            photos=[_photo(base, p.id, ph) for ph in p.latest_progress.photos],
        )
    status = str(p.status)
    return PledgeCard(
        id=p.id,
        title=p.title,
        content=p.content,
        status=status,
        status_label=p.status_label,
        post=p.post,
        post_duties=p.post_duties,
        pioneer_post=p.pioneer_post,
        due_date=p.due_date,
        outcome_label=p.outcome_label,
        percent=p.percent,
        latest=latest,
        satisfaction=satisfaction.get(p.id),
        url=f"{base}/p/{p.id}",
        # a pledge cancelled after publication stays on the board with its history, but is not rated;
        # a past year's pledge is read only (its year's ratings are closed)
        rateable=status != PledgeStatus.cancelled and not past,
        past=past,
        community=p.community,
        term=(
            f"任期承诺：{p.term_start.year}年{p.term_start.month}月至{p.due_date.year}年{p.due_date.month}月"
            if p.term_start is not None
            else ""
        ),
    )


def level_view(level: LevelPublic | None) -> LevelView | None:
    if level is None:
        return None
    trend = level.trend or ""
    return LevelView(
        stars=level.stars,
        label=level.label,
        period_title=level.period_title,
        trend=stars.TREND_MARKS.get(trend, ""),
        trend_word=stars.TREND_WORDS.get(trend, ""),
        corrected=level.corrected,
    )


def build(session: Session, board: Board, unit: OrgUnit, year: int, *, january: bool = False) -> BoardModel:
    """The board's view model for `year`, from the members, pledges and evaluations services (constant
    queries). Who owns a pledge is where it stands in `PublicPledges` (by member, by unit)."""
    assert board.id is not None
    assert unit.id is not None
    base = base_path(board.token)
    branch = org_service.branch_of(session, unit)
    member_ids = service.selected_member_ids(session, [board.id]).get(board.id, []) if board.selected_members else None
    # every member of the unit: the named ones, and the others anonymously when they have public
    # pledges (nothing shown publicly is taken back when consent is withdrawn)
    members = members_service.public_members(session, unit=unit, member_ids=member_ids, unnamed=True)
    found = pledges_service.public_pledges_for_units(
        session, member_ids=[m.id for m in members], unit_ids=[unit.id], year=year
    )
    current = service.current_year()
    years = pledges_service.public_years(
        session, member_ids=[m.id for m in members], unit_ids=[unit.id], before=current
    )
    previous = _previous_year(session, members, unit, year, january=january) if year == current else None
    members = [m for m in members if m.named or m.id in found.by_member]
    owned: list[tuple[int | None, PledgePublic]] = [(m.id, p) for m in members for p in found.by_member.get(m.id, [])]
    owned += [(None, p) for p in found.by_unit.get(unit.id, [])]
    # 双报到: members registered in this community branch, with the pledges they made to it
    registered = _registered(session, unit, year)
    owned += [(m.id, p) for m, _home, ps in registered for p in ps]
    pledges = [p for _, p in owned]
    satisfaction = {
        k: SatisfactionView(**v.model_dump())
        for k, v in evaluations_service.public_satisfaction(session, [p.id for p in pledges], year=year).items()
    }
    suggestions = evaluations_service.public_suggestions(session, unit_ids=[unit.id], limit=5)
    to_pledges = evaluations_service.public_suggestions_by_pledge(session, [p.id for p in pledges])
    levels = stars.ratings.member_levels(session, [m.id for m in members if m.named])
    branch_level = stars.ratings.unit_levels(session, [branch.id]).get(branch.id) if branch and branch.id else None
    star_board = service.star_board_for(session, unit)
    debriefs = debrief_public.published_reports(session, unit.id) if unit.kind == UnitKind.branch else []
    branch_sat = (
        evaluations_service.public_branch_satisfaction(session, unit.id, year) if unit.kind == UnitKind.branch else None
    )

    by_member: dict[int, list[PledgeCard]] = {}
    collective: list[PledgeCard] = []
    cards: dict[int, PledgeCard] = {}
    names = {m.id: (m.name, m.post) for m in members}
    names.update({m.id: (m.name, m.post) for m, _home, _ps in registered})
    owners: dict[int, tuple[str, str]] = {}
    image_keys: set[str] = set()
    updated_at = board.updated_at
    for member_id, p in owned:
        card = _card(base, p, satisfaction, past=year < current)
        cards[p.id] = card
        if member_id is not None:
            by_member.setdefault(member_id, []).append(card)
            name, member_post = names.get(member_id, ("", ""))
            owners[p.id] = (name, p.post or member_post)  # the pledge's own post (依岗承诺)
        else:
            collective.append(card)
            owners[p.id] = (unit.name, "集体承诺")
        if p.latest_progress is not None:
            image_keys.update(_keys(p.latest_progress.photos))
        for moment in (p.published_at, p.last_progress_at, p.revised_at, p.closed_at):
            if moment is not None and moment > updated_at:
                updated_at = moment
    member_cards = []
    pairings = pledges_service.pairing_counts(session, [m.id for m in members])
    for m in members:
        photo_url = None
        if m.photo_key:
            image_keys.add(m.photo_key)
            photo_url = f"{base}/img/{m.photo_key}"
        member_cards.append(
            MemberCard(
                name=m.name,
                post=m.post,
                public_title=m.public_title,
                photo_url=photo_url,
                level=level_view(levels.get(m.id)),
                pledges=by_member.get(m.id, []),
                named=m.named,
                pairings=pairings.get(m.id, 0),
            )
        )
    registered_cards = [
        MemberCard(
            name=m.name,
            post=m.post,
            public_title="报到党员",
            pledges=by_member.get(m.id, []),
            named=m.named,
            registered_from=home,
        )
        for m, home, _ps in registered
    ]
    all_cards = list(cards.values())
    view = BoardView(
        title=board.title,
        unit_name=unit.name,
        branch_name=branch.name if branch is not None else unit.name,
        note=board.note,
        year=year,
        members=member_cards,
        registered=registered_cards,
        collective=collective,
        pledges=len(all_cards),
        kept=sum(1 for p in pledges if p.status == "closed" and p.outcome == "kept"),
        in_progress=sum(1 for c in all_cards if c.status in IN_PROGRESS),
        updated_at=updated_at,
        suggestions=[_suggestion(s) for s in suggestions],
        image_keys=sorted(image_keys),
        branch_level=level_view(branch_level),
        stars_url=service.public_path(star_board.token, BoardKind.stars) if star_board is not None else None,
        has_members=unit.kind in service.MEMBER_BOARD_KINDS,
        current_year=current,
        years=years,
        previous=previous,
        debriefs=debriefs,
        branch_satisfaction=SatisfactionView(**branch_sat.model_dump()) if branch_sat is not None else None,
    )
    pledge_suggestions = {pid: [_suggestion(s) for s in rows] for pid, rows in to_pledges.items()}
    return BoardModel(
        view=view, unit=unit, branch=branch, cards=cards, owners=owners, pledge_suggestions=pledge_suggestions
    )


def _previous_year(
    session: Session, members: Sequence[MemberPublic], unit: OrgUnit, year: int, *, january: bool
) -> YearSummary | None:
    """In January, last year's outcome beside the new year's pledges (003: 张榜公示……上一年度的星级评定结果);
    None the rest of the year, or when last year had no public pledge. One query, in January only."""
    if not january:
        return None
    found = pledges_service.public_pledges_for_units(
        session, member_ids=[m.id for m in members], unit_ids=[unit.id or 0], year=year - 1, with_progress=False
    )
    pledges = [p for group in (*found.by_member.values(), *found.by_unit.values()) for p in group]
    if not pledges:
        return None
    kept = sum(1 for p in pledges if p.status == PledgeStatus.closed and p.outcome == "kept")
    return YearSummary(year=year - 1, pledges=len(pledges), kept=kept)


def _registered(session: Session, unit: OrgUnit, year: int) -> list[tuple[MemberPublic, str, list[PledgePublic]]]:
    """双报到 on a community branch's board: who pledged to it (public identity, own branch) with those
    pledges. Three queries on a branch's board with such pledges, one otherwise; none on other boards."""
    if unit.kind != UnitKind.branch or unit.id is None:
        return []
    found = pledges_service.public_registered_pledges(session, unit_id=unit.id, year=year, community=unit.name)
    people = registration.registered_public(session, list(found.by_member))
    return [(m, home, found.by_member.get(m.id, [])) for m, home in people]


def _suggestion(s: SuggestionPublic) -> SuggestionView:
    return SuggestionView(
        text=s.public_text,
        day=f"{s.created_at:%Y-%m-%d}",
        reply=s.reply,
        reply_day=f"{s.replied_at:%Y-%m-%d}" if s.replied_at else "",
    )


def model_for(session: Session, resolved: service.Resolved) -> BoardModel:
    """The view model for this version of the board, from the cache or built once."""
    key = resolved.cache_key
    model = _models.get(key)
    if model is not None:
        return model
    board = service.get_board(session, resolved.board_id)
    unit = org_service.get_unit(session, board.unit_id)
    model = build(session, board, unit, resolved.year, january=resolved.january)
    if len(_models) >= 512:  # versions move on; old models are garbage
        _models.clear()
    _models[key] = model
    return model


def board_page(session: Session, resolved: service.Resolved, token: str, *, big: bool) -> Rendered:
    digest = history.digest_line(session, resolved.unit_id)  # 记录校验码 (docs/history.md)
    key = ("board", *resolved.cache_key, big, digest)
    page = view_cache.get(key)
    if page is not None:
        return page
    model = model_for(session, resolved)
    html = render("board.html", v=model.view, base=base_path(token), big=big, title=model.view.title, digest=digest)
    page = Rendered.of(html, frozenset(model.view.image_keys))
    view_cache.put(key, page)
    return page


@dataclass(frozen=True)
class PledgePage:
    model: BoardModel
    card: PledgeCard
    timeline: list[TimelineEntryPublic]


def pledge_context(session: Session, resolved: service.Resolved, pledge_id: int) -> PledgePage | None:
    """The pledge as shown on this board with its whole public timeline; None if not on the board. A
    past year's pledge is found on that year's board (its page stays readable after 1 January)."""
    model = model_for(session, resolved)
    card = model.cards.get(pledge_id)
    if card is None:
        year = pledges_service.public_year_of(session, pledge_id)
        if year is None or year >= resolved.year:
            return None
        model = model_for(session, replace(resolved, year=year))
        card = model.cards.get(pledge_id)
    if card is None:
        return None
    try:
        timeline = pledges_service.public_timeline(session, pledge_id)
    except NotFound:
        return None
    return PledgePage(model=model, card=card, timeline=list(timeline))


def timeline_entries(base: str, page: PledgePage) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for e in page.timeline:
        text = e.text or ""
        if e.kind == "event" and e.comment:
            text = OUTCOME_TEXT.get(str(e.outcome), "") + e.comment
        if e.percent is not None:
            text = f"{text}（完成 {e.percent}%）" if text else f"完成 {e.percent}%"
        out.append(
            {"label": e.label, "at": e.at, "text": text, "photos": [_photo(base, page.card.id, ph) for ph in e.photos]}
        )
    return out


def photo_keys(page: PledgePage) -> set[str]:
    return {k for e in page.timeline for k in _keys(e.photos)}


CSRF_SENTINEL = "__LN_FORM_TOKEN__"  # replaced per request: the rest of a pledge page is shared


@dataclass(frozen=True)
class FormState:
    """A villager's form sent back with what to change: shown again as typed, never lost."""

    error: str
    csrf: str
    text: str = ""
    choice: str = ""


def pledge_page(
    session: Session, resolved: service.Resolved, pledge_id: int, *, big: bool, form: FormState | None = None
) -> Rendered | None:
    """A pledge's page for this board version, cached like the board (the device's form token is put in
    by the caller); None when the pledge is not on the board. A cached page costs no query.

    With `form`, the page shows the rating form as it was sent, with the problem (never cached)."""
    digest = history.digest_line(session, resolved.unit_id)
    key = ("pledge", *resolved.cache_key, pledge_id, big, digest)
    page = view_cache.get(key) if form is None else None
    if page is not None:
        return page
    context = pledge_context(session, resolved, pledge_id)
    if context is None:
        return None
    base = base_path(resolved.token)
    owner, post = context.model.owners.get(pledge_id, ("", ""))
    past_year = context.model.view.year if context.card.past else None
    view = {
        "back": f"{base}?year={past_year}" if past_year else base,
        "board_title": context.model.view.title,
        "year": context.model.view.year,
        "formula": context.model.view.satisfaction_formula,
        "owner": owner,
        "owner_post": post,
        "timeline": timeline_entries(base, context),
        "suggestions": context.model.pledge_suggestions.get(pledge_id, []),
    }
    html = render(
        "pledge.html",
        p=context.card,
        v=view,
        base=base,
        here=f"{base}/p/{pledge_id}",
        title=context.card.title,
        csrf=CSRF_SENTINEL if form is None else form.csrf,
        form=form,
        honeypot=HONEYPOT_FIELD,
        big=big,
        digest=digest,
    )
    page = Rendered.of(html, frozenset(photo_keys(context)))
    if form is None:
        view_cache.put(key, page)
    return page


def suggest_page(model: BoardModel, token: str, *, csrf: str, big: bool, form: FormState | None = None) -> str:
    """The suggestion card to the board's unit (with `form`: as sent, with the problem)."""
    return render(
        "suggest.html",
        base=base_path(token),
        unit_name=model.view.unit_name,
        title="意见建议卡",
        csrf=csrf,
        form=form,
        honeypot=HONEYPOT_FIELD,
        big=big,
    )


def clear_caches() -> None:
    view_cache.clear()
    _models.clear()
    stars.clear_caches()
    history.forget_lines()


# ---------------------------------------------------------------- villagers' forms


def on_board(session: Session, resolved: service.Resolved, pledge_id: int) -> bool:
    return pledge_id in model_for(session, resolved).cards


def submit_feedback(
    session: Session,
    resolved: service.Resolved,
    *,
    pledge_id: int | None,
    choice: str | None,
    text: str,
    device_hash: str,
    ip_hash: str,
) -> None:
    """A villager's rating form (`pledge_id`, `choice` "" when none picked) or suggestion card to the
    board's unit (`pledge_id` and `choice` None), checked by one rule and stored: a rating and/or a
    suggestion in the moderation queue. Raises FeedbackProblem (nothing stored) with what to change."""
    model = model_for(session, resolved)
    feedback = evaluations_service.read_feedback(choice=choice, text=text)
    card = model.cards[pledge_id] if pledge_id is not None else None  # on the board: forms.take checked
    if card is not None and not card.rateable and choice:
        raise evaluations_service.FeedbackProblem("这项承诺已取消，不再接受满意度评价；有意见建议请填写意见建议卡。")
    evaluations_service.take_feedback(
        session,
        feedback=feedback,
        pledge=evaluations_service.pledge_ref(session, pledge_id) if pledge_id is not None else None,
        unit_id=model.unit.id or 0,
        branch_id=model.branch_id,
        device_hash=device_hash,
        ip_hash=ip_hash,
    )
