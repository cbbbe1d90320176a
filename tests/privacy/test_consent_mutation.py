"""The phone records a household's consent offline: the sync `household.consent` mutation (docs/sync-v1.md)
goes through the consent endpoint's own path — scoped, validated, idempotent by (client_id, seq), audited."""

import uuid
from datetime import date, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.campaigns.service import VIETNAM
from app.models import Household
from app.privacy.notice import CURRENT_VERSION
from tests.privacy.helpers import add_household, audit_rows, make_world
from tests.sync.helpers import apply, household, new_client_id, numbered, pull_all, push, statuses

NAME = "Ninh Thị Quế"
PERSON = "Ninh Văn Toàn"
ADDRESS = "Số 17 hẻm Lò Rèn"


def consent(hid: str, state: str, *, at: str = "2026-01-05T10:15:00+07:00", **fields: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"id": hid, "state": state, "at": at}
    if state == "given":
        data["notice_version"] = CURRENT_VERSION
    data.update(fields)
    return {"id": hid, "kind": "household.consent", "data": data}


def _stored(session: Session, hid: str) -> Household:
    session.expire_all()
    found = session.get(Household, uuid.UUID(hid))
    assert found is not None
    return found


def test_a_withdrawal_recorded_offline_hides_names_everywhere_and_is_audited(
    client: TestClient, session: Session
) -> None:
    world = make_world(client, session)
    hid, pid, _ = add_household(client, world, head=NAME, address=ADDRESS, person_name=PERSON)
    volunteer = world.headers["volunteer"]
    phone: dict[tuple[str, str], dict[str, Any]] = {}
    changes, cursor, _ = pull_all(client, volunteer)
    apply(phone, changes)
    # The visit that added it recorded consent at the door.
    assert phone[("household", hid)]["consent"] == {"state": "given", "notice_version": "2026-01", "on": "2024-10-02"}

    device = new_client_id()
    r = push(client, volunteer, device, numbered([consent(hid, "withdrawn", at="2026-01-05T23:30:00+07:00")]))
    assert statuses(r) == ["applied"]
    stored = _stored(session, hid)
    # The day it happened at the door, in Vietnam.
    assert (stored.consent, stored.consent_on) == ("withdrawn", date(2026, 1, 5))
    [entry] = audit_rows(session, "consent")
    assert (entry.kind, entry.user_id, entry.unit_id, str(entry.household_id)) == (
        "withdrawn",
        world.users["volunteer"].id,
        world.tree.hamlet.id,
        hid,
    )

    # The same mutation again (its answer was lost): duplicate, nothing applied twice.
    assert statuses(push(client, volunteer, device, numbered([consent(hid, "withdrawn")]))) == ["duplicate"]
    assert len(audit_rows(session, "consent")) == 1

    more, cursor, _ = pull_all(client, volunteer, cursor)
    apply(phone, more)
    row = phone[("household", hid)]
    # The notice of the consent withdrawn stays named.
    assert row["consent"] == {"state": "withdrawn", "notice_version": "2026-01", "on": "2026-01-05"}
    assert (row["head_name"], row["address"]) == ("Hộ đã rút đồng ý", "")
    assert phone[("person", pid)]["full_name"] is None
    official = world.headers["commune_official"]
    assert client.get(f"/api/v1/households/{hid}", headers=official).json()["consent"] == "withdrawn"

    # Given again at the door, with the notice read out now: names come back on the next pull.
    again = consent(hid, "given", at="2026-01-09T08:00:00+07:00")
    assert statuses(push(client, volunteer, device, numbered([again], start=2))) == ["applied"]
    more, cursor, _ = pull_all(client, volunteer, cursor)
    apply(phone, more)
    row = phone[("household", hid)]
    assert row["consent"] == {"state": "given", "notice_version": CURRENT_VERSION, "on": "2026-01-09"}
    assert (row["head_name"], phone[("person", pid)]["full_name"]) == (NAME, PERSON)
    assert [e.kind for e in audit_rows(session, "consent")] == ["withdrawn", "given"]


