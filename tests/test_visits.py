import uuid
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.errors import AppError
from app.models import HouseholdStatus, PersonSkill, UnitCoverage, UnitDaily, UnitSkill, Visit
from tests.factories import aggregate, login, make_campaign, make_tree, make_user, new_id

SKILLS = ["public_services", "online_shopping", "online_payment", "online_safety", "digital_platforms"]


def _setup(client: TestClient, session: Session):  # type: ignore[no-untyped-def]
    tree = make_tree(session)
    volunteer = make_user(session, "volunteer", hamlets=[tree.hamlet])
    campaign = make_campaign(session, unit=tree.province)
    session.commit()
    headers = login(client, volunteer.phone)
    household_id, person_id = new_id(), new_id()
    r = client.post(
        "/api/v1/households",
        json={
            "id": household_id,
            "hamlet_id": tree.hamlet.id,
            "address": "Số 5, Khu vực 1",
            "head_name": "Trần Thị Bé",
        },
        headers=headers,
    )
    assert r.status_code == 201, r.text
    r = client.post(
        "/api/v1/people",
        json={"id": person_id, "household_id": household_id, "full_name": "Trần Thị Bé", "birth_year": 1970},
        headers=headers,
    )
    assert r.status_code == 201, r.text
    return tree, campaign, headers, household_id, person_id


def _visit(household_id: str, person_id: str, level: str = "proficient", day: int = 2, **extra):  # type: ignore[no-untyped-def]
    return {
        "id": new_id(),
        "household_id": household_id,
        "visited_at": f"2024-10-0{day}T09:30:00+07:00",
        "outcome": "met",
        "consent_given": True,
        "consent_notice_version": "2024-1",
        "people": [{"person_id": person_id, "skills": dict.fromkeys(SKILLS, level), "milestones": ["vneid_level2"]}],
        **extra,
    }


def test_a_visit_updates_levels_status_and_every_level_of_aggregates(client: TestClient, session: Session) -> None:
    tree, campaign, headers, household_id, person_id = _setup(client, session)
    r = client.post("/api/v1/visits", json=_visit(household_id, person_id, campaign_id=campaign.id), headers=headers)
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "applied"
    status = session.exec(select(HouseholdStatus).where(HouseholdStatus.campaign_id == campaign.id)).one()
    assert status.proficient_people == 1
    assert str(status.covered_1_on) == "2024-10-02"
    assert status.covered_2_on is None
    for unit in (tree.hamlet, tree.commune, tree.district, tree.province):
        for scope in (0, campaign.id):
            row = aggregate(session, UnitCoverage, (unit.id, scope))
            assert row is not None, (unit.name, scope)
            assert (row.households_visited, row.households_covered_1, row.people_proficient_all) == (1, 1, 1)
        assert aggregate(session, UnitCoverage, (unit.id, 0)).households == 1  # type: ignore[union-attr]
    assert aggregate(session, UnitCoverage, (tree.other_commune.id, 0)) is None
    skill = aggregate(session, UnitSkill, (tree.province.id, campaign.id, "online_payment"))
    assert skill is not None and (skill.people_taught, skill.people_proficient) == (1, 1)
    daily = aggregate(session, UnitDaily, (tree.province.id, campaign.id, datetime(2024, 10, 2).date()))
    assert daily is not None and (daily.visits, daily.households_visited, daily.households_covered_1) == (1, 1, 1)
    detail = client.get(f"/api/v1/households/{household_id}", headers=headers).json()
    assert detail["people"][0]["skills"]["online_payment"] == "proficient"
    assert detail["status"]["covered"] is True


def test_same_visit_twice_changes_nothing_and_other_content_is_id_reused(client: TestClient, session: Session) -> None:
    tree, _, headers, household_id, person_id = _setup(client, session)
    visit = _visit(household_id, person_id)
    assert client.post("/api/v1/visits", json=visit, headers=headers).status_code == 201
    again = client.post("/api/v1/visits", json=visit, headers=headers)
    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    assert aggregate(session, UnitCoverage, (tree.province.id, 0)).visits == 1  # type: ignore[union-attr]
    changed = {**visit, "notes": "khác"}
    r = client.post("/api/v1/visits", json=changed, headers=headers)
    assert r.status_code == 409 and r.json()["error"]["code"] == "id_reused"


