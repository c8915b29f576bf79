"""The rules of a rating policy as one typed document (`PolicyRules`), shared by the policy editor,
the period's frozen snapshot and compute.

Shape checks (types, ranges) are pydantic's; the rules that span fields (weights summing to 100,
thresholds descending, unique rubric keys) are `problems()`, worded in Chinese for the person who
edits the policy. `PolicyRules.model_validate(period.policy_snapshot)` reads a frozen snapshot.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from app.ratings.models import PeerCombine, PeerScale, YearCombine

# the 承诺践诺 item may be filled from the outcomes of the member's pledges closed in the period
AUTO_PLEDGES = "pledges"
# the stars scale of Vant Rate: 1–5 stars → 0/25/50/75/100
STAR_POINTS: dict[int, int] = {1: 0, 2: 25, 3: 50, 4: 75, 5: 100}
TOP_SCORE = 100


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Weights(_Strict):
    """Weights of a member's three parts (integers summing to 100)."""

    peer: int = Field(35, ge=0, le=100)  # 党员互评
    villager: int = Field(25, ge=0, le=100)  # 群众测评
    assessment: int = Field(40, ge=0, le=100)  # 组织考评


class BranchWeights(_Strict):
    """Weights of a branch's three parts (integers summing to 100)."""

    members: int = Field(40, ge=0, le=100)  # its members' mean score
    villager: int = Field(20, ge=0, le=100)  # its collective pledges' 群众测评
    assessment: int = Field(40, ge=0, le=100)  # the committee's 组织考评


class Thresholds(_Strict):
    """The lowest score of each level (descending); below the 2-star threshold is 1 star."""

    star5: float = Field(90, ge=0)
    star4: float = Field(80, ge=0)
    star3: float = Field(70, ge=0)
    star2: float = Field(60, ge=0)

    def stars(self, score: float) -> int:
        for stars, minimum in ((5, self.star5), (4, self.star4), (3, self.star3), (2, self.star2)):
            if score >= minimum:
                return stars
        return 1

    def minimum(self, stars: int) -> float | None:
        """The lowest score of `stars` (None for 1 star, which needs nothing)."""
        return {5: self.star5, 4: self.star4, 3: self.star3, 2: self.star2}.get(stars)


class TierLines(_Strict):
    """The lines of the year's branch tiers by 五好 (app/appraisal/tiers.py): a branch whose year
    level is at least `advanced_stars` is proposed 先进 (unless a 五好 item is marked 不好), at most
    `backward_stars` 后进, otherwise 一般."""

    advanced_stars: int = Field(4, ge=2, le=5)
    backward_stars: int = Field(2, ge=1, le=4)


class RubricItem(_Strict):
    key: str = Field(min_length=1, max_length=30, pattern=r"^[a-z][a-z0-9_]*$")
    label: str = Field(min_length=1, max_length=20)
    max_points: int = Field(ge=1, le=100)
    auto: Literal["pledges"] | None = None  # filled from pledge outcomes (承诺践诺)


def default_rubric() -> list[RubricItem]:
    return [
        RubricItem(key="political", label="政治素质", max_points=20),
        RubricItem(key="pledges", label="承诺践诺", max_points=30, auto=AUTO_PLEDGES),
        RubricItem(key="role", label="作用发挥", max_points=30),
        RubricItem(key="reputation", label="群众口碑", max_points=20),
    ]


def default_branch_rubric() -> list[RubricItem]:
    return [
        RubricItem(key="team", label="班子建设", max_points=25),
        RubricItem(key="pledges", label="承诺践诺", max_points=25),
        RubricItem(key="work", label="工作机制", max_points=25),
        RubricItem(key="reputation", label="群众反映", max_points=25),
    ]


class AppraisalItem(_Strict):
    """An item the representatives answer on their monthly slip (满意 / 基本满意 / 不满意)."""

    key: str = Field(min_length=1, max_length=30, pattern=r"^[a-z][a-z0-9_]*$")
    label: str = Field(min_length=1, max_length=20)


def default_slip_items() -> list[AppraisalItem]:
    return [
        AppraisalItem(key="work", label="支部工作开展情况"),
        AppraisalItem(key="pledges", label="党员承诺践诺情况"),
        AppraisalItem(key="conduct", label="党员作风形象"),
    ]


def default_five_good() -> list[RubricItem]:
    """The 五好 standard (seeds/002): the committee's rubric of a branch's quarterly self-evaluation."""
    return [
        RubricItem(key="team", label="领导班子好", max_points=20),
        RubricItem(key="cadres", label="党员干部队伍好", max_points=20),
        RubricItem(key="mechanism", label="支部工作机制好", max_points=20),
        RubricItem(key="economy", label="发展经济业绩好", max_points=20),
        RubricItem(key="masses", label="农民群众反映好", max_points=20),
    ]


class AppraisalRules(_Strict):
    """党员群众代表每月测评 and 季度自评 (app/appraisal): how often slips are issued, what they ask, how
    the answers and the self-evaluation count in a branch's score."""

    # slips in every n-th month (1: every month; 3: January, April, July, October)
    slip_every_months: int = Field(1, ge=1, le=12)
    slip_items: list[AppraisalItem] = Field(default_factory=default_slip_items, min_length=1, max_length=10)
    # villager: each representative's answer joins the branch's 群众测评 as one rating (its items' 满意度);
    # none: answers are counted and shown, not scored
    slip_counts_as: Literal["villager", "none"] = "villager"
    self_rubric: list[RubricItem] = Field(default_factory=default_five_good, min_length=1, max_length=12)
    # the self-evaluation's share (percent) of a branch's 组织考评 part; the committee's assessment the rest
    self_weight: int = Field(0, ge=0, le=50)
    # the 述职评议's share (percent) of a branch's year appraisal score (app/appraisal/year_appraisal.py);
    # the year's star score has the rest
    debrief_weight: int = Field(20, ge=0, le=50)


