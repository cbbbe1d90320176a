"""The 2024 drive read in the 2025 tree: the same figures, summed from the hamlets each 2025 unit contains.

On top of the scenario's pre-2025 tree (Hậu Giang 93: Phường I and Phường III of Vị Thanh, Xã Vị Thuỷ),
a hand-made 2025 tree: Thành phố Cần Thơ (92) with Phường Vị Thanh (both wards went into it whole),
Xã Vị Thủy and Xã Vĩnh Thuận Tây; Xã Vị Thuỷ (old) was split between Phường Vị Thanh and Xã Vị Thủy, so
its hamlet Ấp Vị Hoà waits in "chưa phân bổ" until an admin assigns it.
"""

import io
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlmodel import Session

from app.models import AdminUnit, UnitConversion, User
from app.units.service import create_unit
from tests.factories import login, make_user
from tests.reports.build import Field
from tests.reports.conftest import Scenario

COUNTS = (
    "households",
    "households_visited",
    "households_covered",
    "households_covered_1",
    "households_covered_2",
    "households_to_visit",
    "households_not_home",
    "households_declined",
    "households_moved",
    "visits",
    "people",
    "people_taught",
    "people_proficient_all",
)


@dataclass
class Tree2025:
    province: AdminUnit
    ward: AdminUnit  # Phường Vị Thanh: Phường I and Phường III whole, part of Xã Vị Thuỷ
    commune: AdminUnit  # Xã Vị Thủy: the other part of Xã Vị Thuỷ
    empty: AdminUnit  # Xã Vĩnh Thuận Tây: nothing of the scenario


@pytest.fixture
def tree2025(session: Session, scenario: Scenario) -> Tree2025:
    province = create_unit(session, scheme="vn2025", level="province", code="92", name="Thành phố Cần Thơ", parent=None)
    ward = create_unit(session, scheme="vn2025", level="commune", code="31321", name="Phường Vị Thanh", parent=province)
    commune = create_unit(session, scheme="vn2025", level="commune", code="31471", name="Xã Vị Thủy", parent=province)
    empty = create_unit(
        session, scheme="vn2025", level="commune", code="31480", name="Xã Vĩnh Thuận Tây", parent=province
    )
    old = scenario.tree
    for old_unit, new_unit, partly in (
        (old.commune, ward, False),
        (old.other_commune, ward, False),
        (old.far_commune, ward, True),
        (old.far_commune, commune, True),
    ):
        session.add(UnitConversion(old_unit_id=old_unit.id, new_unit_id=new_unit.id, partly_merged=partly))  # type: ignore[arg-type]
    session.commit()
    return Tree2025(province, ward, commune, empty)


