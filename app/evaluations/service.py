"""Villager ratings and suggestions: the package's surface for routes and for the domains above.

Each job is its own module; this one gathers the names used from outside the package, so boards
and the routes import one module (`from app.evaluations import service as evaluations_service`):

- `intake`: taking ratings and suggestions in from a board (one rating per device per pledge per
  period, bursts flagged, only salted hashes stored);
- `public`: what a board shows (aggregates from MIN_PUBLIC_RATINGS ratings up, approved
  suggestions, masked);
- `moderation`: the secretaries' queue of suggestions and flagged ratings;
- `summaries`: per-pledge and per-member summaries, aggregated and paged in SQL;
- `periods`: rating periods (calendar quarters in China time).

Abuse control without any third-party service: the HTTP side (device cookie, CSRF token, honeypot,
minimum fill time, rate limits) is in `dependencies.py`. Everything a board shows that changes here
calls `org_service.touch`, so cached pages go stale.
"""

from __future__ import annotations

from app.evaluations.branch import branch_satisfaction, public_branch_satisfaction
from app.evaluations.intake import (
    FeedbackProblem,
    PledgeRef,
    pledge_ref,
    rate,
    read_feedback,
    suggest,
    take_feedback,
)
from app.evaluations.moderation import moderate, rating_list, reply, review_rating, suggestion_queue
from app.evaluations.periods import period_of
from app.evaluations.public import (
    counted_by_pledge,
    pledge_suggestions,
    public_satisfaction,
    public_suggestions,
    public_suggestions_by_pledge,
)
from app.evaluations.summaries import member_summaries, pledge_summaries

__all__ = [
    "FeedbackProblem",
    "PledgeRef",
    "branch_satisfaction",
    "counted_by_pledge",
    "member_summaries",
    "moderate",
    "period_of",
    "pledge_ref",
    "pledge_suggestions",
    "pledge_summaries",
    "public_branch_satisfaction",
    "public_satisfaction",
    "public_suggestions",
    "public_suggestions_by_pledge",
    "rate",
    "rating_list",
    "read_feedback",
    "reply",
    "review_rating",
    "suggest",
    "suggestion_queue",
    "take_feedback",
]
