"""Erasure: the household's names, address, phone and notes are gone from every table, its figures stay,
and the phone drops its copy on the next pull."""

import uuid

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.models import Household
from tests.privacy.helpers import add_household, audit_rows, figures, find_everywhere, make_world
from tests.sync.helpers import PULL, apply, household, new_client_id, numbered, person, pull_all, push, statuses, visit

NAME = "Bùi Thị Xoan"
OLD_ADDRESS = "Số 17 hẻm Cây Gòn"
ADDRESS = "Số 19 hẻm Cây Gòn"
PHONE = "0913579246"
PERSON = "Bùi Văn Quýt"
NOTE = "Bà hay đi chợ buổi sáng"
LIST_NOTE = "Hộ nghèo năm 2023"
# A neighbour stays untouched: the search must find its values, or it could not fail.
OTHER_NAME = "Tạ Thị Nguyệt"


def _reports(client: TestClient, headers: dict[str, str], unit_id: int, campaign_id: int) -> list[object]:
    out = []
    for path in ("coverage", "progress"):
        for campaign in (0, campaign_id):
            r = client.get(
                f"/api/v1/reports/{path}", params={"unit_id": unit_id, "campaign_id": campaign}, headers=headers
            )
            assert r.status_code == 200, r.text
            out.append(figures(r.json()))
    r = client.get("/api/v1/reports/to-visit", params={"unit_id": unit_id, "limit": 100}, headers=headers)
    out.append(r.json()["counts"])
    return out


def test_erasure_leaves_no_trace_keeps_every_figure_and_phones_drop_the_household(
    client: TestClient, session: Session
) -> None:
    world = make_world(client, session)
    phone_client = new_client_id()
    hid, pid, vid = add_household(
        client,
        world,
        head=NAME,
        address=OLD_ADDRESS,
        phone=PHONE,
        person_name=PERSON,
        note=NOTE,
        client_id=phone_client,
    )
    other = add_household(
        client, world, head=OTHER_NAME, address="Số 2", person_name="Tạ Văn Nguyện", note="Ghi chú khác"
    )
    # The address changes once (the earlier one goes to the history) and the commune's list had a note.
    moved = household(world.tree.hamlet.id, hid=hid, head_name=NAME, address=ADDRESS, phone=PHONE)
    assert statuses(push(client, world.headers["volunteer"], phone_client, numbered([moved], start=4))) == ["applied"]
    session.get(Household, uuid.UUID(hid)).note = LIST_NOTE  # type: ignore[union-attr]
    session.commit()
    terms = [NAME, OLD_ADDRESS, ADDRESS, PHONE[1:], PERSON, NOTE, LIST_NOTE]
    assert {t for _, _, t in find_everywhere(session, terms)} == set(terms)

    phone: dict[tuple[str, str], dict[str, object]] = {}
    changes, cursor, _ = pull_all(client, world.headers["volunteer"])
    apply(phone, changes)
    assert ("household", hid) in phone and ("person", pid) in phone and ("visit", vid) in phone
    official = world.headers["commune_official"]
    before = _reports(client, world.headers["admin"], world.tree.province.id, world.campaign_id)

    r = client.post(
        f"/api/v1/households/{hid}/erase", json={"reason": "Chủ hộ yêu cầu ngày 02/12/2026"}, headers=official
    )
    assert r.status_code == 200, r.text
    assert r.json()["people"] == 1 and r.json()["visits"] == 1

    assert find_everywhere(session, terms) == []
    shown = client.get(f"/api/v1/households/{hid}", headers=official).json()
    assert (shown["head_name"], shown["erased"], [p["full_name"] for p in shown["people"]]) == (
        "Hộ đã xóa dữ liệu",
        True,
        [None],
    )
    searched = client.get("/api/v1/households", params={"q": "bui thi xoan"}, headers=official).json()
    assert searched["total"] == 0
    assert {t for _, _, t in find_everywhere(session, [OTHER_NAME, "Tạ Văn Nguyện", "Ghi chú khác"])} == {
        OTHER_NAME,
        "Tạ Văn Nguyện",
        "Ghi chú khác",
    }
    assert _reports(client, world.headers["admin"], world.tree.province.id, world.campaign_id) == before

    # The phone's next pull deletes its copy of the household, its person, statuses and visit.
    more, _, _ = pull_all(client, world.headers["volunteer"], cursor)
    apply(phone, more)
    assert not [key for key in phone if hid in key[1] or key[1] in (pid, vid)]
    assert ("household", other[0]) in phone

    [entry] = audit_rows(session, "erasure")
    assert (entry.household_id, entry.unit_id, entry.user_id) == (
        uuid.UUID(hid),
        world.tree.hamlet.id,
        world.users["commune_official"].id,
    )
    # A phone that still had the household in its outbox cannot write names back.
    again = household(world.tree.hamlet.id, hid=hid, head_name=NAME, address=ADDRESS)
    back = person(hid, pid=pid, full_name=PERSON)
    late = visit(hid, [], outcome="not_home", notes=NOTE)
    r = push(client, world.headers["volunteer"], phone_client, numbered([again, back, late], start=5))
    assert statuses(r) == ["rejected", "rejected", "rejected"]
    assert {x["code"] for x in r.json()["results"]} == {"household_erased"}
    assert find_everywhere(session, [NAME, PERSON]) == []
    assert (
        client.post(f"/api/v1/households/{hid}/erase", json={"reason": "lần hai"}, headers=official).status_code == 409
    )


def test_only_the_commune_official_of_the_unit_or_an_admin_erases(client: TestClient, session: Session) -> None:
    world = make_world(client, session)
    hid, _, _ = add_household(client, world, head=NAME, address=ADDRESS)
    body = {"reason": "Chủ hộ yêu cầu"}
    for role, code in [
        ("volunteer", "erasure_for_commune_officials"),
        ("team_leader", "erasure_for_commune_officials"),
        ("district_official", "erasure_for_commune_officials"),
        ("province_official", "erasure_for_commune_officials"),
        ("other_commune_official", "household_not_found"),
    ]:
        r = client.post(f"/api/v1/households/{hid}/erase", json=body, headers=world.headers[role])
        assert r.status_code in (403, 404), (role, r.text)
        assert r.json()["error"]["code"] == code, role
    r = client.post(f"/api/v1/households/{hid}/erase", json={"reason": ""}, headers=world.headers["admin"])
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid"
    assert audit_rows(session, "erasure") == []
    assert client.post(f"/api/v1/households/{hid}/erase", json=body, headers=world.headers["admin"]).status_code == 200
    assert client.get(PULL, headers=world.headers["volunteer"]).status_code == 200