class PolicyRules(_Strict):
    """Everything a period runs under. Scores are on 0–100; a year by `sum` is on 0–400."""

    weights: Weights = Field(default_factory=Weights)
    # fewer counted villager ratings than this: the villager part does not count and its weight is
    # spread over the other parts in proportion (the breakdown says so)
    villager_min_count: int = Field(3, ge=0, le=10000)
    # the villager part is the one 满意度 (app.evaluations.formula); there are no per-choice points to set
    thresholds: Thresholds = Field(default_factory=Thresholds)
    peer_scale: PeerScale = PeerScale.stars
    peer_combine: PeerCombine = PeerCombine.trimmed  # trimmed only with ≥ 5 reviewers
    year_combine: YearCombine = YearCombine.sum
    year_thresholds: Thresholds = Field(default_factory=lambda: Thresholds(star5=360, star4=320, star3=280, star2=240))
    # a year-end assessment's share of the year's score in percent (0: none)
    year_assessment_weight: int = Field(0, ge=0, le=100)
    rubric: list[RubricItem] = Field(default_factory=default_rubric, min_length=1, max_length=12)
    branch_weights: BranchWeights = Field(default_factory=BranchWeights)
    branch_rubric: list[RubricItem] = Field(default_factory=default_branch_rubric, min_length=1, max_length=12)
    tiers: TierLines = Field(default_factory=TierLines)  # 先进 / 后进 lines of the year's tiers
    appraisal: AppraisalRules = Field(default_factory=AppraisalRules)  # 每月测评, 季度自评

    @model_validator(mode="before")
    @classmethod
    def _retired_fields(cls, data: Any) -> Any:
        """Policies and period snapshots written before the one satisfaction formula carry per-choice
        villager points (`villager_scores`, 满意 100 / 基本满意 60 / 不满意 0): read, and left behind."""
        if isinstance(data, dict) and "villager_scores" in data:
            data = {k: v for k, v in data.items() if k != "villager_scores"}
        return data

    def rubric_max(self, *, branch: bool = False) -> int:
        return sum(i.max_points for i in (self.branch_rubric if branch else self.rubric))

    def peer_points(self, value: int) -> int:
        """A tapped value on the policy's scale → 0–100 (stars 1–5, or points as given)."""
        return STAR_POINTS[value] if self.peer_scale == PeerScale.stars else value


def problems(rules: PolicyRules) -> list[dict[str, str]]:
    """The rules that span fields, each as {field, message} in Chinese (empty: the rules are fine)."""
    out: list[dict[str, str]] = []
    w = rules.weights
    if w.peer + w.villager + w.assessment != 100:
        total = w.peer + w.villager + w.assessment
        out.append({"field": "weights", "message": f"党员互评、群众测评、组织考评的权重之和须为 100（现为 {total}）"})
    b = rules.branch_weights
    if b.members + b.villager + b.assessment != 100:
        total = b.members + b.villager + b.assessment
        out.append(
            {
                "field": "branch_weights",
                "message": f"党支部的党员平均分、群众测评、组织考评权重之和须为 100（现为 {total}）",
            }
        )
    checked = [("thresholds", "季度", 100.0)]
    if rules.year_combine == YearCombine.sum:  # a year by mean uses the quarter thresholds
        checked.append(("year_thresholds", "年度", 400.0))
    for name, label, limit in checked:
        t: Thresholds = getattr(rules, name)
        if not (t.star5 > t.star4 > t.star3 > t.star2):
            out.append(
                {
                    "field": name,
                    "message": f"{label}星级分数线须从五星到二星依次降低（现为 {_fmt(t)}）",
                }
            )
        if t.star5 > limit:
            out.append({"field": name, "message": f"{label}五星分数线不能超过满分 {limit:g}"})
    for name, label in (("rubric", "党员考评细则"), ("branch_rubric", "党支部考评细则")):
        items: list[RubricItem] = getattr(rules, name)
        keys = [i.key for i in items]
        if len(set(keys)) != len(keys):
            out.append({"field": name, "message": f"{label}的项目代码不能重复"})
        if len({i.label for i in items}) != len(items):
            out.append({"field": name, "message": f"{label}的项目名称不能重复"})
        if sum(1 for i in items if i.auto) > 1:
            out.append({"field": name, "message": f"{label}最多只能有一项由承诺践诺情况自动计分"})
    lines = rules.tiers
    if lines.advanced_stars <= lines.backward_stars:
        now = f"{lines.advanced_stars} / {lines.backward_stars}"
        out.append({"field": "tiers", "message": f"先进的星级线须高于后进的星级线（现为 {now}）"})
    if any(i.auto for i in rules.branch_rubric):
        out.append({"field": "branch_rubric", "message": "党支部考评细则不能自动计分"})
    ap = rules.appraisal
    if len({i.key for i in ap.slip_items}) != len(ap.slip_items) or len({i.label for i in ap.slip_items}) != len(
        ap.slip_items
    ):
        out.append({"field": "appraisal", "message": "测评票的项目代码和名称不能重复"})
    keys = [i.key for i in ap.self_rubric]
    if len(set(keys)) != len(keys) or len({i.label for i in ap.self_rubric}) != len(keys):
        out.append({"field": "appraisal", "message": "季度自评细则的项目代码和名称不能重复"})
    if any(i.auto for i in ap.self_rubric):
        out.append({"field": "appraisal", "message": "季度自评细则不能自动计分"})
    return out


def _fmt(t: Thresholds) -> str:
    return f"{t.star5:g} / {t.star4:g} / {t.star3:g} / {t.star2:g}"
