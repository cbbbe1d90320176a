from datetime import date
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, text
from sqlmodel import Session, col, select

from app.demo import seed
from app.models import (
    AdminUnit,
    AreaVersion,
    Campaign,
    HouseholdStatus,
    Team,
    TeamMember,
    UnitConversion,
    VolunteerArea,
)
from tests.reports.test_aggregates_match_raw import recompute, stored

SCALE = 0.02  # 400 households, 40 visited


def table_counts(session: Session) -> dict[str, Any]:
    tables = ["admin_unit", "app_user", "team", "team_member", "volunteer_area", "household", "person", "campaign"]
    tables += [
        "visit",
        "visit_skill",
        "household_status",
        "person_skill",
        "area_version",
        "unit_coverage",
        "unit_daily",
    ]
    conn = session.connection()
    return {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in tables}


def test_small_demo_seed_is_whole_consistent_and_idempotent(session: Session, client: TestClient) -> None:
    first = seed.seed_demo(session, scale=SCALE)
    after_first = table_counts(session)
    coverage_first = stored(session)

    totals = first.totals
    assert (totals["districts"], totals["communes"], totals["households"]) == (8, 75, 400)
    assert 75 * 3 <= totals["hamlets"] <= 75 * 8
    assert totals["visits"] >= 40
    assert first.inserted["visits"] == totals["visits"]

    # Every hamlet: a team with a leader, volunteers assigned, a change counter.
    hamlets = session.exec(
        select(AdminUnit.id, AdminUnit.name).where(AdminUnit.level == "hamlet", AdminUnit.province_code == "93")
    ).all()
    assert all(name.startswith(("Ấp ", "Khu vực ")) for _, name in hamlets)
    hamlet_ids = {i for i, _ in hamlets}
    led = session.exec(
        select(Team.unit_id).join(TeamMember, col(TeamMember.team_id) == Team.id).where(TeamMember.role == "leader")
    ).all()
    assert set(led) == hamlet_ids
    assert set(session.exec(select(VolunteerArea.hamlet_id)).all()) == hamlet_ids
    assert set(session.exec(select(AreaVersion.hamlet_id)).all()) == hamlet_ids

    # Visits went through the visit service: statuses derived, every aggregate equal to the raw rows.
    assert session.exec(select(func.count()).select_from(HouseholdStatus)).one() > 0
    assert coverage_first == recompute(session)
    # The first consent at the door becomes the household's own: the day of its earliest visit with
    # consent, whichever volunteer's visits were written first.
    first_consent = dict(
        session.execute(
            text("SELECT household_id, min(visited_on) FROM visit WHERE consent_given GROUP BY household_id")
        ).all()
    )
    consent = {
        h: (c, _day(on))
        for h, c, on in session.execute(text("SELECT id, consent, consent_on FROM household")).all()
        if c != "unknown"
    }
    assert first_consent and set(consent) == set(first_consent)
    assert all(consent[h] == ("given", _day(day)) for h, day in first_consent.items())

    second = seed.seed_demo(session, scale=SCALE)
    assert +second.inserted == {}
    assert table_counts(session) == after_first
    assert stored(session) == coverage_first
    assert second.totals == first.totals

    # The demo accounts log in and see their own corner of Hậu Giang.
    def me(phone: str) -> dict[str, Any]:
        token = client.post("/api/v1/auth/login", json={"phone": phone, "password": seed.PASSWORD}).json()
        return client.get("/api/v1/me", headers={"Authorization": f"Bearer {token['access_token']}"}).json()

    volunteer, leader, commune_official = me("0900000001"), me("0900000002"), me("0900000003")
    assert volunteer["user"]["role"] == "volunteer"
    assert [a["name"] for a in volunteer["area"]] == ["Khu vực 1", "Khu vực 2"]
    assert leader["teams"][0]["role"] == "leader"
    assert commune_official["unit"]["name"] == "Phường I"
    assert all(a["path"].startswith(commune_official["unit"]["path"]) for a in volunteer["area"] + leader["area"])
    assert me("0900000004")["unit"]["name"] == "Thành phố Vị Thanh"
    assert me("0900000005")["unit"]["name"] == "Tỉnh Hậu Giang"
    assert me("0900000006")["user"]["role"] == "admin"
    assert me("0900000007")["unit"]["name"] == "Thành phố Cần Thơ"

    # Today's Cần Thơ official sees the 2024 Hậu Giang drive under the 2025 communes, same totals.
    def coverage(phone: str, **params: Any) -> Any:
        token = client.post("/api/v1/auth/login", json={"phone": phone, "password": seed.PASSWORD}).json()
        headers = {"Authorization": f"Bearer {token['access_token']}"}
        r = client.get("/api/v1/reports/coverage", params=params, headers=headers)
        assert r.status_code == 200, r.text
        return r.json()

    campaign = session.exec(select(Campaign).where(Campaign.name == seed.CAMPAIGN_NAME)).one()
    counts = ("households", "households_visited", "households_covered", "visits", "people", "people_proficient_all")
    for campaign_id in (campaign.id, 0):
        before = coverage("0900000005", campaign_id=campaign_id)
        now = coverage("0900000007", campaign_id=campaign_id)
        assert now["unit"]["name"] == "Thành phố Cần Thơ" and now["child_level"] == "commune"
        assert {k: now["totals"][k] for k in counts} == {k: before["totals"][k] for k in counts}
        assert now["totals"]["skills"] == before["totals"]["skills"]
        assert now["totals"]["milestones"] == before["totals"]["milestones"]
        assert {k: sum(c[k] for c in now["children"]) for k in counts} == {k: now["totals"][k] for k in counts}
        assert all(c["unit"]["id"] for c in now["children"])  # no commune of old Hậu Giang was split
    assert before["totals"]["visits"] > 0
    # The national conversion table came with the unit lists.
    assert session.exec(select(func.count()).select_from(UnitConversion)).one() > 10_000


def _day(value: Any) -> date:
    """A date column read by a raw statement: a date on PostgreSQL, ISO text on SQLite."""
    return value if isinstance(value, date) else date.fromisoformat(value)
