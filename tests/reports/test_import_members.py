"""Roster import through the API: the template round trip, the report of a bad file (every problem by
row and column, nothing written), idempotent re-import, updates by re-import (a branch change is a
move), CSV encodings, the slips and their one-time passwords, and who may import where."""

from __future__ import annotations

import io
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlmodel import Session, col

from app.auth.models import Account
from app.core.permissions import Role
from app.members.models import Member, MemberStatus
from app.org.models import OrgUnit, RoleGrant, UnitKind
from tests.factories import World, create_member, create_unit, login
from tests.reports.importing import API, csv_text, member_row, post_file, problems, xlsx


def _count(db: Session) -> int:
    return int(db.execute(select(func.count()).select_from(Member)).scalar_one())


def _member(db: Session, phone: str) -> Member:
    member = db.execute(select(Member).where(col(Member.phone) == phone)).scalar_one()
    db.refresh(member)
    return member


def _roles(db: Session, account_id: int | None) -> set[tuple[str, int]]:
    rows = db.execute(
        select(col(RoleGrant.role), col(RoleGrant.unit_id)).where(
            col(RoleGrant.account_id) == account_id, col(RoleGrant.revoked_at).is_(None)
        )
    ).all()
    return {(str(r), int(u)) for r, u in rows}


def test_template_round_trip(client: TestClient, world: World, db: Session) -> None:
    r = client.get(f"{API}/imports/templates/members.xlsx", headers=world.secretary.headers)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/vnd.openxmlformats")
    workbook = load_workbook(io.BytesIO(r.content))
    sheet = workbook.worksheets[0]
    headers = [c.value for c in sheet[1]]
    assert headers[:4] == ["姓名", "性别", "手机号", "党支部"]
    assert sheet.freeze_panes == "A2"
    assert str(sheet["A2"].value).startswith("示例")
    lists = {str(v.sqref): v.formula1 for v in sheet.data_validations.dataValidation}
    assert len(lists) >= 5  # gender, role, consent, status, and the branch's own branches and groups
    options = workbook["选项"]
    assert options.sheet_state == "hidden"
    offered = {c.value for col_ in options.iter_cols() for c in col_}
    assert "测试镇党委/大洼社区党支部" in offered
    assert "司山党小组" in offered
    assert "花车村党支部" not in str(offered)  # another branch is not the secretary's
    filled = [
        [
            "王秀英",
            "女",
            "13912340001",
            "大洼社区党支部",
            "司山党小组",
            "政策宣传岗",
            "",
            date(1998, 7, 1),
            "党小组长",
            "是",
            "在册",
        ],
        ["李建国", "男", "139 1234 0002", "", "", "", "", "2005/3/12", "", "否", ""],
        [
            "赵德明",
            "",
            "+86 13912340003",
            "测试镇党委/大洼社区党支部",
            "",
            "",
            "党小组副组长",
            "",
            "监督小组成员",
            "",
            "",
        ],
    ]
    for row in filled:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    before = _count(db)
    checked = post_file(client, world.secretary.headers, out.getvalue())
    assert checked.status_code == 200, checked.text
    body = checked.json()
    assert body["ok"] is True, body["problems"]
    assert (body["created"], body["updated"], body["unchanged"], body["accounts"]) == (3, 0, 0, 3)
    assert "跳过了 1 行示例" in body["notes"][0]
    assert _count(db) == before  # a check writes nothing
    done = post_file(client, world.secretary.headers, out.getvalue(), action="confirm", key="round-trip")
    assert done.status_code == 200, done.text
    assert done.json()["committed"] is True
    assert len(done.json()["slips"]) == 3
    wang = _member(db, "13912340001")
    assert (wang.name, wang.gender, wang.branch_id, wang.group_id, wang.post) == (
        "王秀英",
        "female",
        world.branch.id,
        world.group.id,
        "政策宣传岗",
    )
    assert (wang.joined_date, wang.board_consent, wang.status) == (date(1998, 7, 1), True, MemberStatus.active)
    assert (Role.group_leader.value, world.group.id) in _roles(db, wang.account_id)
    li = _member(db, "13912340002")
    assert (li.branch_id, li.group_id, li.joined_date, li.board_consent) == (
        world.branch.id,
        None,
        date(2005, 3, 12),
        False,
    )
    zhao = _member(db, "13912340003")
    assert zhao.public_title == "党小组副组长"
    assert (Role.supervisor.value, world.branch.id) in _roles(db, zhao.account_id)


