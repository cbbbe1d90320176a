"""Every role against households in four places: what each may read, list and write."""

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from tests.factories import login, make_team, make_tree, make_user, new_id

# Places: A own hamlet, B another hamlet of the same commune, C another commune of the same
# district, D another district.
EXPECTED = {
    "volunteer": {"A"},
    "team_leader": {"A", "B"},
    "commune_official": {"A", "B"},
    "district_official": {"A", "B", "C"},
    "province_official": {"A", "B", "C", "D"},
    "admin": {"A", "B", "C", "D"},
}


@pytest.fixture
def world(client: TestClient, session: Session):  # type: ignore[no-untyped-def]
    tree = make_tree(session)
    places = {"A": tree.hamlet, "B": tree.other_hamlet, "C": tree.hamlet_of_other_commune, "D": tree.far_hamlet}
    admin = make_user(session, "admin")
    users = {
        "volunteer": make_user(session, "volunteer", hamlets=[tree.hamlet]),
        "team_leader": make_user(session, "team_leader", hamlets=[tree.hamlet]),
        "commune_official": make_user(session, "commune_official", unit=tree.commune),
        "district_official": make_user(session, "district_official", unit=tree.district),
        "province_official": make_user(session, "province_official", unit=tree.province),
        "admin": admin,
    }
    make_team(session, unit=tree.commune, leader=users["team_leader"], members=[users["volunteer"]])
    session.commit()
    admin_headers = login(client, admin.phone)
    households = {}
    for name, hamlet in places.items():
        hid, pid = new_id(), new_id()
        body = {"id": hid, "hamlet_id": hamlet.id, "address": f"Số {name}", "head_name": "Đặng Văn Bình"}
        assert client.post("/api/v1/households", json=body, headers=admin_headers).status_code == 201
        person = {"id": pid, "household_id": hid, "full_name": "Đặng Văn Bình"}
        assert client.post("/api/v1/people", json=person, headers=admin_headers).status_code == 201
        households[name] = (hid, pid)
    return users, households


@pytest.mark.parametrize("role", list(EXPECTED))
def test_role_scope_matrix(client: TestClient, world, role: str) -> None:  # type: ignore[no-untyped-def]
    users, households = world
    headers = login(client, users[role].phone)
    # A search (officials above the commune may only search: tests/privacy/test_need_to_know.py).
    listed = client.get("/api/v1/households", headers=headers, params={"limit": 100, "q": "dang van binh"}).json()
    seen = {item["address"].removeprefix("Số ") for item in listed["items"]}
    assert seen == EXPECTED[role]
    for place, (hid, pid) in households.items():
        allowed = place in EXPECTED[role]
        read = client.get(f"/api/v1/households/{hid}", headers=headers)
        assert read.status_code == (200 if allowed else 404), (role, place, read.text)
        visit = {
            "id": new_id(),
            "household_id": hid,
            "visited_at": "2024-10-02T08:00:00+07:00",
            "outcome": "met",
            "consent_given": True,
            "people": [{"person_id": pid, "skills": {"online_safety": "taught"}}],
        }
        wrote = client.post("/api/v1/visits", json=visit, headers=headers)
        assert wrote.status_code == (201 if allowed else 404), (role, place, wrote.text)
        patch = client.patch(f"/api/v1/households/{hid}", json={"address": f"Số {place}"}, headers=headers)
        assert patch.status_code == (200 if allowed else 404), (role, place, patch.text)


@pytest.mark.parametrize("role", list(EXPECTED))
def test_creating_a_household_outside_scope_is_403(client: TestClient, session: Session, world, role: str) -> None:  # type: ignore[no-untyped-def]
    from sqlmodel import select

    from app.models import AdminUnit

    users, _ = world
    headers = login(client, users[role].phone)
    hamlets = {h.code: h for h in session.exec(select(AdminUnit).where(AdminUnit.level == "hamlet")).all()}
    by_place = {"A": "31318-01", "B": "31318-02", "C": "31321-01", "D": "31471-01"}
    for place, code in by_place.items():
        body = {"id": new_id(), "hamlet_id": hamlets[code].id, "address": "Số mới", "head_name": "Võ Thị Lan"}
        r = client.post("/api/v1/households", json=body, headers=headers)
        if place in EXPECTED[role]:
            assert r.status_code == 201, (role, place, r.text)
        else:
            assert r.status_code == 403 and r.json()["error"]["code"] == "outside_your_area", (role, place)
