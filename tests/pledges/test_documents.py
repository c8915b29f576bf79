"""The 承诺书: a member's pledges of a year as one document, vetted at once by the branch through the
lifecycle engine (each pledge its own event), printed as A4 PDF one by one or for the branch, and the
signature recorded with an optional private photo (EXIF stripped)."""

from __future__ import annotations

import io

from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import select
from sqlmodel import Session, col

from app.core.time import today_local
from app.pledges import document, document_pdf
from app.pledges.models import PledgeEvent, PledgeStatus
from tests.factories import World
from tests.pledges.factories import actor_of, member_pledge

API = "/api/v1"
YEAR = today_local().year


def _doc_url(world: World, persona: str = "member", year: int = YEAR) -> str:
    return f"{API}/members/{getattr(world, persona).member_id}/pledge-documents/{year}"


def test_the_document_gathers_the_years_pledges_with_member_branch_group_post(
    client: TestClient, db: Session, world: World
) -> None:
    post = client.post(
        f"{API}/units/{world.branch.id}/posts",
        json={"name": "环境卫生监督岗", "duties": "巡查卫生", "pioneer": True},
        headers=world.secretary.headers,
    ).json()
    client.put(
        f"{API}/members/{world.member.member_id}/post", json={"post_id": post["id"]}, headers=world.secretary.headers
    )
    a = member_pledge(
        world, status=PledgeStatus.submitted, title="清扫主干道", post_id=post["id"], post="环境卫生监督岗"
    )
    b = member_pledge(world, status=PledgeStatus.published, title="照看留守老人")
    member_pledge(world, status=PledgeStatus.withdrawn, title="撤回的")
    member_pledge(world, status=PledgeStatus.submitted, title="去年的", year=YEAR - 1, due_date=None)
    for persona in ("member", "secretary", "committee_admin"):
        response = client.get(_doc_url(world), headers=getattr(world, persona).headers)
        assert response.status_code == 200, (persona, response.text)
    doc = client.get(_doc_url(world), headers=world.secretary.headers).json()
    assert doc["name"] == "党员甲"
    assert doc["branch_name"] == "大洼社区党支部"
    assert doc["group_name"] == "司山党小组"
    assert doc["post"] == "环境卫生监督岗"
    assert doc["pioneer_post"] is True
    assert [p["id"] for p in doc["pledges"]] == [a.id, b.id]  # not the withdrawn one, not last year's
    assert doc["pledges"][0]["post_duties"] == "巡查卫生"
    assert doc["submitted_count"] == 1
    assert doc["allowed_actions"] == ["print", "sign", "vet"]
    assert client.get(_doc_url(world), headers=world.member.headers).json()["allowed_actions"] == ["print"]
    # a group leader sees the member but not their document; the other branch does not see them
    assert client.get(_doc_url(world), headers=world.group_leader.headers).status_code == 403
    assert client.get(_doc_url(world), headers=world.outsider.headers).status_code == 404
    assert client.get(_doc_url(world), headers=world.anonymous.headers).status_code == 401


def test_vetting_the_whole_document_approves_each_pledge_with_its_own_event(
    client: TestClient, db: Session, world: World
) -> None:
    pledges = [member_pledge(world, status=PledgeStatus.submitted) for _ in range(3)]
    body = {"decision": "approve", "pledges": [{"pledge_id": p.id, "version": p.version} for p in pledges]}
    response = client.post(f"{_doc_url(world)}/vet", json=body, headers=world.secretary.headers)
    assert response.status_code == 200, response.text
    result = response.json()
    assert sorted(result["decided"]) == sorted(p.id for p in pledges)
    assert {p["status"] for p in result["document"]["pledges"]} == {"approved"}
    assert all(p["vetting"]["actor_name"] == "书记" for p in result["document"]["pledges"])
    events = db.execute(
        select(PledgeEvent.pledge_id, PledgeEvent.action).where(
            col(PledgeEvent.pledge_id).in_([p.id for p in pledges]), col(PledgeEvent.action) == "approve"
        )
    ).all()
    assert sorted(e[0] for e in events) == sorted(p.id for p in pledges)
    # nothing left to vet
    assert "vet" not in result["document"]["allowed_actions"]


def test_returning_the_document_needs_a_reason_and_is_all_or_nothing(client: TestClient, world: World) -> None:
    first, second = (member_pledge(world, status=PledgeStatus.submitted) for _ in range(2))
    items = [{"pledge_id": first.id, "version": first.version}, {"pledge_id": second.id, "version": second.version}]
    no_reason = client.post(
        f"{_doc_url(world)}/vet", json={"decision": "return", "pledges": items}, headers=world.secretary.headers
    )
    assert no_reason.status_code == 422
    stale = [items[0], {"pledge_id": second.id, "version": second.version - 1}]
    refused = client.post(
        f"{_doc_url(world)}/vet",
        json={"decision": "return", "reason": "请写清完成时限", "pledges": stale},
        headers=world.secretary.headers,
    )
    assert refused.status_code == 412
    doc = client.get(_doc_url(world), headers=world.secretary.headers).json()
    assert {p["status"] for p in doc["pledges"]} == {"submitted"}  # the first was not returned alone
    done = client.post(
        f"{_doc_url(world)}/vet",
        json={"decision": "return", "reason": "请写清完成时限", "pledges": items},
        headers=world.secretary.headers,
    ).json()
    assert {p["status"] for p in done["document"]["pledges"]} == {"draft"}
    assert {p["vetting"]["reason"] for p in done["document"]["pledges"]} == {"请写清完成时限"}