def _get(client: TestClient, headers: dict[str, str], path: str, **params: Any) -> Any:
    r = client.get(f"/api/v1/reports/{path}", params=params, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


def _counts(figures: dict[str, Any]) -> dict[str, Any]:
    return {
        **{k: figures[k] for k in COUNTS},
        "skills": {s["skill_id"]: (s["people_taught"], s["people_proficient"]) for s in figures["skills"]},
        "milestones": {m["milestone_id"]: m["people"] for m in figures["milestones"]},
    }


def _sum(rows: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {k: sum(r[k] for r in rows) for k in COUNTS}
    out["skills"] = {
        s: tuple(sum(_counts(r)["skills"][s][i] for r in rows) for i in (0, 1)) for s in _counts(rows[0])["skills"]
    }
    out["milestones"] = {m: sum(_counts(r)["milestones"][m] for r in rows) for m in _counts(rows[0])["milestones"]}
    return out


def _assign(client: TestClient, admin: dict[str, str], hamlet: AdminUnit, commune: AdminUnit) -> Any:
    r = client.put(f"/api/v1/conversion/hamlets/{hamlet.id}", json={"commune_id": commune.id}, headers=admin)
    assert r.status_code == 200, r.text
    return r.json()


def test_the_2025_roll_up_is_the_sum_of_its_parts_and_the_pre_2025_totals(
    client: TestClient, session: Session, scenario: Scenario, tree2025: Tree2025
) -> None:
    admin_user = make_user(session, "admin")
    session.commit()
    admin = login(client, admin_user.phone)
    for campaign_id in (scenario.campaign.id or 0, 0):
        _roll_up(client, admin, scenario, tree2025, campaign_id)
        client.delete(f"/api/v1/conversion/hamlets/{scenario.tree.far_hamlet.id}", headers=admin)
    _files(client, session, scenario, tree2025, admin)
    _native_hamlets(client, session, scenario, tree2025, admin_user, admin)


def _roll_up(
    client: TestClient, admin: dict[str, str], scenario: Scenario, tree2025: Tree2025, campaign_id: int
) -> None:
    old = scenario.tree

    def coverage(unit: AdminUnit, scheme: str | None = None) -> Any:
        params: dict[str, Any] = {"unit_id": unit.id, "campaign_id": campaign_id, "forces": True}
        if scheme:
            params["scheme"] = scheme
        return _get(client, admin, "coverage", **params)

    before = coverage(old.province)
    assert before["totals"]["visits"] > 0
    now = coverage(tree2025.province)  # a 2025 unit: scheme vn2025 by default
    assert now["child_level"] == "commune"
    names = [c["unit"]["name"] for c in now["children"]]
    assert names == ["Phường Vị Thanh", "Xã Vị Thủy", "Xã Vĩnh Thuận Tây", "Chưa phân bổ"]
    # Every figure of the province is the pre-2025 province's, and the sum of its rows.
    assert _counts(now["totals"]) == _counts(before["totals"])
    assert _sum(now["children"]) == _counts(now["totals"])
    assert now["totals"]["forces"] == before["totals"]["forces"]
    assert now["target"] == before["target"]
    ward, commune, empty, unassigned = now["children"]
    # The ward holds Phường I and Phường III whole; the split commune's hamlet waits unassigned.
    assert _counts(ward) == _sum(_old_communes(coverage, old)[:2])
    assert _counts(unassigned) == _counts(_old_communes(coverage, old)[2])
    assert _counts(commune)["households"] == _counts(empty)["households"] == 0
    assert unassigned["unit"]["id"] == 0 and unassigned["forces"]["hamlets"] == 1
    assert ward["forces"]["hamlets"] == 3

    # Assigned once by an admin, the hamlet leaves "chưa phân bổ" for its 2025 commune.
    _assign(client, admin, old.far_hamlet, tree2025.commune)
    after = coverage(tree2025.province)
    assert [c["unit"]["name"] for c in after["children"]] == names[:3]
    assert _counts(after["children"][1]) == _counts(unassigned)
    assert _counts(after["totals"]) == _counts(before["totals"])
    assert _sum(after["children"]) == _counts(after["totals"])

    # A 2025 commune: its hamlets, each named with the old commune it comes from, add up to it.
    ward_report = coverage(tree2025.ward)
    assert ward_report["child_level"] == "hamlet"
    assert [c["unit"]["name"] for c in ward_report["children"]] == [
        "Khu vực 1 (phường I cũ)",
        "Khu vực 2 (phường I cũ)",
        "Khu vực 3 (phường III cũ)",
    ]
    assert _sum(ward_report["children"]) == _counts(ward_report["totals"]) == _counts(after["children"][0])
    assert [a["name"] for a in ward_report["ancestors"]] == ["Thành phố Cần Thơ"]

    # Progress: the same days and figures in both trees.
    days_before = _get(client, admin, "progress", unit_id=old.province.id, campaign_id=campaign_id)
    days_now = _get(client, admin, "progress", unit_id=tree2025.province.id, campaign_id=campaign_id)
    assert days_now["days"] == days_before["days"] and days_now["households"] == days_before["households"]
    # A pre-2025 hamlet read in the 2025 tree: its own figures under its 2025 chain.
    hamlet = _get(
        client, admin, "coverage", unit_id=old.hamlet.id, campaign_id=campaign_id, scheme="vn2025", forces=True
    )
    assert [a["name"] for a in hamlet["ancestors"]] == ["Thành phố Cần Thơ", "Phường Vị Thanh"]
    assert _counts(hamlet["totals"]) == _counts(ward_report["children"][0])


def _old_communes(coverage: Any, old: Any) -> list[dict[str, Any]]:
    return [coverage(u)["totals"] for u in (old.commune, old.other_commune, old.far_commune)]


def _files(client: TestClient, session: Session, scenario: Scenario, tree2025: Tree2025, admin: dict[str, str]) -> None:
    """The files follow the 2025 tree: the province's communes and "chưa phân bổ", the to-visit list."""
    official = make_user(session, "province_official", unit=tree2025.province)
    session.commit()
    headers = login(client, official.phone)
    params = {"campaign_id": scenario.campaign.id}
    report = _get(client, headers, "coverage", **params)  # the official's own unit, in its own scheme
    assert report["unit"]["name"] == "Thành phố Cần Thơ"
    r = client.get("/api/v1/reports/coverage.xlsx", params=params, headers=headers)
    assert r.status_code == 200, r.text
    book = load_workbook(io.BytesIO(r.content))
    communes = [ws for ws in book.worksheets if ws.title == "Các xã"]
    assert communes, book.sheetnames
    texts = {str(c.value) for row in communes[0].iter_rows() for c in row if c.value is not None}
    assert {"Phường Vị Thanh", "Xã Vị Thủy", "Xã Vĩnh Thuận Tây", "Chưa phân bổ"} <= texts
    csv = client.get("/api/v1/reports/coverage.csv", params=params, headers=headers)
    assert csv.status_code == 200
    lines = csv.content.decode("utf-8-sig").splitlines()
    assert len(lines) == 1 + 4 + 1  # header, three communes and "chưa phân bổ", totals
    to_visit = _get(client, headers, "to-visit", **params)
    old_list = _get(
        client,
        login(client, make_user(session, "admin").phone),
        "to-visit",
        unit_id=scenario.tree.province.id,
        **params,
    )
    assert to_visit["total"] == old_list["total"] > 0
    assert client.get("/api/v1/reports/to-visit.csv", params=params, headers=headers).status_code == 200


def test_scope_across_the_schemes(client: TestClient, session: Session, scenario: Scenario, tree2025: Tree2025) -> None:
    """A 2025 commune official reads the old units inside their commune, and nothing else."""
    old = scenario.tree
    ward_official = login(client, make_user(session, "commune_official", unit=tree2025.ward).phone)
    commune_official = login(client, make_user(session, "commune_official", unit=tree2025.commune).phone)
    province_official = login(client, make_user(session, "province_official", unit=tree2025.province).phone)
    old_official = login(client, make_user(session, "province_official", unit=old.province).phone)
    admin = login(client, make_user(session, "admin").phone)
    session.commit()

    def status(headers: dict[str, str], unit: AdminUnit, path: str = "coverage", **params: Any) -> int:
        r = client.get(f"/api/v1/reports/{path}", params={"unit_id": unit.id, **params}, headers=headers)
        return r.status_code

    _assignments(client, scenario, tree2025, admin, province_official)
    # Old Vị Thanh's two wards both went into Phường Vị Thanh: the old district lies inside it too.
    inside = (old.district, old.commune, old.other_commune, old.hamlet, old.hamlet_of_other_commune)
    outside = (tree2025.province, tree2025.commune, old.far_commune, old.far_hamlet, old.other_district, old.province)
    for unit in (tree2025.ward, *inside):
        assert status(ward_official, unit) == 200, unit.name
    for unit in outside:
        assert status(ward_official, unit) == 403, unit.name
    for path in ("to-visit", "progress.csv", "coverage.xlsx"):
        assert [status(ward_official, u, path) for u in (tree2025.ward, old.hamlet, old.far_commune)] == [200, 200, 403]
    # The split commune's hamlet is inside no commune until assigned; the province holds it already.
    assert status(commune_official, old.far_hamlet) == 403
    assert status(province_official, old.far_hamlet) == 200
    assert status(province_official, old.province) == 200  # all of old Hậu Giang went into Cần Thơ
    _assign(client, admin, old.far_hamlet, tree2025.commune)
    assert status(commune_official, old.far_hamlet) == 200
    assert status(commune_official, old.far_commune) == 403  # the rest of it may lie elsewhere
    assert status(ward_official, old.far_hamlet) == 403
    # The 2024 drive of old Hậu Giang reaches the 2025 units that hold part of it.
    for headers, unit in ((ward_official, tree2025.ward), (province_official, tree2025.province)):
        listed = client.get("/api/v1/campaigns", params={"unit_id": unit.id}, headers=headers).json()
        assert [c["id"] for c in listed["items"]] == [scenario.campaign.id], listed
    # ... and the pre-2025 units inside them, opened from the dashboard.
    listed = client.get("/api/v1/campaigns", params={"unit_id": old.hamlet.id}, headers=ward_official).json()
    assert [c["id"] for c in listed["items"]] == [scenario.campaign.id], listed
    refused = client.get("/api/v1/campaigns", params={"unit_id": old.far_hamlet.id}, headers=ward_official)
    assert refused.status_code == 403
    empty_official = login(client, make_user(session, "commune_official", unit=tree2025.empty).phone)
    listed = client.get("/api/v1/campaigns", params={"unit_id": tree2025.empty.id}, headers=empty_official).json()
    assert listed["items"] == []
    # A pre-2025 official keeps to the pre-2025 tree.
    assert status(old_official, tree2025.province) == 403
    assert status(old_official, old.hamlet, scheme="vn2025") == 200
    # A unit is read in its own tree: asking the other is a clear 422.
    r = client.get("/api/v1/reports/coverage", params={"unit_id": old.province.id, "scheme": "vn2025"}, headers=admin)
    assert r.status_code == 422 and r.json()["error"]["code"] == "scheme_mismatch"


def _assignments(
    client: TestClient, scenario: Scenario, tree2025: Tree2025, admin: dict[str, str], official: dict[str, str]
) -> None:
    """The admin's list of hamlets waiting for their 2025 commune, and the assignment's checks."""
    old = scenario.tree
    listing = client.get("/api/v1/conversion/hamlets", headers=admin).json()
    assert listing["total"] == listing["unassigned"] == 1
    (item,) = listing["items"]
    assert (item["id"], item["name"], item["commune_id"], item["households"]) == (
        old.far_hamlet.id,
        "Ấp Vị Hoà",
        None,
        2,
    )
    assert item["old_commune"]["name"] == "Xã Vị Thuỷ" and item["old_district"] == "Huyện Vị Thuỷ"
    assert [(c["name"], c["province_name"]) for c in item["candidates"]] == [
        ("Phường Vị Thanh", "Thành phố Cần Thơ"),
        ("Xã Vị Thủy", "Thành phố Cần Thơ"),
    ]
    by_province = client.get("/api/v1/conversion/hamlets", params={"province_id": old.province.id}, headers=admin)
    assert by_province.json()["total"] == 0  # a pre-2025 province receives nothing
    nowhere = client.get("/api/v1/conversion/hamlets", params={"province_id": 2_000_000_000}, headers=admin)
    assert (nowhere.status_code, nowhere.json()["total"]) == (200, 0)
    assert client.get("/api/v1/conversion/hamlets", headers=official).status_code == 403

    def put(hamlet: AdminUnit, commune: AdminUnit, headers: dict[str, str] = admin) -> tuple[int, str]:
        r = client.put(f"/api/v1/conversion/hamlets/{hamlet.id}", json={"commune_id": commune.id}, headers=headers)
        return r.status_code, r.json()["error"]["code"] if r.status_code >= 400 else ""

    assert put(old.far_hamlet, tree2025.empty) == (422, "not_a_candidate")
    assert put(old.hamlet, tree2025.ward) == (422, "commune_not_split")
    assert put(old.far_commune, tree2025.ward) == (404, "hamlet_not_found")
    assert put(old.far_hamlet, tree2025.ward, official) == (403, "forbidden")
    assert _assign(client, admin, old.far_hamlet, tree2025.ward)["commune_id"] == tree2025.ward.id
    assert client.get("/api/v1/conversion/hamlets", headers=admin).json()["total"] == 0
    every = client.get("/api/v1/conversion/hamlets", params={"include_assigned": True}, headers=admin).json()
    assert [(i["id"], i["commune_id"]) for i in every["items"]] == [(old.far_hamlet.id, tree2025.ward.id)]
    assert every["unassigned"] == 0
    # Moved again, then taken back to "chưa phân bổ".
    assert _assign(client, admin, old.far_hamlet, tree2025.commune)["commune_id"] == tree2025.commune.id
    assert client.delete(f"/api/v1/conversion/hamlets/{old.far_hamlet.id}", headers=admin).status_code == 204
    assert client.get("/api/v1/conversion/hamlets", headers=admin).json()["unassigned"] == 1


def _native_hamlets(
    client: TestClient,
    session: Session,
    scenario: Scenario,
    tree2025: Tree2025,
    admin_user: User,
    admin: dict[str, str],
) -> None:
    """Data recorded under a 2025 hamlet counts in its 2025 commune beside the old hamlets' data."""
    hamlet = create_unit(
        session, scheme="vn2025", level="hamlet", code="31321-01", name="Khu vực 4", parent=tree2025.ward
    )
    field = Field(session, admin_user)
    home = field.household(hamlet)
    field.visit(home, scenario.campaign.starts_on, "not_home")  # the 2024 campaign was old Hậu Giang's
    session.commit()
    params = {"campaign_id": 0}
    old = _get(client, admin, "coverage", unit_id=scenario.tree.province.id, **params)["totals"]
    now = _get(client, admin, "coverage", unit_id=tree2025.province.id, **params)
    assert now["totals"]["households"] == old["households"] + 1
    assert now["totals"]["visits"] == old["visits"] + 1
    assert now["totals"]["households_not_home"] == old["households_not_home"] + 1
    assert _sum(now["children"]) == _counts(now["totals"])
    ward = _get(client, admin, "coverage", unit_id=tree2025.ward.id, **params)
    assert ward["children"][-1]["unit"]["name"] == "Khu vực 4"
    assert _sum(ward["children"]) == _counts(ward["totals"])
