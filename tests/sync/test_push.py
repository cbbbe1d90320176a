"""Push: idempotent by (client_id, seq), one bad mutation never blocks the queue, every error code."""

from datetime import timedelta

import jwt
from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

from app.config import get_settings
from app.models import Household, Person, SyncClient, UnitCoverage, Visit
from app.models.base import utcnow
from tests.factories import aggregate, login, make_campaign, make_tree, make_user
from tests.sync.helpers import household, new_client_id, numbered, person, push, statuses, visit


def _volunteer(client: TestClient, session: Session):  # type: ignore[no-untyped-def]
    tree = make_tree(session)
    user = make_user(session, "volunteer", hamlets=[tree.hamlet])
    make_campaign(session, unit=tree.province)
    session.commit()
    return tree, user, login(client, user.phone)


def _count(session: Session, model: type) -> int:
    session.expire_all()
    return int(session.exec(select(func.count()).select_from(model)).one())


def test_a_batch_applies_once_and_a_resent_batch_is_duplicate(client: TestClient, session: Session) -> None:
    tree, _, headers = _volunteer(client, session)
    cid = new_client_id()
    h = household(tree.hamlet.id)
    p = person(h["id"])
    batch = numbered([h, p, visit(h["id"], [p["id"]])])
    r = push(client, headers, cid, batch)
    assert statuses(r) == ["applied"] * 3
    assert r.json()["last_seq"] == 3
    # The response was lost; the phone sends the same batch again.
    again = push(client, headers, cid, batch)
    assert statuses(again) == ["duplicate"] * 3
    assert (_count(session, Household), _count(session, Person), _count(session, Visit)) == (1, 1, 1)
    province = aggregate(session, UnitCoverage, (tree.province.id, 0))
    assert province is not None and (province.visits, province.people_proficient_all) == (1, 1)


def test_a_gap_stops_processing_and_the_rest_is_retry(client: TestClient, session: Session) -> None:
    tree, _, headers = _volunteer(client, session)
    cid = new_client_id()
    first, second, third = household(tree.hamlet.id), household(tree.hamlet.id), household(tree.hamlet.id)
    r = push(client, headers, cid, [{"seq": 1, **first}, {"seq": 3, **third}, {"seq": 4, **household(tree.hamlet.id)}])
    assert statuses(r) == ["applied", "retry", "retry"]
    assert r.json()["last_seq"] == 1
    assert _count(session, Household) == 1
    # Out of order inside a batch is fine: the server sorts by seq.
    r = push(client, headers, cid, [{"seq": 3, **third}, {"seq": 2, **second}])
    assert statuses(r) == ["applied", "applied"]
    assert r.json()["last_seq"] == 3
    assert _count(session, Household) == 3


def test_rejected_mutations_are_processed_and_never_block_the_ones_behind(client: TestClient, session: Session) -> None:
    tree, _, headers = _volunteer(client, session)
    cid = new_client_id()
    h = household(tree.hamlet.id)
    p = person(h["id"])
    bad_visit = visit(h["id"], [p["id"]])
    bad_visit["data"]["outcome"] = "maybe"
    mismatched = household(tree.hamlet.id)
    mismatched["id"] = household(tree.hamlet.id)["id"]
    batch = numbered(
        [
            household(tree.far_hamlet.id),  # outside the volunteer's area
            h,
            {"id": h["id"], "kind": "household.merge", "data": {}},
            bad_visit,
            mismatched,
            household(tree.hamlet.id, phone="123"),
            p,
            visit(h["id"], [p["id"]]),
        ]
    )
    r = push(client, headers, cid, batch)
    assert statuses(r) == ["rejected", "applied", "rejected", "rejected", "rejected", "rejected", "applied", "applied"]
    results = r.json()["results"]
    assert [x.get("code") for x in results if x["status"] == "rejected"] == [
        "outside_your_area",
        "unknown_kind",
        "invalid",
        "invalid",
        "invalid_phone",
    ]
    for x in results:
        if x["status"] == "rejected":
            assert x["message"] and x["message_en"] and x["message"] != x["message_en"]
    assert r.json()["last_seq"] == 8
    assert _count(session, Household) == 1 and _count(session, Visit) == 1
    session.expire_all()
    assert session.get(SyncClient, cid).last_seq == 8  # type: ignore[union-attr]
    # Processed, so it never blocks; resent after a lost answer, it gets the same rejection again
    # (not `duplicate`, which the phone would delete as done) and is still not applied.
    again = push(client, headers, cid, batch[:2])
    assert statuses(again) == ["rejected", "duplicate"]
    assert again.json()["results"][0]["code"] == "outside_your_area"
    assert again.json()["last_seq"] == 8 and _count(session, Household) == 1


