"""export.xlsx: opens with openpyxl, one row per member with the breakdown, the secretary's only
with their branch, nobody outside it."""

from __future__ import annotations

import io

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlmodel import Session

from app.core.db import pk
from app.core.permissions import SYSTEM
from app.members.models import Member
from app.pledges import history
from app.ratings.compute import compute_results
from app.ratings.export import MEMBER_HEADER
from tests.factories import World
from tests.ratings.results_factories import assess, make_period, review


def test_export_rows(client: TestClient, db: Session, world: World) -> None:
    a = db.get(Member, world.member.member_id)
    b = db.get(Member, world.group_leader.member_id)
    period = make_period(db, world.town)
    review(db, period, a, [(b, 75)])
    assess(db, period, member=a, items={"political": 20, "pledges": 30, "role": 30, "reputation": 20})
    compute_results(db, period)
    url = f"/api/v1/rating-periods/{period.id}/export.xlsx"

    r = client.get(url, headers=world.committee_admin.headers)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
    assert "attachment" in r.headers["content-disposition"]
    wb = load_workbook(io.BytesIO(r.content), read_only=True)
    assert wb.sheetnames == ["党员星级", "党支部星级", "记录校验码"]
    rows = list(wb["党员星级"].iter_rows(values_only=True))
    assert rows[0][0] == "2026年第三季度星级评定结果（党员）"
    assert list(rows[1]) == MEMBER_HEADER
    body = rows[2:]
    assert len(body) == 6  # every active member of the town's three branches
    row_a = next(r for r in body if r[1] == "党员甲")
    # peer 75 (1 reviewer), no villager ratings (spread), assessment 100: (75 × 35 + 100 × 40) / 75 = 88.33 → 88.3
    assert row_a[0] == "大洼社区党支部"
    assert row_a[2:5] == (75.0, 1, 46.67)
    assert row_a[5:8] == (None, 0, 0.0)
    assert row_a[8:11] == (100.0, 53.33, 88.3)
    assert row_a[11:13] == ("四星", None)
    branches = list(wb["党支部星级"].iter_rows(values_only=True))[2:]
    assert {r[0] for r in branches} == {"大洼社区党支部", "花车村党支部", "机关党支部"}

    # the witnesses: the period's chain head, each branch's latest daily digest (docs/history.md)
    digests = list(wb["记录校验码"].iter_rows(values_only=True))
    assert digests[1][0] == "测评周期记录"
    assert {(r[0], r[1]) for r in digests[3:]} == {
        (n, "尚未生成") for n in ("大洼社区党支部", "花车村党支部", "机关党支部")
    }
    history.write_digests(db, actor=SYSTEM)
    again = load_workbook(io.BytesIO(client.get(url, headers=world.committee_admin.headers).content), read_only=True)
    lines = {r[0]: r for r in list(again["记录校验码"].iter_rows(values_only=True))[3:]}
    latest = history.latest_digest(db, pk(world.branch))
    assert latest is not None
    assert history.digest_of(latest) == f"记录校验码 {lines[world.branch.name][1]}，{lines[world.branch.name][2]}"
    assert lines[world.branch.name][3] == latest.digest

    mine = load_workbook(io.BytesIO(client.get(url, headers=world.secretary.headers).content), read_only=True)
    names = [r[1] for r in list(mine["党员星级"].iter_rows(values_only=True))[2:]]
    assert len(names) == 4
    assert "外支书" not in names
    assert client.get(url, headers=world.member.headers).status_code == 403
    assert pk(period)
