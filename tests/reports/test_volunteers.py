"""The team leader's day (`GET /reports/volunteers`): who may read it, each volunteer's figures counted
by hand on a small hamlet, and the households left with their reason."""

import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.auth.phone import normalize_phone
from app.auth.security import create_token
from app.models import AdminUnit, Campaign, Team, User, VolunteerArea
from tests.factories import Tree, make_campaign, make_team, make_tree, next_phone
from tests.reports.build import ALL_PROFICIENT, SKILLS, Field

DAY = {n: date(2024, 10, n) for n in range(1, 11)}
URL = "/api/v1/reports/volunteers"


@dataclass
class Teams:
    tree: Tree
    campaign: Campaign
    leader: User
    first: User
    second: User
    other_leader: User
    other_member: User
    team: Team
    other_team: Team
    homes: dict[str, uuid.UUID]
    synced_household: uuid.UUID


def make_user(
    session: Session, role: str, *, unit: AdminUnit | None = None, hamlets: list[AdminUnit] = (), name: str = "Cán bộ"
) -> User:  # type: ignore[assignment]
    """A user who never logs in with a password here (tokens are minted below): no Argon2 hash to pay for."""
    user = User(
        phone=normalize_phone(next_phone()),
        full_name=name,
        password_hash="-",
        role=role,
        unit_id=unit.id if unit else None,
    )
    session.add(user)
    session.flush()
    for hamlet in hamlets:
        session.add(VolunteerArea(user_id=user.id, hamlet_id=hamlet.id))
    session.flush()
    return user


def login(user: User) -> dict[str, str]:
    assert user.id is not None
    return {"Authorization": f"Bearer {create_token(user.id, 'access', user.credential_version)}"}