def _bad_world(world: World, db: Session) -> dict[str, OrgUnit]:
    """Besides the world: a general branch holding a second 同名党支部 (ambiguous by name), and another
    town with a branch and a member (outside the committee admin's scope)."""
    general = create_unit(db, kind=UnitKind.general_branch, name="第一党总支", parent=world.town)
    create_unit(db, kind=UnitKind.branch, name="同名党支部", parent=world.town)
    create_unit(db, kind=UnitKind.branch, name="同名党支部", parent=general)
    far_town = create_unit(db, kind=UnitKind.committee, name="外镇党委", parent=None)
    far_branch = create_unit(db, kind=UnitKind.branch, name="外镇党支部", parent=far_town)
    create_member(db, branch=far_branch, name="外镇党员", phone="13700000099")
    return {"far_branch": far_branch}


def test_a_file_with_every_kind_of_bad_row_gives_the_exact_report_and_writes_nothing(
    client: TestClient, world: World, db: Session
) -> None:
    _bad_world(world, db)
    rows = [
        member_row("", "13912340101"),  # 2: empty name
        member_row("甲", "12345"),  # 3: bad phone
        member_row("乙", "13912340103"),  # 4: fine
        member_row("丙", "13912340103"),  # 5: the phone of row 4 again
        member_row("丁", "13912340105", branch="不存在党支部", group=""),  # 6: unknown branch
        member_row("戊", "13912340106", branch="外镇党支部", group=""),  # 7: outside the committee's scope
        member_row("己", "13912340107", group="花车党小组"),  # 8: a group of another branch
        member_row("庚", "13700000099"),  # 9: the phone of a member elsewhere
        member_row("辛", "13912340109", joined="2001-02-30"),  # 10: no such day
        member_row("壬", "13912340110", role="队长"),  # 11: unknown role
        member_row("癸", "13912340111", post="=A1&B1"),  # 12: a formula
        member_row("子", "13912340112"),  # 13: merged cells (F13:G13)
        member_row("丑", "13912340113", gender="未知"),  # 14: bad gender
        member_row("寅", "13912340114", branch="同名党支部", group=""),  # 15: two branches of that name
        member_row("卯", "13912340115", consent="也许"),  # 16: neither yes nor no
        member_row("辰", "13912340116", role="党小组长", group=""),  # 17: a group leader without a group
        member_row("巳", "13912340117", branch="司山党小组", group=""),  # 18: a group is not a branch
        member_row("午", "13912340118", joined="2999-01-01"),  # 19: joined in the future
    ]
    data = xlsx(rows, merge=["F13:G13"])
    before = _count(db)
    r = post_file(client, world.committee_admin.headers, data, unit_id=world.town.id)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["ok"] is False
    assert problems(body) == [
        (2, "姓名", "required"),
        (3, "手机号", "bad_phone"),
        (5, "手机号", "duplicate_phone"),
        (6, "党支部", "unknown_unit"),
        (7, "党支部", "out_of_scope"),
        (8, "党小组", "group_not_in_branch"),
        (9, "手机号", "phone_elsewhere"),
        (10, "入党日期", "bad_date"),
        (11, "角色", "unknown_role"),
        (12, "岗位", "formula"),
        (13, "岗位", "merged"),
        (13, "公示职务", "merged"),
        (14, "性别", "bad_gender"),
        (15, "党支部", "ambiguous_unit"),
        (16, "同意公示", "bad_consent"),
        (17, "角色", "role_needs_group"),
        (18, "党支部", "not_a_branch"),
        (19, "入党日期", "bad_date"),
    ]
    by_row = {p["row"]: p for p in body["problems"]}
    assert (by_row[2]["cell"], by_row[2]["message"]) == ("A2", "必填，不能为空")
    assert by_row[5]["message"] == "与第 4 行的手机号重复"
    assert by_row[6]["message"] == "找不到党支部“不存在党支部”"
    assert by_row[8]["message"] == "党小组“花车党小组”不属于党支部“大洼社区党支部”"
    assert by_row[9]["message"] == "该手机号已登记给其他党支部的党员（不在您的管理范围内）"
    assert "2001-02-30" in by_row[10]["message"]
    assert "党员、党小组长、监督小组成员" in by_row[11]["message"]
    assert by_row[12]["cell"] == "F12"
    assert "测试镇党委/第一党总支/同名党支部" in by_row[15]["message"]
    assert body["message"].startswith("发现 18 处问题")
    # confirming the same file writes nothing either, and answers with the same report
    confirmed = post_file(client, world.committee_admin.headers, data, action="confirm", unit_id=world.town.id)
    assert confirmed.status_code == 422
    assert confirmed.json()["code"] == "import_has_problems"
    assert problems(confirmed.json()) == problems(body)
    assert confirmed.json()["errors"][0]["message"] == "第 2 行 姓名：必填，不能为空"
    assert _count(db) == before