def test_invalid_data_is_rejected_with_details(client: TestClient, session: Session) -> None:
    tree, _, headers = _volunteer(client, session)
    h = household(tree.hamlet.id, member_count=-1)
    r = push(client, headers, new_client_id(), numbered([h]))
    result = r.json()["results"][0]
    assert (result["status"], result["code"]) == ("rejected", "invalid")
    # The details name the field, for the "cần xử lý" list on the phone.
    assert result["details"][0]["loc"] == ["data", "member_count"]
    mismatched = household(tree.hamlet.id)
    mismatched["data"]["id"] = household(tree.hamlet.id)["id"]
    r = push(client, headers, new_client_id(), numbered([mismatched]))
    assert r.json()["results"][0]["code"] == "invalid"


def test_same_visit_id_with_other_content_is_id_reused(client: TestClient, session: Session) -> None:
    tree, _, headers = _volunteer(client, session)
    cid = new_client_id()
    h = household(tree.hamlet.id)
    p = person(h["id"])
    v = visit(h["id"], [p["id"]])
    assert statuses(push(client, headers, cid, numbered([h, p, v]))) == ["applied"] * 3
    changed = {**v, "data": {**v["data"], "notes": "Lần khác"}}
    r = push(client, headers, cid, numbered([changed, household(tree.hamlet.id)], start=4))
    assert statuses(r) == ["rejected", "applied"]
    assert r.json()["results"][0]["code"] == "id_reused"
    # The same visit from another installation (an imported outbox) is already there: duplicate.
    r = push(client, headers, new_client_id(), numbered([v]))
    assert statuses(r) == ["duplicate"]
    assert _count(session, Visit) == 1


def test_a_visit_to_a_household_outside_the_area_is_rejected(client: TestClient, session: Session) -> None:
    tree, _, headers = _volunteer(client, session)
    other = make_user(session, "volunteer", hamlets=[tree.far_hamlet])
    session.commit()
    h = household(tree.far_hamlet.id)
    assert statuses(push(client, login(client, other.phone), new_client_id(), numbered([h]))) == ["applied"]
    r = push(client, headers, new_client_id(), numbered([visit(h["id"], []), person(h["id"])]))
    assert statuses(r) == ["rejected", "rejected"]
    assert {x["code"] for x in r.json()["results"]} == {"household_not_found"}


def test_a_client_id_belongs_to_its_first_user(client: TestClient, session: Session) -> None:
    tree, _, headers = _volunteer(client, session)
    other = make_user(session, "volunteer", hamlets=[tree.hamlet])
    session.commit()
    cid = new_client_id()
    assert statuses(push(client, headers, cid, numbered([household(tree.hamlet.id)]))) == ["applied"]
    r = push(client, login(client, other.phone), cid, numbered([household(tree.hamlet.id)], start=2))
    assert r.status_code == 403 and r.json()["error"]["code"] == "client_owned_by_other_user"
    assert _count(session, Household) == 1


def test_schema_versions_older_and_newer_than_the_server(client: TestClient, session: Session) -> None:
    tree, _, headers = _volunteer(client, session)
    cid = new_client_id()
    old = push(client, headers, cid, numbered([household(tree.hamlet.id)]), schema_version=0)
    assert old.status_code == 426 and old.json()["error"]["code"] == "client_too_old"
    new = push(client, headers, cid, numbered([household(tree.hamlet.id)]), schema_version=2)
    assert new.status_code == 400 and new.json()["error"]["code"] == "client_too_new"
    assert _count(session, Household) == 0 and _count(session, SyncClient) == 0


def test_an_expired_or_forged_token_is_401_and_applies_nothing(client: TestClient, session: Session) -> None:
    tree, user, _ = _volunteer(client, session)
    settings = get_settings()
    now = utcnow()
    claims = {"sub": str(user.id), "type": "access", "iat": now - timedelta(hours=2), "exp": now - timedelta(hours=1)}
    expired = jwt.encode(claims, settings.secret_key, algorithm=settings.jwt_algorithm)
    forged = jwt.encode(
        {**claims, "exp": now + timedelta(hours=1)}, "not-the-secret-but-just-as-long-as-one-32", algorithm="HS256"
    )
    for token in (expired, forged):
        r = push(client, {"Authorization": f"Bearer {token}"}, new_client_id(), numbered([household(tree.hamlet.id)]))
        assert r.status_code == 401 and r.json()["error"]["code"] == "invalid_token"
    assert _count(session, Household) == 0 and _count(session, SyncClient) == 0


def test_envelope_limits(client: TestClient, session: Session) -> None:
    tree, _, headers = _volunteer(client, session)
    too_many = numbered([household(tree.hamlet.id) for _ in range(101)])
    assert push(client, headers, new_client_id(), too_many).status_code == 422
    huge = numbered([household(tree.hamlet.id, notes="x" * 1_100_000)])
    assert push(client, headers, new_client_id(), huge).status_code == 413
    assert push(client, headers, "bad id!", numbered([household(tree.hamlet.id)])).status_code == 422
    assert _count(session, Household) == 0
