from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.models import User, VolunteerArea
from tests.factories import login, make_tree, make_user, new_id


def _officials(session: Session):  # type: ignore[no-untyped-def]
    tree = make_tree(session)
    commune = make_user(session, "commune_official", unit=tree.commune)
    district = make_user(session, "district_official", unit=tree.district)
    province = make_user(session, "province_official", unit=tree.province)
    admin = make_user(session, "admin")
    session.commit()
    return tree, commune, district, province, admin


def test_commune_official_creates_a_volunteer_who_logs_in_with_the_temporary_password(
    client: TestClient, session: Session
) -> None:
    tree, commune, *_ = _officials(session)
    headers = login(client, commune.phone)
    r = client.post(
        "/api/v1/users",
        json={
            "phone": "0912.345.678",
            "full_name": "Lê Thị Hoa",
            "role": "volunteer",
            "hamlet_ids": [tree.hamlet.id],
        },
        headers=headers,
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["phone"] == "+84912345678"
    assert body["unit_id"] == tree.commune.id
    assert body["must_change_password"] is True
    assert [h["id"] for h in body["area"]] == [tree.hamlet.id]
    temporary = body["temporary_password"]
    assert temporary and len(temporary) >= 8
    volunteer_headers = login(client, "0912 345 678", temporary)
    me = client.get("/api/v1/me", headers=volunteer_headers).json()
    assert [a["id"] for a in me["area"]] == [tree.hamlet.id]
    # The temporary password is never shown again.
    again = client.get(f"/api/v1/users/{body['id']}", headers=headers).json()
    assert "temporary_password" not in again


def test_who_may_create_which_role(client: TestClient, session: Session) -> None:
    tree, commune, district, province, admin = _officials(session)
    cases = [
        (commune, "team_leader", tree.commune, 201),
        (commune, "commune_official", tree.commune, 403),
        (district, "commune_official", tree.commune, 201),
        (district, "district_official", tree.district, 403),
        (province, "district_official", tree.other_district, 201),
        (province, "province_official", tree.province, 403),
        (admin, "province_official", tree.province, 201),
        (admin, "admin", None, 201),
    ]
    for i, (actor, role, unit, expected) in enumerate(cases):
        r = client.post(
            "/api/v1/users",
            json={
                "phone": f"0977{i:06d}",
                "full_name": "Phạm Văn Bình",
                "role": role,
                "unit_id": unit.id if unit else None,
                "password": "mat-khau-tam-1",
            },
            headers=login(client, actor.phone),
        )
        assert r.status_code == expected, (actor.role, role, r.text)
        if expected == 403:
            assert r.json()["error"]["code"] == "role_not_allowed"


def test_field_roles_cannot_manage_accounts(client: TestClient, session: Session) -> None:
    tree = make_tree(session)
    volunteer = make_user(session, "volunteer", hamlets=[tree.hamlet])
    session.commit()
    headers = login(client, volunteer.phone)
    r = client.post(
        "/api/v1/users", json={"phone": "0977000001", "full_name": "A", "role": "volunteer"}, headers=headers
    )
    assert r.status_code == 403
    assert client.get("/api/v1/users", headers=headers).status_code == 403


def test_outside_the_officials_unit_is_refused(client: TestClient, session: Session) -> None:
    tree, commune, *_ = _officials(session)
    elsewhere = make_user(session, "volunteer", unit=tree.other_commune, hamlets=[tree.hamlet_of_other_commune])
    session.commit()
    headers = login(client, commune.phone)
    r = client.post(
        "/api/v1/users",
        json={"phone": "0977000002", "full_name": "B", "role": "volunteer", "unit_id": tree.other_commune.id},
        headers=headers,
    )
    assert r.status_code == 403 and r.json()["error"]["code"] == "outside_your_area"
    for method, path, body in [
        ("get", f"/api/v1/users/{elsewhere.id}", None),
        ("patch", f"/api/v1/users/{elsewhere.id}", {"full_name": "X"}),
        ("post", f"/api/v1/users/{elsewhere.id}/deactivate", None),
        ("put", f"/api/v1/users/{elsewhere.id}/area", {"hamlet_ids": [tree.hamlet.id]}),
    ]:
        r = client.request(method, path, json=body, headers=headers)
        assert r.status_code == 403, (path, r.text)
        assert r.json()["error"]["code"] == "outside_your_area"
    assert client.get("/api/v1/users/999999", headers=headers).status_code == 404


def test_list_is_scoped_and_filtered(client: TestClient, session: Session) -> None:
    tree, commune, district, *_ = _officials(session)
    mine = make_user(session, "volunteer", unit=tree.commune, hamlets=[tree.hamlet])
    leader = make_user(session, "team_leader", unit=tree.commune)
    make_user(session, "volunteer", unit=tree.other_commune)
    make_user(session, "volunteer", unit=tree.far_commune)
    session.commit()
    r = client.get("/api/v1/users", params={"role": "volunteer"}, headers=login(client, commune.phone))
    assert r.status_code == 200
    assert [u["id"] for u in r.json()["items"]] == [mine.id]
    ids = {u["id"] for u in client.get("/api/v1/users", headers=login(client, commune.phone)).json()["items"]}
    assert ids == {commune.id, mine.id, leader.id}
    r = client.get(
        "/api/v1/users",
        params={"unit_id": tree.other_commune.id, "role": "volunteer"},
        headers=login(client, district.phone),
    )
    assert r.json()["total"] == 1
    r = client.get("/api/v1/users", params={"unit_id": tree.far_commune.id}, headers=login(client, district.phone))
    assert r.status_code == 403


def test_area_is_replaced_and_limited_to_the_unit(client: TestClient, session: Session) -> None:
    tree, commune, district, *_ = _officials(session)
    volunteer = make_user(session, "volunteer", unit=tree.commune, hamlets=[tree.hamlet])
    session.commit()
    headers = login(client, commune.phone)
    r = client.put(f"/api/v1/users/{volunteer.id}/area", json={"hamlet_ids": [tree.other_hamlet.id]}, headers=headers)
    assert r.status_code == 200, r.text
    assert [h["id"] for h in r.json()["area"]] == [tree.other_hamlet.id]
    area = session.exec(select(VolunteerArea.hamlet_id).where(VolunteerArea.user_id == volunteer.id)).all()
    assert list(area) == [tree.other_hamlet.id]
    r = client.put(
        f"/api/v1/users/{volunteer.id}/area", json={"hamlet_ids": [tree.hamlet_of_other_commune.id]}, headers=headers
    )
    assert r.status_code == 403
    r = client.put(f"/api/v1/users/{volunteer.id}/area", json={"hamlet_ids": [tree.commune.id]}, headers=headers)
    assert r.status_code == 422 and r.json()["error"]["code"] == "not_a_hamlet"
    # The district official may reach the other commune, but not for a volunteer of this one.
    r = client.put(
        f"/api/v1/users/{volunteer.id}/area",
        json={"hamlet_ids": [tree.hamlet_of_other_commune.id]},
        headers=login(client, district.phone),
    )
    assert r.status_code == 422 and r.json()["error"]["code"] == "hamlet_outside_user_unit"


def test_deactivated_volunteer_stops_syncing_and_keeps_their_visits(client: TestClient, session: Session) -> None:
    tree, commune, *_ = _officials(session)
    volunteer = make_user(session, "volunteer", unit=tree.commune, hamlets=[tree.hamlet])
    session.commit()
    volunteer_headers = login(client, volunteer.phone)
    household_id = new_id()
    r = client.post(
        "/api/v1/households",
        json={"id": household_id, "hamlet_id": tree.hamlet.id, "head_name": "Trần Văn Cường"},
        headers=volunteer_headers,
    )
    assert r.status_code == 201
    r = client.post(
        "/api/v1/visits",
        json={
            "id": new_id(),
            "household_id": household_id,
            "visited_at": "2024-10-02T09:30:00+07:00",
            "outcome": "not_home",
            "people": [],
        },
        headers=volunteer_headers,
    )
    assert r.status_code == 201, r.text
    official = login(client, commune.phone)
    r = client.post(f"/api/v1/users/{volunteer.id}/deactivate", headers=official)
    assert r.status_code == 200 and r.json()["is_active"] is False
    r = client.get("/api/v1/me", headers=volunteer_headers)
    assert r.status_code == 403 and r.json()["error"]["code"] == "account_deactivated"
    # With the right password the login says why; the phone shows it instead of "wrong password".
    r = client.post("/api/v1/auth/login", json={"phone": volunteer.phone, "password": "mat-khau-thu"})
    assert r.status_code == 403 and r.json()["error"]["code"] == "account_deactivated"
    detail = client.get(f"/api/v1/households/{household_id}", headers=official).json()
    assert [v["volunteer_id"] for v in detail["visits"]] == [volunteer.id]
    assert client.post(f"/api/v1/users/{commune.id}/deactivate", headers=official).status_code == 403
    r = client.post(f"/api/v1/users/{volunteer.id}/reactivate", headers=official)
    assert r.json()["is_active"] is True
    # Deactivation ended the old session for good; the reactivated volunteer logs in again.
    assert client.get("/api/v1/me", headers=volunteer_headers).status_code == 401
    assert client.get("/api/v1/me", headers=login(client, volunteer.phone)).status_code == 200


def test_phone_taken_and_bad_phone(client: TestClient, session: Session) -> None:
    _, commune, *_ = _officials(session)
    headers = login(client, commune.phone)
    r = client.post(
        "/api/v1/users", json={"phone": commune.phone, "full_name": "C", "role": "volunteer"}, headers=headers
    )
    assert r.status_code == 409 and r.json()["error"]["code"] == "phone_taken"
    r = client.post("/api/v1/users", json={"phone": "12345", "full_name": "C", "role": "volunteer"}, headers=headers)
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_phone"
    r = client.post(
        "/api/v1/users", json={"phone": "0977000003", "full_name": "", "role": "volunteer"}, headers=headers
    )
    assert r.status_code == 422
    r = client.post("/api/v1/users", json={"phone": "0977000003", "full_name": "C", "role": "king"}, headers=headers)
    assert r.status_code == 422


def test_patch_reset_password_and_change_own_password(client: TestClient, session: Session) -> None:
    tree, commune, *_ = _officials(session)
    volunteer = make_user(session, "volunteer", unit=tree.commune)
    session.commit()
    official = login(client, commune.phone)
    r = client.patch(
        f"/api/v1/users/{volunteer.id}", json={"full_name": "Võ Thị Dung", "reset_password": True}, headers=official
    )
    assert r.status_code == 200, r.text
    assert r.json()["full_name"] == "Võ Thị Dung"
    temporary = r.json()["temporary_password"]
    headers = login(client, volunteer.phone, temporary)
    r = client.post(
        "/api/v1/me/password",
        json={"current_password": "wrong-one", "new_password": "mot-mat-khau-moi"},
        headers=headers,
    )
    assert r.status_code == 400 and r.json()["error"]["code"] == "wrong_password"
    r = client.post(
        "/api/v1/me/password", json={"current_password": temporary, "new_password": "mot-mat-khau-moi"}, headers=headers
    )
    assert r.status_code == 200 and r.json()["access_token"]
    login(client, volunteer.phone, "mot-mat-khau-moi")
    session.expire_all()
    assert session.get(User, volunteer.id).must_change_password is False  # type: ignore[union-attr]
    headers = login(client, volunteer.phone, "mot-mat-khau-moi")
    r = client.post("/api/v1/me/password", json={"current_password": "x", "new_password": "short"}, headers=headers)
    assert r.status_code == 422