def test_missing_columns_and_an_empty_file(client: TestClient, world: World) -> None:
    r = post_file(client, world.secretary.headers, xlsx([["张三"]], headers=["姓名", "电话号"]))
    assert problems(r.json()) == [(1, "手机号", "missing_column")]
    empty = post_file(client, world.secretary.headers, xlsx([]))
    assert problems(empty.json()) == [(None, None, "empty")]


def test_reimporting_the_same_file_changes_nothing_and_says_so(client: TestClient, world: World, db: Session) -> None:
    data = xlsx([member_row("周一", "13912340201"), member_row("周二", "13912340202", role="监督小组成员")])
    first = post_file(client, world.secretary.headers, data, action="confirm", key="first")
    assert first.status_code == 200, first.text
    assert first.json()["created"] == 2
    passwords = [s["initial_password"] for s in first.json()["slips"]]
    assert all(passwords)
    count = _count(db)
    grants = db.execute(select(func.count()).select_from(RoleGrant)).scalar_one()
    # the same request retried (a dropped connection): the first answer again, without the passwords
    replay = post_file(client, world.secretary.headers, data, action="confirm", key="first")
    assert replay.headers["idempotent-replayed"] == "true"
    assert replay.json()["created"] == 2
    assert replay.json()["slips_withheld"] is True
    assert [s["initial_password"] for s in replay.json()["slips"]] == [None, None]
    # the same file confirmed again as a new request: nothing to change
    again = post_file(client, world.secretary.headers, data, action="confirm", key="second")
    assert again.status_code == 200, again.text
    body = again.json()
    assert (body["created"], body["updated"], body["unchanged"], body["accounts"]) == (0, 0, 2, 0)
    assert "没有需要更改的内容" in body["message"]
    assert body["slips"] == []
    assert _count(db) == count
    assert db.execute(select(func.count()).select_from(RoleGrant)).scalar_one() == grants


