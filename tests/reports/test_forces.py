"""The forces deployed (teams, volunteers, volunteer-days, hamlets with an active team / all hamlets)
on a hand-made tree, counted by hand, in the JSON, the province file's commune sheet and the csv."""

import csv
import io
from datetime import date

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlmodel import Session

from app.units.service import create_unit
from tests.factories import login, make_campaign, make_team, make_tree, make_user
from tests.reports.build import Field

D = {n: date(2024, 10, n) for n in range(1, 11)}
FORCES = ("teams", "volunteers", "volunteer_days", "hamlets_active", "hamlets")


def test_forces_are_counted_per_unit_for_a_campaign_and_all_time(client: TestClient, session: Session) -> None:
    """Tree: Vị Thanh (district) → Phường I (H1 Khu vực 1, H2 Khu vực 2), Phường III (H3 Khu vực 3);
    Vị Thuỷ (district) → Xã Vị Thuỷ (H4 Ấp Vị Hoà), Xã Vị Trung (H5, nobody ever went there).
    Team T1 on Phường I: v1, v2. Team T2 on Khu vực 3: v3. v4 belongs to no team.

    Campaign (01–10/10/2024) visits, (volunteer, day, hamlet):
      v1 d1 H1 ×2, v1 d1 H2, v1 d2 H1, v2 d2 H2 (not home: still a day of work),
      v3 d3 H3 ×2, v3 d4 H3, v4 d5 H4.
    Outside the campaign (all time only): v1 20/09 H1 (the campaign's id, before its dates),
      v2 d6 H2 (no campaign).
    """
    tree = make_tree(session)
    trung = create_unit(
        session, scheme="vn2004", level="commune", code="31474", name="Xã Vị Trung", parent=tree.other_district
    )
    session.flush()
    empty_hamlet = create_unit(session, scheme="vn2004", level="hamlet", code="31474-01", name="Ấp Trung", parent=trung)
    admin = make_user(session, "admin")
    official = make_user(session, "province_official", unit=tree.province)
    v1 = make_user(session, "volunteer", unit=tree.commune, hamlets=[tree.hamlet, tree.other_hamlet])
    v2 = make_user(session, "volunteer", unit=tree.commune, hamlets=[tree.other_hamlet])
    v3 = make_user(session, "volunteer", unit=tree.other_commune, hamlets=[tree.hamlet_of_other_commune])
    v4 = make_user(session, "volunteer", unit=tree.far_commune, hamlets=[tree.far_hamlet])
    make_team(session, unit=tree.commune, leader=v1, members=[v2])
    make_team(session, unit=tree.hamlet_of_other_commune, members=[v3])
    campaign = make_campaign(session, unit=tree.province)
    homes = Field(session, admin)
    a, b = homes.household(tree.hamlet), homes.household(tree.hamlet)
    c = homes.household(tree.other_hamlet)
    d = homes.household(tree.hamlet_of_other_commune)
    e = homes.household(tree.far_hamlet)
    f1, f2, f3, f4 = (Field(session, v) for v in (v1, v2, v3, v4))
    f1.visit(a, D[1], campaign=campaign)
    f1.visit(b, D[1], campaign=campaign, hour=10)
    f1.visit(c, D[1], campaign=campaign, hour=14)
    f1.visit(a, D[2], campaign=campaign)
    f2.visit(c, D[2], "not_home", campaign=campaign)
    f3.visit(d, D[3], campaign=campaign)
    f3.visit(d, D[3], campaign=campaign, hour=15)
    f3.visit(d, D[4], campaign=campaign)
    f4.visit(e, D[5], campaign=campaign)
    f1.visit(a, date(2024, 9, 20), campaign=campaign)
    f2.visit(c, D[6])
    session.commit()
    headers = login(client, official.phone)

    def forces(unit_id: int, campaign_id: int) -> tuple[int, ...]:
        r = client.get(
            "/api/v1/reports/coverage",
            params={"unit_id": unit_id, "campaign_id": campaign_id, "forces": "true"},
            headers=headers,
        )
        assert r.status_code == 200, r.text
        body = r.json()
        for child in body["children"]:  # a child's row says what its own report says
            own = client.get(
                "/api/v1/reports/coverage",
                params={"unit_id": child["unit"]["id"], "campaign_id": campaign_id, "forces": "true"},
                headers=headers,
            ).json()
            assert child["forces"] == own["totals"]["forces"]
        return tuple(body["totals"]["forces"][k] for k in FORCES)

    t = tree
    # (teams, volunteers, volunteer-days, hamlets with an active team, hamlets)
    assert forces(t.hamlet.id, campaign.id) == (1, 1, 2, 1, 1)  # v1 d1, v1 d2
    assert forces(t.other_hamlet.id, campaign.id) == (1, 2, 2, 1, 1)  # v1 d1, v2 d2
    assert forces(t.commune.id, campaign.id) == (1, 2, 3, 2, 2)  # v1 d1 in two hamlets is one day
    assert forces(t.other_commune.id, campaign.id) == (1, 1, 2, 1, 1)
    assert forces(t.district.id, campaign.id) == (2, 3, 5, 3, 3)
    assert forces(t.far_commune.id, campaign.id) == (0, 1, 1, 0, 1)  # v4 is in no team
    assert forces(t.other_district.id, campaign.id) == (0, 1, 1, 0, 2)
    assert forces(trung.id, campaign.id) == (0, 0, 0, 0, 1)
    assert forces(empty_hamlet.id, campaign.id) == (0, 0, 0, 0, 1)
    assert forces(t.province.id, campaign.id) == (2, 4, 6, 3, 5)
    # All time adds v1 on 20/09 (H1) and v2 on day 6 (H2).
    assert forces(t.hamlet.id, 0) == (1, 1, 3, 1, 1)
    assert forces(t.other_hamlet.id, 0) == (1, 2, 3, 1, 1)
    assert forces(t.commune.id, 0) == (1, 2, 5, 2, 2)
    assert forces(t.province.id, 0) == (2, 4, 8, 3, 5)

    params = {"unit_id": t.province.id, "campaign_id": campaign.id}
    r = client.get("/api/v1/reports/coverage.xlsx", params=params, headers=headers)
    ws = load_workbook(io.BytesIO(r.content))["Các xã"]
    rows = [list(row) for row in ws.iter_rows(values_only=True)]
    start = next(i for i, row in enumerate(rows) if row[0] == "STT") + 2
    assert [(row[2], *row[-5:]) for row in rows[start : start + 5]] == [
        ("Phường I", 1, 2, 3, 2, 2),
        ("Phường III", 1, 1, 2, 1, 1),
        ("Xã Vị Thuỷ", 0, 1, 1, 0, 1),
        ("Xã Vị Trung", 0, 0, 0, 0, 1),
        ("Tổng cộng", 2, 4, 6, 3, 5),
    ]
    ws = load_workbook(io.BytesIO(r.content))["Báo cáo"]
    rows = [list(row) for row in ws.iter_rows(values_only=True)]
    start = next(i for i, row in enumerate(rows) if row[0] == "STT") + 2
    assert [(row[1], *row[-5:]) for row in rows[start : start + 3]] == [
        ("Thành phố Vị Thanh", 2, 3, 5, 3, 3),
        ("Huyện Vị Thuỷ", 0, 1, 1, 0, 2),
        ("Tổng cộng", 2, 4, 6, 3, 5),
    ]
    r = client.get("/api/v1/reports/coverage.csv", params={**params, "campaign_id": 0}, headers=headers)
    lines = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert [(line[0], *line[-5:]) for line in lines[1:]] == [
        ("Thành phố Vị Thanh", "2", "3", "7", "3", "3"),
        ("Huyện Vị Thuỷ", "0", "1", "1", "0", "2"),
        ("Tổng cộng", "2", "4", "8", "3", "5"),
    ]