def _push(client: TestClient, headers: dict[str, str], seq: int, kind: str, data: dict[str, Any]) -> dict[str, Any]:
    body = {
        "client_id": "phone-of-first",
        "schema_version": 1,
        "mutations": [{"seq": seq, "id": data["id"], "kind": kind, "data": data}],
    }
    r = client.post("/api/v1/sync/push", json=body, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()["results"][0]  # type: ignore[no-any-return]


@pytest.fixture
def teams(client: TestClient, session: Session) -> Teams:
    """Campaign 01–10/10/2024 (threshold 1) over province 93.

    Team A, Khu vực 1 (hamlet): leader L; members V1, V2. Team B, Khu vực 2 (other_hamlet): leader L2,
    member V3. Both hamlets are in Phường I.

    Khu vực 1: h1 (p1, p2), h2 (p3), h3 (p4), h4 (never visited; V2's flagged visit does not count),
    h8 (not home), h5 (deleted), X (created by V1's phone after a refused first try).
    Khu vực 2: h6 (p5), h7.

    Visits: d1 V1 h1 met p1 all five proficient, p2 taught one; d1 V1 h2 not home; d2 V1 h8 not home;
    d3 V1 h3 met p4 proficient in three; d3 V2 h2 declined; d3 V2 h1 met p2 all five proficient;
    20/09 V2 h3 met (before the window); V2 h4 three days ahead (flagged, waits for review);
    d3 V3 h6 met p5 taught one.
    V1's phone: a household refused (outside the area) then sent again right (resolved), and a visit
    of an unknown household refused (waiting).
    """
    tree = make_tree(session)
    admin = make_user(session, "admin")
    campaign = make_campaign(session, unit=tree.province, threshold=1)
    leader = make_user(session, "team_leader", unit=tree.commune, hamlets=[tree.hamlet], name="Tổ trưởng A")
    first = make_user(session, "volunteer", unit=tree.commune, hamlets=[tree.hamlet], name="Tổ viên Một")
    second = make_user(session, "volunteer", unit=tree.commune, hamlets=[tree.hamlet], name="Tổ viên Hai")
    other_leader = make_user(session, "team_leader", unit=tree.commune, hamlets=[tree.other_hamlet], name="Tổ trưởng B")
    other_member = make_user(session, "volunteer", unit=tree.commune, hamlets=[tree.other_hamlet], name="Tổ viên Ba")
    team = make_team(session, unit=tree.hamlet, leader=leader, members=[first, second])
    other_team = make_team(session, unit=tree.other_hamlet, leader=other_leader, members=[other_member])

    office = Field(session, admin)
    homes = {
        "h1": office.household(tree.hamlet, head="Hộ Một", address="Số 1"),
        "h2": office.household(tree.hamlet, head="Hộ Hai", address="Số 2"),
        "h3": office.household(tree.hamlet, head="Hộ Ba", address="Số 3"),
        "h4": office.household(tree.hamlet, head="Hộ Bốn", address="Số 4"),
        "h5": office.household(tree.hamlet, head="Hộ Năm", address="Số 5"),
        "h8": office.household(tree.hamlet, head="Hộ Tám", address="Số 8"),
        "h6": office.household(tree.other_hamlet, head="Hộ Sáu", address="Số 6"),
        "h7": office.household(tree.other_hamlet, head="Hộ Bảy", address="Số 7"),
    }
    p1, p2 = office.person(homes["h1"]), office.person(homes["h1"])
    office.person(homes["h2"])
    p4 = office.person(homes["h3"])
    p5 = office.person(homes["h6"])
    office.update_household(homes["h5"], deleted=True)

    one, two, three = Field(session, first), Field(session, second), Field(session, other_member)
    c = campaign
    one.visit(homes["h1"], DAY[1], campaign=c, skills={p1: ALL_PROFICIENT, p2: {"public_services": "taught"}})
    one.visit(homes["h2"], DAY[1], "not_home", campaign=c, hour=10)
    one.visit(homes["h8"], DAY[2], "not_home", campaign=c)
    one.visit(homes["h3"], DAY[3], campaign=c, skills={p4: dict.fromkeys(SKILLS[:3], "proficient")})
    two.visit(homes["h2"], DAY[3], "declined", campaign=c)
    two.visit(homes["h1"], DAY[3], campaign=c, skills={p2: ALL_PROFICIENT}, hour=11)
    two.visit(homes["h3"], date(2024, 9, 20), campaign=c)
    two.visit(homes["h4"], date.today() + timedelta(days=3), campaign=c)
    three.visit(homes["h6"], DAY[3], campaign=c, skills={p5: {"online_safety": "taught"}})
    session.commit()

    headers = login(first)
    synced = uuid.uuid4()
    household = {"id": str(synced), "hamlet_id": tree.far_hamlet.id, "head_name": "Hộ Chín", "address": "Số 9"}
    assert _push(client, headers, 1, "household.upsert", household)["status"] == "rejected"
    visit = {
        "id": str(uuid.uuid4()),
        "household_id": str(uuid.uuid4()),
        "visited_at": "2024-10-03T09:00:00+07:00",
        "outcome": "not_home",
    }
    assert _push(client, headers, 2, "visit.create", visit)["status"] == "rejected"
    fixed = {**household, "hamlet_id": tree.hamlet.id}
    assert _push(client, headers, 3, "household.upsert", fixed)["status"] == "applied"
    return Teams(tree, campaign, leader, first, second, other_leader, other_member, team, other_team, homes, synced)


def _get(client: TestClient, user: User, **params: Any) -> Any:
    return client.get(URL, params=params, headers=login(user))


def _rows(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {v["full_name"]: v for v in body["volunteers"]}


FIGURES = ("visits_today", "visits", "households_met", "people_proficient", "days_active")


def _figures(row: dict[str, Any]) -> tuple[int, ...]:
    return (*(row[k] for k in FIGURES), row["attention"]["rejected"], row["attention"]["flagged"])


def test_a_team_leader_sees_each_volunteer_of_their_team_counted_by_hand(client: TestClient, teams: Teams) -> None:
    r = _get(client, teams.leader, campaign_id=teams.campaign.id, day=DAY[3].isoformat())
    assert r.status_code == 200, r.text
    body = r.json()
    assert [t["name"] for t in body["teams"]] == [teams.team.name]
    # The team's leader first, then its members by name; nobody of the other team.
    assert [v["full_name"] for v in body["volunteers"]] == ["Tổ trưởng A", "Tổ viên Hai", "Tổ viên Một"]
    rows = _rows(body)
    # (today, campaign visits, households met, people proficient, days active, rejected, flagged)
    assert _figures(rows["Tổ viên Một"]) == (1, 4, 2, 1, 3, 1, 0)
    assert _figures(rows["Tổ viên Hai"]) == (2, 2, 1, 1, 1, 0, 1)
    assert _figures(rows["Tổ trưởng A"]) == (0, 0, 0, 0, 0, 0, 0)
    assert rows["Tổ viên Một"]["attention"]["total"] == 1
    assert rows["Tổ viên Hai"]["attention"]["total"] == 1
    assert rows["Tổ viên Một"]["last_sync_at"] is not None
    assert rows["Tổ viên Hai"]["last_sync_at"] is None
    assert rows["Tổ viên Một"]["last_visit_at"].startswith("2024-10-03T")
    assert rows["Tổ trưởng A"]["team_role"] == "leader"
    assert rows["Tổ viên Một"]["team_role"] == "member"
    assert rows["Tổ viên Một"]["team_ids"] == [teams.team.id]
    # Khu vực 1: h1 h2 h3 h4 h8 and the household the phone sent (h5 deleted); h1 and h3 met; h1 covered.
    assert body["totals"] == {
        "hamlets": 1,
        "households": 6,
        "households_visited": 2,
        "visited_pct": 33.3,
        "households_covered": 1,
        "covered_pct": 16.7,
        "households_left": 5,
    }
    assert body["day"] == "2024-10-03"
    assert body["covered_threshold"] == 1
    assert body["unit"] is None

    # All time counts the visit before the window, never the flagged one.
    body = _get(client, teams.leader, campaign_id=0, day=DAY[3].isoformat()).json()
    rows = _rows(body)
    assert _figures(rows["Tổ viên Hai"]) == (2, 3, 2, 1, 2, 0, 1)
    assert _figures(rows["Tổ viên Một"]) == (1, 4, 2, 1, 3, 1, 0)
    assert body["campaign"] is None

    # "Today" is today unless asked otherwise.
    body = _get(client, teams.leader, campaign_id=teams.campaign.id).json()
    assert date.fromisoformat(body["day"]) in {date.today(), date.today() + timedelta(days=1)}
    assert all(v["visits_today"] == 0 for v in body["volunteers"])


def test_households_left_with_their_reason_paginated(client: TestClient, teams: Teams) -> None:
    body = _get(client, teams.leader, campaign_id=teams.campaign.id, limit=2).json()
    left = body["households_left"]
    assert left["counts"] == {"not_visited": 2, "not_home": 1, "declined": 1, "not_covered": 1}
    assert left["total"] == 5
    assert [(i["head_name"], i["reason"]) for i in left["items"]] == [("Hộ Hai", "declined"), ("Hộ Ba", "not_covered")]
    page = _get(client, teams.leader, campaign_id=teams.campaign.id, limit=2, offset=2).json()["households_left"]
    assert [(i["head_name"], i["reason"]) for i in page["items"]] == [
        ("Hộ Bốn", "not_visited"),
        ("Hộ Tám", "not_home"),
    ]
    last = _get(client, teams.leader, campaign_id=teams.campaign.id, limit=2, offset=4).json()["households_left"]
    assert [(i["head_name"], i["reason"]) for i in last["items"]] == [("Hộ Chín", "not_visited")]
    revisit = _get(client, teams.leader, campaign_id=teams.campaign.id, reason="not_home").json()["households_left"]
    assert revisit["total"] == 1
    (item,) = revisit["items"]
    assert item["household_id"] == str(teams.homes["h8"])
    assert (item["visits"], item["last_outcome"], item["hamlet"]["name"]) == (1, "not_home", "Khu vực 1")
    never = _get(client, teams.leader, campaign_id=teams.campaign.id, reason="not_visited").json()["households_left"]
    assert sorted(i["household_id"] for i in never["items"]) == sorted(
        [str(teams.homes["h4"]), str(teams.synced_household)]
    )


def test_a_team_leader_reads_only_the_teams_they_lead_and_a_volunteer_nothing(client: TestClient, teams: Teams) -> None:
    r = _get(client, teams.leader, campaign_id=teams.campaign.id, team_id=teams.other_team.id)
    assert (r.status_code, r.json()["error"]["code"]) == (403, "outside_your_area")
    r = _get(client, teams.leader, campaign_id=teams.campaign.id, unit_id=teams.tree.other_hamlet.id)
    assert (r.status_code, r.json()["error"]["code"]) == (403, "outside_your_area")
    r = _get(client, teams.leader, campaign_id=teams.campaign.id, team_id=teams.team.id)
    assert r.status_code == 200 and len(r.json()["volunteers"]) == 3
    other = _get(client, teams.other_leader, campaign_id=teams.campaign.id, day=DAY[3].isoformat()).json()
    assert [v["full_name"] for v in other["volunteers"]] == ["Tổ trưởng B", "Tổ viên Ba"]
    assert _figures(_rows(other)["Tổ viên Ba"]) == (1, 1, 1, 0, 1, 0, 0)
    assert other["totals"]["households"] == 2
    assert other["households_left"]["counts"] == {"not_visited": 1, "not_home": 0, "declined": 0, "not_covered": 1}

    # A volunteer is refused, in the one error shape; so is nobody, and bad input.
    r = _get(client, teams.first, campaign_id=teams.campaign.id)
    assert r.status_code == 403
    assert set(r.json()["error"]) == {"code", "message", "message_en", "details"}
    assert r.json()["error"]["code"] == "forbidden"
    assert client.get(URL, params={"campaign_id": teams.campaign.id}).status_code == 401
    r = _get(client, teams.leader, campaign_id=999_999)
    assert (r.status_code, r.json()["error"]["code"]) == (404, "campaign_not_found")
    for bad in ({}, {"campaign_id": -1}, {"campaign_id": 1, "day": "03/10/2024"}, {"campaign_id": 1, "reason": "x"}):
        r = _get(client, teams.leader, **bad)
        assert r.status_code == 422, bad


def test_an_official_reads_every_team_of_their_unit_only(client: TestClient, session: Session, teams: Teams) -> None:
    tree = teams.tree
    official = make_user(session, "commune_official", unit=tree.commune)
    stranger = make_user(session, "commune_official", unit=tree.other_commune)
    district = make_user(session, "district_official", unit=tree.district)
    session.commit()
    body = _get(client, official, campaign_id=teams.campaign.id, day=DAY[3].isoformat()).json()
    assert body["unit"]["id"] == tree.commune.id
    assert [t["name"] for t in body["teams"]] == sorted([teams.team.name, teams.other_team.name])
    assert sorted(_rows(body)) == ["Tổ trưởng A", "Tổ trưởng B", "Tổ viên Ba", "Tổ viên Hai", "Tổ viên Một"]
    assert _figures(_rows(body)["Tổ viên Một"]) == (1, 4, 2, 1, 3, 1, 0)
    assert body["totals"]["households"] == 8 and body["totals"]["hamlets"] == 2
    assert body["households_left"]["total"] == 7
    # One team of the commune; a hamlet of it.
    one = _get(client, official, campaign_id=teams.campaign.id, team_id=teams.other_team.id).json()
    assert sorted(_rows(one)) == ["Tổ trưởng B", "Tổ viên Ba"]
    hamlet = _get(client, official, campaign_id=teams.campaign.id, unit_id=tree.hamlet.id).json()
    assert sorted(_rows(hamlet)) == ["Tổ trưởng A", "Tổ viên Hai", "Tổ viên Một"]
    # A district official reads the commune; an official of another commune does not, nor its teams.
    assert _get(client, district, campaign_id=teams.campaign.id, unit_id=tree.commune.id).status_code == 200
    for params in ({"unit_id": tree.commune.id}, {"team_id": teams.team.id}):
        r = _get(client, stranger, campaign_id=teams.campaign.id, **params)
        assert (r.status_code, r.json()["error"]["code"]) == (403, "outside_your_area"), params
    own = _get(client, stranger, campaign_id=teams.campaign.id).json()
    assert own["volunteers"] == [] and own["teams"] == [] and own["totals"]["households"] == 0
