"""The arithmetic of a result, apart from the SQL that feeds it: combining parts by weight (a part
that does not count hands its weight to the others in proportion), the level from the thresholds,
and the Chinese explanation of how the level came out and what the next star needs (晋星).

Pure functions of numbers, so the worked example in the tests can follow every figure by hand.
Rounding is half-up to one decimal: each part's value first, then the total from the rounded parts
(floats, nudged so that a figure ending in 5 rounds up as a person would).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from app.ratings.models import STAR_LABELS
from app.ratings.rules import Thresholds

PART_LABELS = {
    "peer": "党员互评",
    "villager": "群众测评",
    "assessment": "组织考评",
    "members": "党员平均分",
}
BRANCH_PART_LABELS = {**PART_LABELS, "villager": "集体承诺群众测评", "assessment": "党委考评"}


# a value computed as x.x5 may land a hair below it in binary (2.675 → 2.67499…): nudged up before
# rounding, so half-up holds for every figure a person could compute by hand (scores are ≥ 0)
_NUDGE = 1e-9


def r1(value: float) -> float:
    """Half-up to one decimal (82.25 → 82.3), the same on every machine (IEEE doubles)."""
    return math.floor(value * 10 + 0.5 + _NUDGE) / 10


def r2(value: float) -> float:
    return math.floor(value * 100 + 0.5 + _NUDGE) / 100


# compute formats ~15 numbers per member, and a county's 50,000 members share a few thousand of them
# (scores have one decimal): each figure is spelled once and remembered (bounded)
_SPELLED: dict[float, str] = {}
_SPELLED_MAX = 65_536


def fmt(value: float) -> str:
    """82.0 → "82", 82.5 → "82.5" (a person's number)."""
    text = _SPELLED.get(value)
    if text is None:
        text = "%.1f" % value  # noqa: UP031 (the fastest spelling)
        if text.endswith(".0"):
            text = text[:-2]
        if len(_SPELLED) < _SPELLED_MAX:
            _SPELLED[value] = text
    return text


@dataclass(slots=True)
class Part:
    """One part of a result before weighting: `raw` on 0–100 (None: it does not count, `missing` says
    why), `count` of what it was made from, `note` how `raw` was made (Chinese)."""

    key: str
    weight: int
    raw: float | None
    count: int
    note: str = ""
    missing: str = ""


@dataclass(slots=True)
class Weighed:
    """A part after weighting: the weight used (percent, after spreading) and its share of the score."""

    part: Part
    weight_used: float
    score: float


@dataclass(slots=True)
class Outcome:
    parts: tuple[Weighed, ...]
    score: float
    stars: int
    explanation: str


def combine(parts: Sequence[Part]) -> tuple[list[Weighed], float]:
    """Weigh the parts that count; the weight of those that do not is spread over the rest in
    proportion to their own weights (w_used = w × 100 / Σ w of the counted parts). The score is
    Σ raw × w / Σ w, rounded half-up to one decimal."""
    counted = [p for p in parts if p.raw is not None and p.weight > 0]
    total_weight = sum(p.weight for p in counted)
    out: list[Weighed] = []
    exact = 0.0
    for p in parts:
        if p.raw is None or p.weight <= 0 or total_weight == 0:
            out.append(Weighed(p, 0.0, 0.0))
            continue
        share = p.raw * p.weight / total_weight
        exact += share
        out.append(Weighed(p, r2(p.weight * 100 / total_weight), r2(share)))
    return out, r1(exact)


def mean_raw(total: float | None, count: int) -> float | None:
    return None if not count or total is None else r1(float(total) / count)


def peer_raw(total: float | None, count: int, low: float | None, high: float | None, *, trimmed: bool) -> float | None:
    """The peers' mean; trimmed (去掉一个最高分和一个最低分) only from five reviewers up."""
    if not count or total is None:
        return None
    if trimmed and count >= 5 and low is not None and high is not None:
        return r1((float(total) - float(low) - float(high)) / (count - 2))
    return r1(float(total) / count)


def outcome(
    parts: Sequence[Part], thresholds: Thresholds, *, branch: bool = False, previous: int | None = None
) -> Outcome:
    weighed, score = combine(parts)
    stars = thresholds.stars(score)
    return Outcome(
        tuple(weighed), score, stars, explain(weighed, score, stars, thresholds, branch=branch, previous=previous)
    )


def explain(
    weighed: Sequence[Weighed],
    score: float,
    stars: int,
    thresholds: Thresholds,
    *,
    branch: bool = False,
    previous: int | None = None,
    scale: str = "分",
) -> str:
    """How the level came out, part by part, and what the next star needs (晋星)."""
    labels = BRANCH_PART_LABELS if branch else PART_LABELS
    counted = [w for w in weighed if w.part.raw is not None and w.part.weight > 0]
    lines: list[str] = []
    for w in weighed:
        p, label = w.part, labels[w.part.key]
        if p.raw is None or p.weight <= 0:
            if p.weight > 0:
                lines.append(f"{label}{p.missing or '无数据'}，不计入；其权重 {p.weight}% 按比例分给其余各项。")
            continue
        weight = (
            f"权重 {p.weight}%"
            if abs(w.weight_used - p.weight) < 0.005
            else f"权重 {p.weight}% → {fmt(w.weight_used)}%"
        )
        lines.append(f"{label} {fmt(p.raw)} 分（{p.note}），{weight}，计 {w.score:.2f} 分。")
    if not counted:
        lines.append("没有任何一项评价可以计入，总分按 0 分计。")
    level = STAR_LABELS[stars]
    if stars > 1:
        reach = thresholds.minimum(stars) or 0
        lines.append(f"总分 {fmt(score)} 分，达到{level}（{fmt(reach)} 分及以上）。")
    else:
        lines.append(f"总分 {fmt(score)} 分，低于二星分数线（{fmt(thresholds.star2)} 分），评为一星。")
    if previous is not None and previous != stars:
        lines.append(f"上期{STAR_LABELS[previous]}，本期{'晋星' if stars > previous else '降星'}。")
    lines.append(next_star(counted, score, stars, thresholds, branch=branch))
    return "".join(lines)


def next_star(
    counted: Sequence[Weighed], score: float, stars: int, thresholds: Thresholds, *, branch: bool = False
) -> str:
    """晋星: how far the next level is, and which part lifts the score most per point."""
    if stars >= 5:
        return "已是最高星级，保持即可。"
    target = thresholds.minimum(stars + 1) or 0
    gap = r1(target - score)
    text = f"晋星：距{STAR_LABELS[stars + 1]}（{fmt(target)} 分）还差 {fmt(gap)} 分"
    if counted:
        labels = BRANCH_PART_LABELS if branch else PART_LABELS
        # the weakest part with room to grow, by the score it would add if raised to full marks
        room = max(counted, key=lambda w: ((100 - (w.part.raw or 0)) * w.weight_used, w.part.key))
        gain = r1(10 * room.weight_used / 100)
        now = fmt(room.part.raw or 0)
        text += f"；{labels[room.part.key]}提升空间最大（现 {now} 分），每提高 10 分，总分约提高 {fmt(gain)} 分"
    return text + "。"
