"""The pledges' words for the PWA (GET /pledges/vocabulary): every label and the transition table,
read from states.py and models.py, so the frontend shows the server's words and copies no table.

Built once per process (it only changes with the code); its ETag is a hash of the content.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache

from app.pledges import states
from app.pledges.models import CATEGORY_LABELS, OUTCOME_LABELS
from app.pledges.schemas import ActionWord, PledgeVocabulary, TransitionWord

STATUS_SETS = {
    "public": states.PUBLIC,
    "active": states.ACTIVE,
    "due": states.DUE,
    "editable": states.EDITABLE,
    "awaiting_review": states.AWAITING_REVIEW,
    "final": states.FINAL,
}


@cache
def vocabulary() -> PledgeVocabulary:
    rows = states.TABLE.rows
    needs_reason = {r.action.value for r in rows if r.reason_required}
    needs_outcome = {r.action.value for r in rows if r.outcome_required}
    reason_labels = {r.action.value: r.reason_label for r in rows if r.reason_required}
    reason_labels.update({str(a): label for a, label in states.REASON_LABELS.items()})
    asked = needs_reason | {str(a) for a in states.REASON_ASKED}
    who = {a.value: w.value for a, w in states.TABLE.who.items()}
    return PledgeVocabulary(
        statuses={s.value: label for s, label in states.STATUS_LABELS.items()},
        actions={
            str(code): ActionWord(
                label=label,
                lifecycle=code in who,
                who=who.get(code),
                reason_required=code in needs_reason,
                reason_asked=code in asked,
                reason_label=reason_labels.get(str(code)),
                outcome_required=code in needs_outcome,
                destructive=code in states.DESTRUCTIVE,
                confirm=states.CONFIRM.get(code, ""),
            )
            for code, label in states.ACTION_LABELS.items()
        },
        categories={c.value: label for c, label in CATEGORY_LABELS.items()},
        outcomes={o.value: label for o, label in OUTCOME_LABELS.items()},
        reason_required=sorted(needs_reason),
        outcome_required=sorted(needs_outcome),
        transitions=[
            TransitionWord(
                source=r.source,
                action=r.action.value,
                target=r.target,
                who=r.who.value,
                reason_required=r.reason_required,
                outcome_required=r.outcome_required,
            )
            for r in rows
        ],
        status_sets={name: sorted(members) for name, members in STATUS_SETS.items()},
    )


@cache
def vocabulary_etag() -> str:
    body = json.dumps(vocabulary().model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
    return '"' + hashlib.sha256(body.encode()).hexdigest()[:16] + '"'