def test_nobody_vets_their_own_document_and_members_cannot_vet(client: TestClient, world: World) -> None:
    own = member_pledge(world, "secretary", status=PledgeStatus.submitted)
    body = {"decision": "approve", "pledges": [{"pledge_id": own.id, "version": own.version}]}
    response = client.post(f"{_doc_url(world, 'secretary')}/vet", json=body, headers=world.secretary.headers)
    assert response.status_code == 403
    assert (
        "vet" not in client.get(_doc_url(world, "secretary"), headers=world.secretary.headers).json()["allowed_actions"]
    )
    theirs = member_pledge(world, status=PledgeStatus.submitted)
    body = {"decision": "approve", "pledges": [{"pledge_id": theirs.id, "version": theirs.version}]}
    assert client.post(f"{_doc_url(world)}/vet", json=body, headers=world.member.headers).status_code == 403
    # a pledge of someone else is not in this document
    body = {"decision": "approve", "pledges": [{"pledge_id": own.id, "version": own.version}]}
    assert client.post(f"{_doc_url(world)}/vet", json=body, headers=world.secretary.headers).status_code == 404


def _gps_jpeg() -> bytes:
    image = Image.new("RGB", (80, 60), (120, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "TestCam"  # Make
    exif[0x0132] = "2026:03:01 10:00:00"  # DateTime
    buf = io.BytesIO()
    image.save(buf, format="JPEG", exif=exif)
    assert Image.open(io.BytesIO(buf.getvalue())).getexif()  # the upload carries EXIF
    return buf.getvalue()


def test_recording_the_signature_with_a_private_photo_without_exif(client: TestClient, world: World) -> None:
    member_pledge(world, status=PledgeStatus.published)
    response = client.post(
        f"{_doc_url(world)}/signed",
        data={"signed_on": str(today_local())},
        files={"photo": ("signed.jpg", _gps_jpeg(), "image/jpeg")},
        headers=world.secretary.headers,
    )
    assert response.status_code == 200, response.text
    signature = response.json()["signature"]
    assert signature["signed_on"] == str(today_local())
    assert signature["recorded_by_name"] == "书记"
    assert signature["has_photo"] is True
    photo = client.get(f"{_doc_url(world)}/photo", headers=world.member.headers)
    assert photo.status_code == 200
    stored = Image.open(io.BytesIO(photo.content))
    assert not stored.getexif()  # no EXIF, no GPS
    assert client.get(f"{_doc_url(world)}/photo", headers=world.group_leader.headers).status_code == 403
    assert client.get(f"{_doc_url(world)}/photo", headers=world.outsider.headers).status_code == 404
    # the member may not record it; a future day is refused
    assert client.post(f"{_doc_url(world)}/signed", headers=world.member.headers).status_code == 403
    future = client.post(
        f"{_doc_url(world)}/signed", data={"signed_on": f"{YEAR + 1}-01-01"}, headers=world.secretary.headers
    )
    assert future.status_code == 422


def test_a_member_without_pledges_has_nothing_to_sign(client: TestClient, world: World) -> None:
    response = client.post(f"{_doc_url(world)}/signed", headers=world.secretary.headers)
    assert response.status_code == 409
    assert response.json()["code"] == "document_empty"


def test_printing_one_document_and_the_whole_branch(client: TestClient, db: Session, world: World) -> None:
    member_pledge(world, status=PledgeStatus.published, title="清扫主干道")
    member_pledge(world, "group_leader", status=PledgeStatus.submitted, title="修好路灯")
    one = client.get(f"{_doc_url(world)}.pdf", headers=world.member.headers)
    assert one.status_code == 200
    assert one.headers["content-type"] == "application/pdf"
    assert one.content.startswith(b"%PDF")
    branch = client.get(
        f"{API}/units/{world.branch.id}/pledge-documents.pdf?year={YEAR}", headers=world.secretary.headers
    )
    assert branch.status_code == 200
    assert branch.content.startswith(b"%PDF")
    docs = document.documents_of_branch(db, actor=actor_of(db, world.secretary), unit_id=world.branch.id, year=YEAR)
    html = document_pdf.html(docs, title="承诺书")
    assert html.count('<table class="doc">') == 2  # one table per member with pledges (one layout each)
    assert "修好路灯" in html
    assert "清扫主干道" in html
    assert (
        client.get(
            f"{API}/units/{world.branch.id}/pledge-documents.pdf?year={YEAR}", headers=world.member.headers
        ).status_code
        == 403
    )


def test_the_branch_list_and_the_posts_without_a_pledge(client: TestClient, world: World) -> None:
    posts = [
        client.post(f"{API}/units/{world.branch.id}/posts", json={"name": name}, headers=world.secretary.headers).json()
        for name in ("环境卫生监督岗", "政策宣传岗")
    ]
    member_pledge(world, status=PledgeStatus.submitted, post_id=posts[0]["id"], post=posts[0]["name"])
    member_pledge(world, status=PledgeStatus.draft, post_id=posts[1]["id"], post=posts[1]["name"])  # a draft: not yet
    page = client.get(
        f"{API}/units/{world.branch.id}/pledge-documents?year={YEAR}&pending=true", headers=world.secretary.headers
    ).json()
    # the draft never submitted is not in the document yet
    assert [(r["name"], r["pledge_count"], r["submitted_count"]) for r in page["items"]] == [("党员甲", 1, 1)]
    coverage = client.get(
        f"{API}/units/{world.branch.id}/post-coverage?year={YEAR}&without_pledge=true", headers=world.secretary.headers
    ).json()
    assert [r["name"] for r in coverage["items"]] == ["政策宣传岗"]
    assert (
        client.get(f"{API}/units/{world.branch.id}/post-coverage?year={YEAR}", headers=world.member.headers).status_code
        == 403
    )
    assert (
        client.get(
            f"{API}/units/{world.branch.id}/pledge-documents?year={YEAR}", headers=world.outsider.headers
        ).status_code
        == 404
    )
