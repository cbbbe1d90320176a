"""Every definition of DESIGN §6 counted by hand on the scenario in conftest.py."""

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.models import Milestone, SkillLabel
from tests.factories import login, make_user
from tests.reports.conftest import Scenario

COUNTS = (
    "households",
    "households_visited",
    "households_covered",
    "households_covered_1",
    "households_covered_2",
    "households_not_home",
    "households_declined",
    "households_moved",
    "visits",
    "people",
    "people_taught",
    "people_proficient_all",
)


def _counts(figures: dict) -> tuple[int, ...]:  # type: ignore[type-arg]
    return tuple(figures[k] for k in COUNTS)


@pytest.fixture
def headers(client: TestClient, session: Session, scenario: Scenario) -> dict[str, str]:
    official = make_user(session, "province_official", unit=scenario.tree.province)
    session.commit()
    return login(client, official.phone)


def _get(client: TestClient, headers: dict[str, str], path: str, **params: object) -> dict:  # type: ignore[type-arg]
    r = client.get(f"/api/v1/reports/{path}", params=params, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


def test_coverage_of_the_province_by_district_for_the_campaign(
    client: TestClient, session: Session, scenario: Scenario, headers: dict[str, str]
) -> None:
    body = _get(client, headers, "coverage", unit_id=scenario.tree.province.id, campaign_id=scenario.campaign.id)
    #                       hh vis cov c1 c2 nh dec mov visits people taught prof
    assert _counts(body["totals"]) == (8, 3, 2, 2, 1, 1, 1, 1, 10, 8, 4, 3)
    assert body["totals"]["visited_pct"] == 37.5
    assert body["totals"]["covered_pct"] == 25.0
    assert body["totals"]["households_to_visit"] == 5
    assert body["totals"]["proficient_all_pct"] == 37.5
    assert body["covered_threshold"] == 1
    assert body["target"] == {"households": 8, "covered_threshold": 1, "people_proficient_all": 8}
    assert body["child_level"] == "district"
    assert [c["unit"]["name"] for c in body["children"]] == ["Thành phố Vị Thanh", "Huyện Vị Thuỷ"]
    vi_thanh, vi_thuy = body["children"]
    assert _counts(vi_thanh) == (6, 3, 2, 2, 1, 1, 1, 1, 10, 6, 4, 3)
    assert _counts(vi_thuy) == (2, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0)
    assert vi_thuy["visited_pct"] == 0.0
    skills = {s["skill_id"]: (s["people_taught"], s["people_proficient"]) for s in body["totals"]["skills"]}
    assert skills == {
        "public_services": (4, 3),
        "online_shopping": (4, 3),
        "online_payment": (3, 3),
        "online_safety": (3, 3),
        "digital_platforms": (3, 3),
    }
    assert [s["id"] for s in body["skills"]] == list(skills)
    assert body["skills"][0]["label_vi"] == "Sử dụng dịch vụ công trực tuyến"
    milestones = {m["milestone_id"]: m["people"] for m in body["totals"]["milestones"]}
    assert milestones == {"vneid_level2": 1, "public_service_account": 0, "payment_app": 1, "ecommerce_app": 0}
    assert [a["name"] for a in body["ancestors"]] == []
    assert body["campaign"]["id"] == scenario.campaign.id


def test_coverage_over_all_time_counts_visits_outside_any_campaign(
    client: TestClient, session: Session, scenario: Scenario, headers: dict[str, str]
) -> None:
    body = _get(client, headers, "coverage", unit_id=scenario.tree.province.id, campaign_id=0)
    assert body["campaign"] is None
    assert _counts(body["totals"]) == (8, 5, 4, 4, 1, 1, 1, 1, 12, 8, 6, 5)
    assert _counts(body["children"][1]) == (2, 2, 2, 2, 0, 0, 0, 0, 2, 2, 2, 2)
    skills = {s["skill_id"]: (s["people_taught"], s["people_proficient"]) for s in body["totals"]["skills"]}
    assert skills["online_shopping"] == (6, 5)


def test_threshold_two_counts_households_with_two_proficient_people(
    client: TestClient, session: Session, scenario: Scenario, headers: dict[str, str]
) -> None:
    scenario.campaign.covered_threshold = 2
    session.add(scenario.campaign)
    session.commit()
    body = _get(client, headers, "coverage", unit_id=scenario.tree.province.id, campaign_id=scenario.campaign.id)
    assert body["covered_threshold"] == 2
    assert body["totals"]["households_covered"] == 1
    assert body["totals"]["covered_pct"] == 12.5
    assert body["target"]["people_proficient_all"] == 16
    assert [c["households_covered"] for c in body["children"]] == [1, 0]


def test_commune_by_hamlet_and_a_hamlet_alone(client: TestClient, scenario: Scenario, headers: dict[str, str]) -> None:
    tree = scenario.tree
    body = _get(client, headers, "coverage", unit_id=tree.commune.id, campaign_id=scenario.campaign.id)
    assert [a["name"] for a in body["ancestors"]] == ["Tỉnh Hậu Giang", "Thành phố Vị Thanh"]
    assert body["child_level"] == "hamlet"
    kv1, kv2 = body["children"]
    assert kv1["unit"]["name"] == "Khu vực 1"
    assert _counts(kv1) == (2, 1, 1, 1, 1, 0, 1, 0, 4, 3, 2, 2)
    assert _counts(kv2) == (2, 1, 0, 0, 0, 1, 0, 0, 2, 2, 1, 0)
    hamlet = _get(client, headers, "coverage", unit_id=tree.other_hamlet.id, campaign_id=scenario.campaign.id)
    assert hamlet["children"] == [] and hamlet["child_level"] is None
    assert _counts(hamlet["totals"]) == _counts(kv2)
    # A unit where nothing happened has zeros, not an error.
    empty = _get(client, headers, "coverage", unit_id=tree.far_commune.id, campaign_id=scenario.campaign.id)
    assert _counts(empty["totals"]) == (2, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0)


def test_daily_progress_per_day_and_cumulative(
    client: TestClient, session: Session, scenario: Scenario, headers: dict[str, str]
) -> None:
    body = _get(client, headers, "progress", unit_id=scenario.tree.province.id, campaign_id=scenario.campaign.id)
    days = body["days"]
    assert [d["day"] for d in days] == [f"2024-10-{n:02d}" for n in range(1, 11)]
    assert [d["visits"] for d in days] == [1, 3, 1, 1, 1, 2, 1, 0, 0, 0]
    assert [d["households_visited"] for d in days] == [1, 2, 0, 0, 0, 0, 0, 0, 0, 0]
    assert [d["households_covered"] for d in days] == [1, 0, 0, 0, 0, 1, 0, 0, 0, 0]
    assert [d["people_proficient_all"] for d in days] == [1, 0, 1, 0, 0, 1, 0, 0, 0, 0]
    assert [d["cumulative_visits"] for d in days] == [1, 4, 5, 6, 7, 9, 10, 10, 10, 10]
    assert [d["cumulative_households_visited"] for d in days] == [1, 3, 3, 3, 3, 3, 3, 3, 3, 3]
    assert [d["cumulative_households_covered"] for d in days] == [1, 1, 1, 1, 1, 2, 2, 2, 2, 2]
    assert [d["cumulative_people_proficient_all"] for d in days] == [1, 1, 2, 2, 2, 3, 3, 3, 3, 3]
    assert days[-1]["cumulative_visited_pct"] == 37.5
    assert body["households"] == 8

    scenario.campaign.covered_threshold = 2
    session.add(scenario.campaign)
    session.commit()
    body = _get(client, headers, "progress", unit_id=scenario.tree.province.id, campaign_id=scenario.campaign.id)
    assert [d["households_covered"] for d in body["days"]][:4] == [0, 0, 1, 0]
    assert body["days"][-1]["cumulative_households_covered"] == 1


def test_all_time_progress_runs_from_the_first_to_the_last_active_day(
    client: TestClient, session: Session, scenario: Scenario, headers: dict[str, str]
) -> None:
    body = _get(client, headers, "progress", unit_id=scenario.tree.province.id, campaign_id=0)
    days = body["days"]
    assert days[0]["day"] == "2024-09-20" and days[-1]["day"] == "2024-10-07"
    assert len(days) == 18
    assert (days[0]["visits"], days[0]["households_visited"], days[0]["households_covered"]) == (1, 1, 1)
    last = days[-1]
    coverage = _get(client, headers, "coverage", unit_id=scenario.tree.province.id, campaign_id=0)["totals"]
    assert last["cumulative_visits"] == coverage["visits"] == 12
    assert last["cumulative_households_visited"] == coverage["households_visited"] == 5
    assert last["cumulative_households_covered"] == coverage["households_covered"] == 4
    assert last["cumulative_people_proficient_all"] == coverage["people_proficient_all"] == 5


def test_households_to_visit_and_revisit_with_the_reason(
    client: TestClient, session: Session, scenario: Scenario, headers: dict[str, str]
) -> None:
    h = scenario.homes
    body = _get(client, headers, "to-visit", unit_id=scenario.tree.province.id, campaign_id=scenario.campaign.id)
    assert body["counts"] == {"not_visited": 3, "not_home": 1, "declined": 1}
    assert body["total"] == 5
    assert [(i["household_id"], i["reason"]) for i in body["items"]] == [
        (str(h["h2"]), "declined"),
        (str(h["h3"]), "not_home"),
        (str(h["h4"]), "not_visited"),
        (str(h["h6"]), "not_visited"),
        (str(h["h7"]), "not_visited"),
    ]
    first = body["items"][0]
    assert (first["head_name"], first["address"], first["hamlet"]["name"]) == ("Lê Thị Hai", "Số 2", "Khu vực 1")
    assert (first["visits"], first["last_outcome"]) == (2, "declined")

    page = _get(
        client,
        headers,
        "to-visit",
        unit_id=scenario.tree.province.id,
        campaign_id=scenario.campaign.id,
        reason="not_visited",
        limit=2,
        offset=1,
    )
    assert page["total"] == 3
    assert [i["household_id"] for i in page["items"]] == [str(h["h6"]), str(h["h7"])]

    scenario.campaign.covered_threshold = 2
    session.add(scenario.campaign)
    session.commit()
    body = _get(client, headers, "to-visit", unit_id=scenario.tree.province.id, campaign_id=scenario.campaign.id)
    assert body["counts"]["not_covered"] == 1
    assert (str(h["h5"]), "not_covered") in [(i["household_id"], i["reason"]) for i in body["items"]]

    all_time = _get(client, headers, "to-visit", unit_id=scenario.tree.province.id, campaign_id=0)
    assert all_time["counts"] == {"not_visited": 1, "not_home": 1, "declined": 1}


def test_unknown_unit_and_campaign(client: TestClient, session: Session, scenario: Scenario) -> None:
    admin = make_user(session, "admin")
    session.commit()
    headers = login(client, admin.phone)
    r = client.get("/api/v1/reports/coverage", params={"unit_id": 999999}, headers=headers)
    assert r.status_code == 404 and r.json()["error"]["code"] == "unit_not_found"
    r = client.get(
        "/api/v1/reports/coverage",
        params={"unit_id": scenario.tree.province.id, "campaign_id": 999999},
        headers=headers,
    )
    assert r.status_code == 404 and r.json()["error"]["code"] == "campaign_not_found"
    r = client.get("/api/v1/reports/coverage", headers=headers)
    assert r.status_code == 422 and r.json()["error"]["code"] == "unit_required"


def test_reports_use_the_province_wording_of_the_catalogue(
    client: TestClient, session: Session, scenario: Scenario, headers: dict[str, str]
) -> None:
    province = scenario.tree.province
    session.add(
        SkillLabel(
            skill_id="digital_platforms",
            province_unit_id=province.id,
            label_vi="Sử dụng nền tảng Hậu Giang số",
            label_en="Using the Hau Giang digital platform",
        )
    )
    session.add(
        Milestone(
            id="hg_app",
            position=9,
            label_vi="Cài ứng dụng Hậu Giang số",
            label_en="HG app",
            province_unit_id=province.id,
        )
    )
    session.commit()
    body = _get(client, headers, "coverage", unit_id=scenario.tree.commune.id, campaign_id=scenario.campaign.id)
    assert body["skills"][4] == {
        "id": "digital_platforms",
        "label_vi": "Sử dụng nền tảng Hậu Giang số",
        "label_en": "Using the Hau Giang digital platform",
    }
    assert "hg_app" in [m["id"] for m in body["milestones"]]
    assert {"milestone_id": "hg_app", "people": 0} in body["totals"]["milestones"]


def test_a_campaign_counts_only_the_households_of_the_units_taking_part(
    client: TestClient, session: Session, scenario: Scenario, headers: dict[str, str]
) -> None:
    from app.models import CampaignUnit
    from tests.factories import make_campaign

    tree = scenario.tree
    district_campaign = make_campaign(session, unit=tree.district)
    session.commit()
    body = _get(client, headers, "coverage", unit_id=tree.province.id, campaign_id=district_campaign.id)
    assert body["totals"]["households"] == 6
    assert [c["households"] for c in body["children"]] == [6, 0]
    progress = _get(client, headers, "progress", unit_id=tree.province.id, campaign_id=district_campaign.id)
    assert progress["households"] == 6
    session.add(CampaignUnit(campaign_id=district_campaign.id, unit_id=tree.commune.id))
    session.commit()
    body = _get(client, headers, "coverage", unit_id=tree.district.id, campaign_id=district_campaign.id)
    assert body["totals"]["households"] == 4
    assert [c["households"] for c in body["children"]] == [4, 0]
    everything = _get(client, headers, "coverage", unit_id=tree.province.id)
    assert everything["totals"]["households"] == 8