def test_an_edited_file_updates_field_by_field_and_a_new_branch_is_a_move(
    client: TestClient, world: World, db: Session
) -> None:
    rows = [
        member_row("吴一", "13912340301"),
        member_row("吴二", "13912340302", role="党小组长"),
        member_row("吴三", "13912340303"),
    ]
    admin = world.committee_admin.headers
    assert post_file(client, admin, xlsx(rows), action="confirm", unit_id=world.town.id).status_code == 200
    second = _member(db, "13912340302")
    old_version = db.get(OrgUnit, world.branch.id).content_version  # type: ignore[union-attr]
    rows[0] = member_row("吴一", "13912340301", post="护河岗", consent="否")
    rows[1] = member_row("吴二", "13912340302", branch="花车村党支部", group="花车党小组", role="党小组长")
    rows[2] = member_row("吴三", "13912340303", role="监督小组成员", status="不在册")
    r = post_file(client, admin, xlsx(rows), unit_id=world.town.id)
    body = r.json()
    assert body["ok"] is True, body["problems"]
    assert (body["created"], body["updated"], body["unchanged"]) == (0, 3, 0)
    changes = {i["row"]: [(c["field"], c["before"], c["after"]) for c in i["changes"]] for i in body["items"]}
    assert changes[2] == [("岗位", "环境卫生监督岗", "护河岗"), ("同意公示", "是", "否")]
    assert changes[3] == [("党支部", "大洼社区党支部", "花车村党支部"), ("党小组", "司山党小组", "花车党小组")]
    assert changes[4] == [("状态", "在册", "不在册")]
    done = post_file(client, admin, xlsx(rows), action="confirm", unit_id=world.town.id)
    assert done.status_code == 200, done.text
    assert done.json()["slips"] == []
    first = _member(db, "13912340301")
    assert (first.post, first.board_consent) == ("护河岗", False)
    moved = _member(db, "13912340302")
    assert (moved.branch_id, moved.group_id) == (world.other_branch.id, world.other_group.id)
    # the move's rules: roles in the old branch ended, the member role and the group leadership anew
    assert _roles(db, second.account_id) == {
        (Role.member.value, world.other_branch.id),
        (Role.group_leader.value, world.other_group.id),
    }
    db.expire_all()
    assert db.get(OrgUnit, world.branch.id).content_version > old_version  # type: ignore[union-attr]
    third = _member(db, "13912340303")
    assert third.status == MemberStatus.inactive
    account = db.get(Account, third.account_id)
    assert account is not None
    assert account.disabled  # off the roll: the account stops, as in the app


@pytest.mark.parametrize(("encoding", "bom"), [("gb18030", b""), ("utf-8", b"\xef\xbb\xbf"), ("utf-8", b"")])
def test_csv_in_gb18030_and_utf8_with_or_without_bom(
    client: TestClient, world: World, db: Session, encoding: str, bom: bytes
) -> None:
    text = csv_text(
        [
            member_row("欧阳䶮", "13912340401", post="=1+1", title="@SUM(A1)"),
            member_row("钟馗", "13912340402", post="-2+3"),
        ]
    )
    data = bom + text.encode(encoding)
    r = post_file(client, world.secretary.headers, data, name="名册.csv")
    body = r.json()
    assert body["ok"] is True, body["problems"]
    assert body["file_format"] == "csv"
    assert body["encoding"] == {"gb18030": "GB18030", "utf-8": "UTF-8（带 BOM）" if bom else "UTF-8"}[encoding]
    assert post_file(client, world.secretary.headers, data, action="confirm", name="名册.csv").status_code == 200
    member = _member(db, "13912340401")
    # a CSV cell that looks like a formula is kept as the text it is
    assert (member.name, member.post, member.public_title) == ("欧阳䶮", "=1+1", "@SUM(A1)")
    assert _member(db, "13912340402").post == "-2+3"


