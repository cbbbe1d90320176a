"""Implausible visits (too dense for a person to walk, or in the future) are kept, flagged, left out of
every figure until a team leader or official confirms them; a day's backlog synced at once is not."""

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.models import Visit
from tests.factories import login, make_team, make_tree, make_user
from tests.sync.helpers import household, new_client_id, numbered, person, push, statuses, visit

START = datetime(2024, 10, 2, 7, 0, tzinfo=UTC)


def _figures(client: TestClient, headers: dict[str, str], unit_id: int) -> dict[str, Any]:
    """Every figure of the coverage and progress reports (not the time they were generated; a day whose
    figures all went back to zero, as after a deletion, is the same as no day)."""
    out = {}
    for report in ("coverage", "progress"):
        r = client.get(f"/api/v1/reports/{report}", params={"unit_id": unit_id}, headers=headers)
        assert r.status_code == 200, r.text
        out[report] = {k: v for k, v in r.json().items() if k != "generated_at"}
    days = out["progress"].get("days", [])
    out["progress"]["days"] = [d for d in days if any(v for k, v in d.items() if k != "day")]
    return out


def _homes(client: TestClient, headers: dict[str, str], hamlet_id: int, n: int) -> list[tuple[str, str]]:
    homes = [household(hamlet_id) for _ in range(n)]
    people = [person(h["id"]) for h in homes]
    for start in range(0, n, 50):
        batch = homes[start : start + 50] + people[start : start + 50]
        assert set(statuses(push(client, headers, new_client_id(), numbered(batch)))) == {"applied"}
    return [(h["id"], p["id"]) for h, p in zip(homes, people, strict=True)]


def _setup(client: TestClient, session: Session):  # type: ignore[no-untyped-def]
    tree = make_tree(session)
    volunteer = make_user(session, "volunteer", unit=tree.commune, hamlets=[tree.hamlet])
    leader = make_user(session, "team_leader", unit=tree.commune, hamlets=[tree.hamlet])
    make_team(session, unit=tree.hamlet, leader=leader, members=[volunteer])
    official = make_user(session, "commune_official", unit=tree.commune)
    session.commit()
    return tree, login(client, volunteer.phone), login(client, leader.phone), login(client, official.phone)


def test_flagged_visits_change_no_figure_until_confirmed(client: TestClient, session: Session) -> None:
    tree, volunteer, leader, official = _setup(client, session)
    homes = _homes(client, volunteer, tree.hamlet.id, 21)
    empty = _figures(client, official, tree.commune.id)
    # 20 calls 30 s apart (each sent on its own): more than one a minute, sustained over 20 visits.
    for i, (hid, pid) in enumerate(homes[:20]):
        at = (START + timedelta(seconds=30 * i)).isoformat()
        r = client.post("/api/v1/visits", json=visit(hid, [pid], visited_at=at)["data"], headers=volunteer)
        assert r.status_code == 201, r.text
        if i == 18:  # 19 visits in 9 minutes could still be a fast morning: counted so far
            assert _figures(client, official, tree.commune.id)["coverage"]["totals"]["visits"] == 19
    # A visit dated tomorrow (beyond the clock-skew allowance) is kept and flagged too.
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    hid, pid = homes[20]
    r = client.post("/api/v1/visits", json=visit(hid, [pid], visited_at=tomorrow)["data"], headers=volunteer)
    assert r.status_code == 201, r.text
    # The 20th made the whole run implausible: all 21 are kept, none counts.
    assert _figures(client, official, tree.commune.id) == empty
    stored = session.exec(select(Visit.review, Visit.review_reason)).all()
    assert sorted(stored) == [("pending", "future")] + [("pending", "too_dense")] * 20

    assert (
        client.get("/api/v1/visits/flagged", params={"unit_id": tree.commune.id}, headers=volunteer).status_code == 403
    )
    listed = client.get("/api/v1/visits/flagged", params={"unit_id": tree.commune.id}, headers=leader).json()
    assert listed["total"] == 21 and {v["review_reason"] for v in listed["items"]} == {"too_dense", "future"}
    first = listed["items"][0]
    assert first["hamlet_name"] == tree.hamlet.name and first["head_name"] == "Trần Thị Bé"
    elsewhere = make_user(session, "commune_official", unit=tree.other_commune)
    session.commit()
    r = client.post(f"/api/v1/visits/{first['id']}/confirm", headers=login(client, elsewhere.phone))
    assert r.status_code == 404
    r = client.post(f"/api/v1/visits/{first['id']}/confirm", headers=volunteer)
    assert r.status_code == 403

    r = client.post(f"/api/v1/visits/{first['id']}/confirm", headers=leader)
    assert r.status_code == 200 and r.json()["review"] == "confirmed", r.text
    confirmed = _figures(client, official, tree.commune.id)
    totals = confirmed["coverage"]["totals"]
    assert (totals["visits"], totals["households_visited"], totals["households_covered"]) == (1, 1, 1)
    # Confirming again changes nothing; the list holds the other 20.
    assert client.post(f"/api/v1/visits/{first['id']}/confirm", headers=official).status_code == 200
    assert _figures(client, official, tree.commune.id) == confirmed
    listed = client.get("/api/v1/visits/flagged", params={"unit_id": tree.hamlet.id}, headers=official).json()
    assert listed["total"] == 20 and first["id"] not in {v["id"] for v in listed["items"]}


def test_a_days_backlog_synced_at_once_is_not_flagged_but_a_dense_batch_is(
    client: TestClient, session: Session
) -> None:
    tree, volunteer, leader, official = _setup(client, session)
    homes = _homes(client, volunteer, tree.hamlet.id, 55)
    # A phone offline all day sends 30 visits in one push: a call every 15 minutes, all arriving now.
    backlog = [
        visit(hid, [pid], visited_at=(START + timedelta(minutes=15 * i)).isoformat())
        for i, (hid, pid) in enumerate(homes[:30])
    ]
    assert set(statuses(push(client, volunteer, new_client_id(), numbered(backlog)))) == {"applied"}
    assert session.exec(select(Visit).where(Visit.review == "pending")).all() == []
    before = _figures(client, official, tree.commune.id)
    assert before["coverage"]["totals"]["visits"] == 30
    # The next day, 25 calls 10 s apart in one push: applied (kept) but flagged, counting nothing.
    dense = [
        visit(hid, [pid], visited_at=(START + timedelta(days=1, seconds=10 * i)).isoformat())
        for i, (hid, pid) in enumerate(homes[30:])
    ]
    assert set(statuses(push(client, volunteer, new_client_id(), numbered(dense)))) == {"applied"}
    assert len(session.exec(select(Visit).where(Visit.review == "pending")).all()) == 25
    assert _figures(client, official, tree.commune.id) == before
    listed = client.get("/api/v1/visits/flagged", params={"unit_id": tree.hamlet.id}, headers=leader).json()
    assert listed["total"] == 25