def test_a_bad_consent_is_rejected_alone_and_the_batch_goes_on(client: TestClient, session: Session) -> None:
    world = make_world(client, session)
    hid, _, _ = add_household(client, world, head=NAME, address=ADDRESS)
    volunteer = world.headers["volunteer"]
    later = household(world.tree.hamlet.id, head_name="Phó Thị Hằng", address="Số 3")
    batch = [
        consent(hid, "maybe"),  # no such state
        consent(hid, "withdrawn", at="2026-01-05T10:15:00"),  # no time zone
        consent(hid, "given", notice_version="1999"),  # a notice that never existed
        consent(hid, "given", notice_version=None),  # given, but after reading which notice?
        {**consent(hid, "withdrawn"), "id": str(uuid.uuid4())},  # not this household's mutation
        consent(hid, "withdrawn", reason="x"),  # a field the kind does not have
        later,
    ]
    r = push(client, volunteer, new_client_id(), numbered(batch))
    assert statuses(r) == ["rejected"] * 6 + ["applied"]
    codes = [x["code"] for x in r.json()["results"][:6]]
    assert codes == ["invalid", "invalid", "unknown_notice_version", "unknown_notice_version", "invalid", "invalid"]
    for result in r.json()["results"][:6]:
        assert result["message"] and result["message_en"]
    assert r.json()["results"][0]["details"][0]["loc"] == ["data", "state"]
    assert _stored(session, hid).consent == "given"  # as the visit recorded it
    assert audit_rows(session, "consent") == []
    assert _stored(session, later["id"]).head_name == "Phó Thị Hằng"


def test_consent_outside_the_volunteers_hamlets_is_rejected(client: TestClient, session: Session) -> None:
    world = make_world(client, session)
    admin = world.headers["admin"]
    elsewhere = household(world.tree.other_hamlet.id, head_name="Lạc Thị Thu", address="Số 2")["data"]
    assert client.post("/api/v1/households", json=elsewhere, headers=admin).status_code == 201
    unknown = str(uuid.uuid4())
    r = push(
        client,
        world.headers["volunteer"],
        new_client_id(),
        numbered([consent(elsewhere["id"], "withdrawn"), consent(unknown, "withdrawn")]),
    )
    assert statuses(r) == ["rejected", "rejected"]
    # Another hamlet's household is "not found", as one that does not exist: existence never leaks.
    assert [x["code"] for x in r.json()["results"]] == ["household_not_found", "household_not_found"]
    assert _stored(session, elsewhere["id"]).consent == "unknown"  # added by an official, no visit yet
    assert audit_rows(session, "consent") == []


def test_an_old_consent_never_undoes_a_later_withdrawal(client: TestClient, session: Session) -> None:
    """Two phones: one withdrew on the 7th and synced; the other recorded consent on the 3rd, offline."""
    world = make_world(client, session)
    hid, _, _ = add_household(client, world, head=NAME, address=ADDRESS)
    withdrawn = consent(hid, "withdrawn", at="2026-01-07T09:00:00+07:00")
    assert statuses(push(client, world.headers["volunteer"], new_client_id(), numbered([withdrawn]))) == ["applied"]
    stale = consent(hid, "given", at="2026-01-03T09:00:00+07:00")
    r = push(client, world.headers["team_leader"], new_client_id(), numbered([stale]))
    assert statuses(r) == ["rejected"] and r.json()["results"][0]["code"] == "consent_withdrawn_later"
    assert _stored(session, hid).consent == "withdrawn"
    # A phone whose clock runs ahead records no day later than today.
    ahead = datetime.now(VIETNAM) + timedelta(days=30)
    future = consent(hid, "given", at=ahead.isoformat())
    assert statuses(push(client, world.headers["team_leader"], new_client_id(), numbered([future]))) == ["applied"]
    assert _stored(session, hid).consent_on == datetime.now(VIETNAM).date()


def test_an_erased_household_takes_no_consent(client: TestClient, session: Session) -> None:
    world = make_world(client, session)
    hid, _, _ = add_household(client, world, head=NAME, address=ADDRESS)
    erased = client.post(
        f"/api/v1/households/{hid}/erase", json={"reason": "Hộ yêu cầu"}, headers=world.headers["commune_official"]
    )
    assert erased.status_code == 200, erased.text
    r = push(client, world.headers["volunteer"], new_client_id(), numbered([consent(hid, "given")]))
    assert statuses(r) == ["rejected"] and r.json()["results"][0]["code"] == "household_erased"
