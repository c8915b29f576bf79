"""GET /pledges/vocabulary: the server's words for the PWA, read from the table and the labels."""

from __future__ import annotations

from fastapi.testclient import TestClient

from app.pledges import states
from app.pledges.models import CATEGORY_LABELS, OUTCOME_LABELS
from tests.factories import World
from tests.pledges.api import API, ok


def test_the_vocabulary_is_the_servers_table_and_labels(client: TestClient, world: World) -> None:
    assert client.get(f"{API}/pledges/vocabulary").status_code == 401
    r = client.get(f"{API}/pledges/vocabulary", headers=world.member.headers)
    v = ok(r)
    assert v["statuses"] == {s.value: label for s, label in states.STATUS_LABELS.items()}
    assert v["categories"] == {c.value: label for c, label in CATEGORY_LABELS.items()}
    assert v["outcomes"] == {o.value: label for o, label in OUTCOME_LABELS.items()}
    assert v["reason_required"] == ["cancel", "close", "reopen", "return", "review"]
    assert v["outcome_required"] == ["close"]
    assert v["actions"]["close"] == {
        "label": "销诺",
        "lifecycle": True,
        "who": "reviewer",
        "reason_required": True,
        "reason_asked": True,
        "reason_label": "核实意见",
        "outcome_required": True,
        "destructive": False,
        "confirm": states.CONFIRM["close"],
    }
    assert v["actions"]["progress"] == {
        "label": "践诺进展",
        "lifecycle": False,
        "who": None,
        "reason_required": False,
        "reason_asked": False,
        "reason_label": None,
        "outcome_required": False,
        "destructive": False,
        "confirm": states.CONFIRM["progress"],
    }
    rows = {(t["source"], t["action"]): t["target"] for t in v["transitions"]}
    assert rows == {(t.source.value, t.action.value): t.target.value for t in states.TRANSITIONS}
    assert rows[("published", "revise")] == "revising"
    assert v["status_sets"]["public"] == sorted(s.value for s in states.PUBLIC)

    # cached: the same for everyone, revalidated by its ETag
    assert r.headers["cache-control"] == "private, max-age=3600"
    again = client.get(
        f"{API}/pledges/vocabulary", headers={**world.secretary.headers, "If-None-Match": r.headers["etag"]}
    )
    assert again.status_code == 304
    assert again.headers["etag"] == r.headers["etag"]
