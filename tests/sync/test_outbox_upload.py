"""An official uploads a phone's exported outbox: a preview, then applied exactly once through push."""

import json
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

from app.models import Household, Person, Visit
from tests.factories import login, make_campaign, make_tree, make_user
from tests.sync.helpers import household, new_client_id, numbered, person, push, statuses, visit

PREVIEW = "/api/v1/sync/outbox/preview"
APPLY = "/api/v1/sync/outbox/apply"


def _file(export: dict[str, Any]) -> dict[str, Any]:
    name = "tungnha-chua-dong-bo-2024-10-02.json"
    return {"file": (name, json.dumps(export).encode(), "application/json")}


def _count(session: Session, model: type) -> int:
    session.expire_all()
    return int(session.exec(select(func.count()).select_from(model)).one())


def test_an_official_previews_and_applies_a_phone_outbox_once(client: TestClient, session: Session) -> None:
    tree = make_tree(session)
    volunteer = make_user(session, "volunteer", unit=tree.commune, hamlets=[tree.hamlet], name="Lê Thị Thu")
    official = make_user(session, "commune_official", unit=tree.commune)
    neighbour = make_user(session, "commune_official", unit=tree.other_commune)
    make_campaign(session, unit=tree.province)
    session.commit()
    h = household(tree.hamlet.id, head_name="Trần Văn Sáu")
    p = person(h["id"])
    mutations = numbered(
        [h, p, visit(h["id"], [p["id"]]), household(tree.far_hamlet.id)]
        + [household(tree.hamlet.id, head_name=f"Hộ {i}") for i in range(3)]
    )
    export = {
        "client_id": new_client_id(),
        "user_phone": "0" + volunteer.phone[3:],
        "exported_at": "2024-10-02T10:00:00.000Z",
        "schema_version": 1,
        "mutations": list(reversed(mutations)),
    }
    headers = login(client, official.phone)

    r = client.post(PREVIEW, files=_file(export), headers=headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["volunteer"]["full_name"] == "Lê Thị Thu" and body["client_id"] == export["client_id"]
    assert body["counts"] == {"household.upsert": 5, "person.upsert": 1, "visit.create": 1}
    assert (body["total"], body["already_applied"], body["to_apply"]) == (7, 0, 7)
    named = {x["household_id"]: x for x in body["households"]}
    assert named[h["id"]]["head_name"] == "Trần Văn Sáu" and named[h["id"]]["mutations"] == 3
    assert body["household_count"] == 5
    assert _count(session, Household) == 0  # a preview writes nothing

    # Only an official over the volunteer's area, or an admin.
    for other in (neighbour, volunteer):
        r = client.post(PREVIEW, files=_file(export), headers=login(client, other.phone))
        assert r.status_code == 403, r.text
        r = client.post(APPLY, files=_file(export), headers=login(client, other.phone))
        assert r.status_code == 403, r.text

    r = client.post(APPLY, files=_file(export), headers=headers)
    assert r.status_code == 200, r.text
    done = r.json()
    assert done["counts"] == {"applied": 6, "duplicate": 0, "rejected": 1, "retry": 0}
    assert done["last_seq"] == 7
    rejected = [x for x in done["results"] if x["status"] == "rejected"]
    assert rejected[0]["seq"] == 4 and rejected[0]["code"] == "outside_your_area"
    assert (_count(session, Household), _count(session, Person), _count(session, Visit)) == (4, 1, 1)

    # Applied again: nothing twice.
    again = client.post(APPLY, files=_file(export), headers=headers).json()
    assert again["counts"] == {"applied": 0, "duplicate": 6, "rejected": 1, "retry": 0}
    assert (_count(session, Household), _count(session, Person), _count(session, Visit)) == (4, 1, 1)
    assert client.post(PREVIEW, files=_file(export), headers=headers).json()["already_applied"] == 7

    # The phone, back online, pushes the same entries: duplicates too.
    phone = login(client, volunteer.phone)
    assert statuses(push(client, phone, export["client_id"], mutations[:3])) == ["duplicate"] * 3


def test_bad_outbox_files(client: TestClient, session: Session) -> None:
    tree = make_tree(session)
    admin = make_user(session, "admin")
    session.commit()
    headers = login(client, admin.phone)
    good = {"client_id": new_client_id(), "user_phone": "0999999999", "schema_version": 1, "mutations": []}
    cases = [
        (b"not json", 422, "outbox_unreadable"),
        (json.dumps({"client_id": "x"}).encode(), 422, "outbox_unreadable"),
        (json.dumps(good).encode(), 404, "user_not_found"),
        (json.dumps({**good, "schema_version": 0}).encode(), 426, "client_too_old"),
    ]
    for content, status, code in cases:
        r = client.post(PREVIEW, files={"file": ("o.json", content, "application/json")}, headers=headers)
        assert (r.status_code, r.json()["error"]["code"]) == (status, code), r.text
    assert tree.hamlet.id is not None


def test_a_file_that_withdraws_consent_names_the_household_nowhere(client: TestClient, session: Session) -> None:
    """The phone recorded the withdrawal and could not sync: the preview of its file does not name the
    household, and applying it records the withdrawal as a push would."""
    tree = make_tree(session)
    volunteer = make_user(session, "volunteer", unit=tree.commune, hamlets=[tree.hamlet], name="Lê Thị Thu")
    official = make_user(session, "commune_official", unit=tree.commune)
    session.commit()
    h = household(tree.hamlet.id, head_name="Khúc Văn Tám", address="Số 8 ngõ Chùa")
    assert statuses(push(client, login(client, volunteer.phone), new_client_id(), numbered([h]))) == ["applied"]
    withdrawal = {
        "id": h["id"],
        "kind": "household.consent",
        "data": {"id": h["id"], "state": "withdrawn", "notice_version": None, "at": "2026-01-05T09:00:00+07:00"},
    }
    export = {
        "client_id": new_client_id(),
        "user_phone": volunteer.phone,
        "schema_version": 1,
        "mutations": numbered([withdrawal]),
    }
    headers = login(client, official.phone)
    r = client.post(PREVIEW, files=_file(export), headers=headers)
    assert r.status_code == 200, r.text
    assert r.json()["counts"] == {"household.consent": 1}
    assert "Khúc Văn Tám" not in r.text and "Số 8 ngõ Chùa" not in r.text
    assert r.json()["households"][0]["head_name"] == "Hộ đã rút đồng ý"
    done = client.post(APPLY, files=_file(export), headers=headers).json()
    assert done["counts"] == {"applied": 1, "duplicate": 0, "rejected": 0, "retry": 0}
    session.expire_all()
    assert session.exec(select(Household.consent)).one() == "withdrawn"