def test_who_may_import_where(client: TestClient, world: World, db: Session) -> None:
    data = xlsx([member_row("郑一", "13912340501", branch="花车村党支部", group="")])
    # a secretary cannot import into another branch: the unit is not theirs (404) ...
    assert post_file(client, world.secretary.headers, data, unit_id=world.other_branch.id).status_code == 404
    # ... and a row naming it is a problem of that row
    r = post_file(client, world.secretary.headers, data)
    assert problems(r.json()) == [(2, "党支部", "out_of_scope")]
    assert post_file(client, world.member.headers, data, unit_id=world.branch.id).status_code == 403
    assert post_file(client, world.group_leader.headers, data, unit_id=world.branch.id).status_code == 403
    assert post_file(client, {}, data, unit_id=world.branch.id).status_code == 401
    # the committee imports anywhere in its subtree
    ok = post_file(client, world.committee_admin.headers, data, unit_id=world.town.id, action="confirm")
    assert ok.status_code == 200, ok.text
    assert _member(db, "13912340501").branch_id == world.other_branch.id
    # org units are the committee's
    units = xlsx(
        [["新党小组", "党小组", "测试镇党委/大洼社区党支部", ""]], headers=["名称", "类型", "上级组织", "排序"]
    )
    assert post_file(client, world.secretary.headers, units, kind="units", unit_id=world.branch.id).status_code == 403


def _pdf_text(data: bytes, tmp_path: Path) -> str:
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) is not installed")
    path = tmp_path / "slips.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def test_slips_pdf_has_one_slip_per_new_member_and_the_password_works_once(
    client: TestClient, world: World, db: Session, tmp_path: Path
) -> None:
    rows = [member_row(f"孙{i}", f"139123406{i:02d}") for i in range(1, 13)]
    done = post_file(client, world.secretary.headers, xlsx(rows), action="confirm")
    slips = done.json()["slips"]
    assert len(slips) == 12
    for slip in slips:  # never stored in clear
        account = db.execute(select(Account).where(col(Account.phone) == slip["login"])).scalar_one()
        assert slip["initial_password"] not in account.password_hash
        assert account.must_change_password is True
    body = {"slips": [{"member_id": s["member_id"], "initial_password": s["initial_password"]} for s in slips]}
    r = client.post(f"{API}/imports/slips.pdf", json=body, headers=world.secretary.headers)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/pdf"
    assert r.headers["cache-control"] == "no-store"
    text = _pdf_text(r.content, tmp_path)
    assert text.count("登录凭条（沿虚线剪下）") == 12
    for slip in slips:
        assert slip["initial_password"] in text
        assert slip["name"] in text
    # another branch's secretary cannot print them
    assert client.post(f"{API}/imports/slips.pdf", json=body, headers=world.outsider.headers).status_code == 404
    # the password signs in once and must be changed first
    first = slips[0]
    signed = login(client, first["login"], first["initial_password"])
    assert signed.status_code == 200, signed.text
    assert signed.json()["must_change_password"] is True
    token = {"Authorization": f"Bearer {signed.json()['access_token']}"}
    assert client.get(f"{API}/pledges", headers=token).json()["code"] == "password_change_required"
    changed = client.post(
        f"{API}/auth/password",
        json={"current_password": first["initial_password"], "new_password": "Mine-Own-2026"},
        headers=token,
    )
    assert changed.status_code == 204, changed.text
    assert login(client, first["login"], first["initial_password"]).status_code == 401
    # the slip is void now: it is no longer printed
    again = client.post(f"{API}/imports/slips.pdf", json={"slips": body["slips"][:1]}, headers=world.secretary.headers)
    assert again.status_code == 422
    assert again.json()["code"] == "slips_invalid"


