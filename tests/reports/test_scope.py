"""Who may read which report: officials their unit and below, field roles their hamlets."""

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

from app.models import ExportLog
from tests.factories import login, make_user
from tests.reports.conftest import Scenario

PATHS = ("coverage", "progress", "to-visit", "coverage.xlsx", "progress.csv", "to-visit.xlsx", "to-visit.csv")


def _status(client: TestClient, headers: dict[str, str], path: str, unit_id: int) -> tuple[int, str]:
    r = client.get(f"/api/v1/reports/{path}", params={"unit_id": unit_id}, headers=headers)
    code = r.json()["error"]["code"] if r.status_code >= 400 else ""
    return r.status_code, code


@pytest.mark.parametrize("path", PATHS)
def test_a_commune_official_reads_their_commune_only(
    client: TestClient, session: Session, scenario: Scenario, path: str
) -> None:
    tree = scenario.tree
    official = make_user(session, "commune_official", unit=tree.commune)
    session.commit()
    headers = login(client, official.phone)
    assert _status(client, headers, path, tree.commune.id)[0] == 200  # type: ignore[arg-type]
    assert _status(client, headers, path, tree.hamlet.id)[0] == 200  # type: ignore[arg-type]
    for unit in (tree.other_commune, tree.district, tree.province, tree.hamlet_of_other_commune):
        assert _status(client, headers, path, unit.id) == (403, "outside_your_area"), unit.name  # type: ignore[arg-type]


def test_a_district_official_reads_their_district_only(
    client: TestClient, session: Session, scenario: Scenario
) -> None:
    tree = scenario.tree
    official = make_user(session, "district_official", unit=tree.district)
    session.commit()
    headers = login(client, official.phone)
    for unit in (tree.district, tree.commune, tree.other_commune, tree.hamlet):
        assert _status(client, headers, "coverage", unit.id)[0] == 200, unit.name  # type: ignore[arg-type]
    for unit in (tree.other_district, tree.far_commune, tree.far_hamlet, tree.province):
        assert _status(client, headers, "coverage", unit.id) == (403, "outside_your_area"), unit.name  # type: ignore[arg-type]
    # Without unit_id the official gets their own unit.
    r = client.get("/api/v1/reports/coverage", headers=headers)
    assert r.status_code == 200 and r.json()["unit"]["id"] == tree.district.id


def test_field_roles_read_their_hamlets_only(client: TestClient, session: Session, scenario: Scenario) -> None:
    tree = scenario.tree
    volunteer = make_user(session, "volunteer", hamlets=[tree.hamlet])
    session.commit()
    headers = login(client, volunteer.phone)
    assert _status(client, headers, "to-visit", tree.hamlet.id)[0] == 200  # type: ignore[arg-type]
    assert _status(client, headers, "coverage", tree.hamlet.id)[0] == 200  # type: ignore[arg-type]
    for unit in (tree.other_hamlet, tree.commune, tree.province):
        assert _status(client, headers, "coverage", unit.id) == (403, "outside_your_area")  # type: ignore[arg-type]
    r = client.get("/api/v1/reports/coverage", headers=headers)
    assert r.status_code == 422 and r.json()["error"]["code"] == "unit_required"


def test_a_refused_export_leaves_no_log_and_anonymous_is_refused(
    client: TestClient, session: Session, scenario: Scenario
) -> None:
    official = make_user(session, "commune_official", unit=scenario.tree.commune)
    session.commit()
    headers = login(client, official.phone)
    assert _status(client, headers, "to-visit.csv", scenario.tree.far_commune.id)[0] == 403  # type: ignore[arg-type]
    assert session.exec(select(func.count()).select_from(ExportLog)).one() == 0
    r = client.get("/api/v1/reports/coverage", params={"unit_id": scenario.tree.commune.id})
    assert r.status_code == 401
