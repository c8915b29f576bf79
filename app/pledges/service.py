"""The pledges package's public functions: what other packages (boards, evaluations, ratings, the
demo, the CLI) and their tests call. With `models` (tables, enums, labels), `schemas` (…Read /
…Public shapes) and `states` (the table, Action) it is the package's whole public surface; nothing
else in app/pledges is imported from outside the package (the app's wiring takes router, jobs, demo).

The work is done in modules with one job each:

- `access`: who may see a pledge and who may act on it (the one permission path for pledges);
- `rules`: overdue, public, "may own", personal vs collective — each defined once for Python and SQL;
- `states`: the transition table; `lifecycle`: the table applied through app.core.lifecycle;
- `drafting`: new drafts, edits, revisions; `progress`: progress reports, photos, notes;
- `queries`: lists, counts, the review queue, the timeline; `reads`: response shaping;
- `news`: notifications after a move, due-date reminders; `public`: what boards read.

Services take an explicit keyword-only `actor` (`app.core.permissions.SYSTEM` for jobs, the CLI and
the demo), flush and never commit: the request's session commits.
"""

from __future__ import annotations

from app.pledges.access import Located, check_media_access, get_pledge, member_ids_of, visible_pledge
from app.pledges.community import public_registered_pledges
from app.pledges.drafting import create_pledge, revise, update_draft
from app.pledges.lifecycle import act, publish_batch
from app.pledges.news import ReminderResult, send_reminders
from app.pledges.pairing import pairing_counts
from app.pledges.progress import add_note, add_progress, report_progress
from app.pledges.public import PublicPledges, public_pledges_for_units, public_timeline, public_year_of, public_years
from app.pledges.queries import counts, list_pledges, review_queue, timeline
from app.pledges.rules import is_overdue, is_public

__all__ = [
    "Located",
    "PublicPledges",
    "ReminderResult",
    "act",
    "add_note",
    "add_progress",
    "check_media_access",
    "counts",
    "create_pledge",
    "get_pledge",
    "is_overdue",
    "is_public",
    "list_pledges",
    "member_ids_of",
    "pairing_counts",
    "public_pledges_for_units",
    "public_registered_pledges",
    "public_timeline",
    "public_year_of",
    "public_years",
    "publish_batch",
    "report_progress",
    "review_queue",
    "revise",
    "send_reminders",
    "timeline",
    "update_draft",
    "visible_pledge",
]