def test_levels_are_the_maximum_whatever_the_order(client: TestClient, session: Session) -> None:
    _, _, headers, household_id, person_id = _setup(client, session)
    proficient = _visit(household_id, person_id, "proficient", day=1)
    taught = _visit(household_id, person_id, "taught", day=3)
    for v in (proficient, taught):
        assert client.post("/api/v1/visits", json=v, headers=headers).status_code == 201
    levels = session.exec(select(PersonSkill.level).where(PersonSkill.campaign_id == 0)).all()
    assert levels == [2] * 5


def test_visit_outside_area_is_not_found_and_future_dates_are_flagged(client: TestClient, session: Session) -> None:
    tree, _, headers, household_id, person_id = _setup(client, session)
    other = make_user(session, "volunteer", hamlets=[tree.far_hamlet])
    session.commit()
    r = client.post("/api/v1/visits", json=_visit(household_id, person_id), headers=login(client, other.phone))
    assert r.status_code == 404 and r.json()["error"]["code"] == "household_not_found"
    future = _visit(household_id, person_id)
    future["visited_at"] = (datetime.now(UTC) + timedelta(days=3)).isoformat()
    r = client.post("/api/v1/visits", json=future, headers=headers)
    # Kept for review, never refused (a phone's wrong clock must not lose the visit), and counted nowhere.
    assert r.status_code == 201, r.text
    stored = session.get(Visit, uuid.UUID(future["id"]))
    assert stored is not None and (stored.review, stored.review_reason) == ("pending", "future")
    naive = {**_visit(household_id, person_id), "visited_at": "2024-10-02T09:30:00"}
    assert client.post("/api/v1/visits", json=naive, headers=headers).status_code == 422
    assert aggregate(session, UnitCoverage, (tree.province.id, 0)).visits == 0  # type: ignore[union-attr]


def test_deleting_a_household_takes_it_out_of_the_figures(client: TestClient, session: Session) -> None:
    tree, _, headers, household_id, person_id = _setup(client, session)
    assert client.post("/api/v1/visits", json=_visit(household_id, person_id), headers=headers).status_code == 201
    body = {"id": household_id, "hamlet_id": tree.hamlet.id, "address": "Số 5, Khu vực 1", "deleted": True}
    r = client.post("/api/v1/households", json=body, headers=headers)
    assert r.status_code == 200, r.text
    row = aggregate(session, UnitCoverage, (tree.province.id, 0))
    assert row is not None
    assert (row.households, row.households_visited, row.households_covered_1, row.people_proficient_all) == (0, 0, 0, 0)


def test_a_failed_savepoint_leaves_no_deltas_and_no_version_gap(client: TestClient, session: Session) -> None:
    from app.auth.scope import scope_for
    from app.households import service as households
    from app.models import AreaVersion, User
    from app.visits import service as visits
    from app.visits.schemas import VisitIn

    tree, _, _, household_id, person_id = _setup(client, session)
    user = session.exec(select(User).where(User.role == "volunteer")).first()
    assert user is not None
    scope = scope_for(session, user)
    before = session.get(AreaVersion, tree.hamlet.id).version  # type: ignore[union-attr]
    bad = VisitIn.model_validate({**_visit(household_id, person_id), "people": [{"person_id": new_id()}]})
    with pytest.raises(AppError) as refused, households.savepoint(session):
        visits.record_visit(session, actor=user, scope=scope, data=bad)
    assert refused.value.code == "person_not_in_household"
    good = VisitIn.model_validate(_visit(household_id, person_id))
    with households.savepoint(session):
        visits.record_visit(session, actor=user, scope=scope, data=good)
    session.commit()
    assert session.get(AreaVersion, tree.hamlet.id).version == before + 1  # type: ignore[union-attr]
    assert aggregate(session, UnitCoverage, (tree.province.id, 0)).visits == 1  # type: ignore[union-attr]


def test_a_campaign_counts_only_the_units_taking_part(client: TestClient, session: Session) -> None:
    from app.models import CampaignUnit

    tree, campaign, headers, household_id, person_id = _setup(client, session)
    session.add(CampaignUnit(campaign_id=campaign.id, unit_id=tree.other_commune.id))
    session.commit()
    r = client.post("/api/v1/visits", json=_visit(household_id, person_id, campaign_id=campaign.id), headers=headers)
    assert r.status_code == 422 and r.json()["error"]["code"] == "outside_campaign"
    session.add(CampaignUnit(campaign_id=campaign.id, unit_id=tree.commune.id))
    session.commit()
    r = client.post("/api/v1/visits", json=_visit(household_id, person_id, campaign_id=campaign.id), headers=headers)
    assert r.status_code == 201, r.text