def test_batch_create_keeps_the_rules_of_one_by_one(world: World, db: Session) -> None:
    """members.service.create_members (the import's batch path) refuses what create_member refuses,
    before it writes anything."""
    from app.core.errors import Conflict, NotFound
    from app.members import service as members_service
    from app.members.schemas import MemberCreate
    from app.org import service as org_service

    secretary = org_service.actor_for(db, world.secretary.account_id or 0)
    taken = MemberCreate(name="重号", phone=world.member.phone, branch_id=world.branch.id)  # type: ignore[arg-type]
    before = _count(db)
    with pytest.raises(Conflict):
        members_service.create_members(db, actor=secretary, data=[taken], password_hashes=["x"])
    elsewhere = MemberCreate(name="外支部", phone="13912349901", branch_id=world.other_branch.id)  # type: ignore[arg-type]
    with pytest.raises(NotFound):
        members_service.create_members(db, actor=secretary, data=[elsewhere], password_hashes=["x"])
    assert _count(db) == before
    fine = MemberCreate(name="新人", phone="13912349902", branch_id=world.branch.id, group_id=world.group.id)  # type: ignore[arg-type]
    [member] = members_service.create_members(db, actor=secretary, data=[fine], password_hashes=["hash"])
    assert member.account_id is not None
    assert _roles(db, member.account_id) == {(Role.member.value, world.branch.id)}


def test_lost_answer_slips_are_issued_again(client: TestClient, world: World, db: Session) -> None:
    """The confirm's answer was lost (the retry replays it without passwords): the importer asks for
    new slips for those members; the old passwords stop working, the new ones sign in once."""
    data = xlsx([member_row("陈一", "13912340701"), member_row("陈二", "13912340702")])
    key = {"Idempotency-Key": "new-slips"}
    first = post_file(client, world.secretary.headers, data, action="confirm", key="lost-answer").json()
    replay = post_file(client, world.secretary.headers, data, action="confirm", key="lost-answer").json()
    ids = [s["member_id"] for s in replay["slips"]]
    assert replay["slips_withheld"] is True
    url = f"{API}/imports/slips/reissue"
    r = client.post(url, json={"member_ids": ids}, headers={**world.secretary.headers, **key})
    assert r.status_code == 200, r.text
    assert r.headers["cache-control"] == "no-store"
    fresh = r.json()
    assert [s["member_id"] for s in fresh] == ids
    old, new = first["slips"][0], fresh[0]
    assert new["initial_password"] != old["initial_password"]
    assert login(client, old["login"], old["initial_password"]).status_code == 401
    signed = login(client, new["login"], new["initial_password"])
    assert signed.status_code == 200
    assert signed.json()["must_change_password"] is True
    # once signed in, a slip is not issued again (that would lock the member out of their change)
    again = client.post(url, json={"member_ids": ids[:1]}, headers=world.secretary.headers)
    assert again.status_code == 422
    assert "已登录过" in again.json()["errors"][0]["message"]
    # nor for another branch's secretary
    assert client.post(url, json={"member_ids": ids[1:]}, headers=world.outsider.headers).status_code == 404


def test_round_trip_through_the_roster_export_changes_nothing(client: TestClient, world: World, db: Session) -> None:
    """download → fill → import → export → import again: the same data. The export has no 角色 column
    and a file may carry only some columns: a column the file lacks leaves that field alone."""
    rows = [
        member_row("蒋一", "13912340801", role="党小组长", title="组长", joined=date(1990, 5, 4).isoformat()),
        member_row("蒋二", "13912340802", group="", gender="女", consent="否", role="监督小组成员"),
    ]
    assert post_file(client, world.secretary.headers, xlsx(rows), action="confirm").status_code == 200
    exported = client.get(
        f"{API}/exports/roster?unit_id={world.branch.id}&format=xlsx", headers=world.secretary.headers
    )
    assert exported.status_code == 200, exported.text
    again = post_file(client, world.secretary.headers, exported.content, name="花名册.xlsx")
    body = again.json()
    assert body["ok"] is True, body["problems"]
    assert (body["created"], body["updated"]) == (0, 0), [i for i in body["items"] if i["changes"]]
    assert body["unchanged"] >= 2
    # names and phones only: nothing else is touched
    slim = xlsx([["蒋一", "13912340801"], ["蒋二", "13912340802"]], headers=["姓名", "手机号"])
    assert post_file(client, world.secretary.headers, slim).json()["unchanged"] == 2
