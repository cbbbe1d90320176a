"""Issue 12: the APIs behind the administration screens (first login, hamlets, people, campaigns)."""

import uuid
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.auth.scope import scope_for
from app.campaigns.service import today_in_vietnam
from app.households import service as households
from app.households.schemas import HouseholdIn
from app.models import AdminUnit, Household, Team, VolunteerArea
from tests.factories import login, make_campaign, make_team, make_tree, make_user


def test_a_temporary_password_must_be_changed_before_anything_else(client: TestClient, session: Session) -> None:
    tree = make_tree(session)
    official = make_user(session, "commune_official", unit=tree.commune)
    session.commit()
    headers = login(client, official.phone)
    created = client.post(
        "/api/v1/users",
        json={"phone": "0912 000 111", "full_name": "Lê Thị Hoa", "role": "volunteer", "hamlet_ids": [tree.hamlet.id]},
        headers=headers,
    ).json()
    temporary = created["temporary_password"]

    answer = client.post("/api/v1/auth/login", json={"phone": "0912000111", "password": temporary}).json()
    assert answer["user"]["must_change_password"] is True
    volunteer = {"Authorization": f"Bearer {answer['access_token']}"}
    me = client.get("/api/v1/me", headers=volunteer)
    assert me.status_code == 200 and me.json()["user"]["must_change_password"] is True
    for method, path in [("get", "/api/v1/sync/pull"), ("get", "/api/v1/households"), ("get", "/api/v1/skills")]:
        r = client.request(method, path, headers=volunteer)
        assert r.status_code == 403, (path, r.text)
        assert r.json()["error"]["code"] == "password_change_required"

    r = client.post(
        "/api/v1/me/password",
        json={"current_password": temporary, "new_password": "mat-khau-rieng"},
        headers=volunteer,
    )
    assert r.status_code == 200, r.text
    assert client.get("/api/v1/me", headers=volunteer).status_code == 401  # every earlier token ends
    volunteer = {"Authorization": f"Bearer {r.json()['access_token']}"}
    assert client.get("/api/v1/me", headers=volunteer).json()["user"]["must_change_password"] is False
    assert client.get("/api/v1/sync/pull", headers=volunteer).status_code == 200

    # A reset hands out a new temporary password and the obligation comes back.
    reset = client.patch(f"/api/v1/users/{created['id']}", json={"reset_password": True}, headers=headers).json()
    again = login(client, "0912000111", reset["temporary_password"])
    assert client.get("/api/v1/sync/pull", headers=again).json()["error"]["code"] == "password_change_required"


def test_a_deactivated_account_is_told_why_on_login_refresh_and_sync(client: TestClient, session: Session) -> None:
    tree = make_tree(session)
    official = make_user(session, "commune_official", unit=tree.commune)
    volunteer = make_user(session, "volunteer", unit=tree.commune, hamlets=[tree.hamlet])
    session.commit()
    tokens = client.post("/api/v1/auth/login", json={"phone": volunteer.phone, "password": "mat-khau-thu"}).json()
    client.post(f"/api/v1/users/{volunteer.id}/deactivate", headers=login(client, official.phone))

    pull = client.get("/api/v1/sync/pull", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    refresh = client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    relogin = client.post("/api/v1/auth/login", json={"phone": volunteer.phone, "password": "mat-khau-thu"})
    wrong = client.post("/api/v1/auth/login", json={"phone": volunteer.phone, "password": "not-the-password"})
    for r in (pull, refresh, relogin):
        assert r.status_code == 403 and r.json()["error"]["code"] == "account_deactivated", r.text
    # Without the right password nothing about the account is revealed.
    assert wrong.status_code == 401 and wrong.json()["error"]["code"] == "wrong_credentials"


def _household(session: Session, actor, hamlet: AdminUnit, name: str) -> uuid.UUID:  # type: ignore[no-untyped-def]
    hid = uuid.uuid4()
    households.upsert_household(
        session,
        actor=actor,
        scope=scope_for(session, actor),
        data=HouseholdIn(id=hid, hamlet_id=hamlet.id, head_name=name, address="Số 1", member_count=2),
    )
    return hid


def test_hamlets_are_listed_renamed_merged_and_deactivated_never_deleted(client: TestClient, session: Session) -> None:
    tree = make_tree(session)
    official = make_user(session, "commune_official", unit=tree.commune)
    volunteer = make_user(session, "volunteer", unit=tree.commune, hamlets=[tree.other_hamlet])
    team = make_team(session, unit=tree.other_hamlet, members=[volunteer])
    moved = _household(session, official, tree.other_hamlet, "Nguyễn Văn An")
    _household(session, official, tree.hamlet, "Trần Thị Bình")
    session.commit()
    headers = login(client, official.phone)
    base = f"/api/v1/units/{tree.commune.id}/hamlets"

    added = client.post(base, json={"name": "Ấp Thạnh Hòa"}, headers=headers)
    assert added.status_code == 201
    rows = {r["name"]: r for r in client.get(base, headers=headers).json()}
    assert rows["Khu vực 2"]["household_count"] == 1 and rows["Khu vực 2"]["volunteer_count"] == 1
    assert rows["Khu vực 2"]["team_count"] == 1 and rows["Ấp Thạnh Hòa"]["active"] is True

    renamed = client.patch(f"/api/v1/units/{added.json()['id']}", json={"name": "  Ấp  Thạnh Hòa A "}, headers=headers)
    assert renamed.status_code == 200 and renamed.json()["name"] == "Ấp Thạnh Hòa A"
    clash = client.patch(f"/api/v1/units/{added.json()['id']}", json={"name": "khu vuc 1"}, headers=headers)
    assert clash.status_code == 409 and clash.json()["error"]["code"] == "hamlet_exists"

    merged = client.post(
        f"/api/v1/units/{tree.other_hamlet.id}/merge", json={"into_id": tree.hamlet.id}, headers=headers
    )
    assert merged.status_code == 200, merged.text
    assert {k: merged.json()[k] for k in ("households", "volunteers", "teams")} == {
        "households": 1,
        "volunteers": 1,
        "teams": 1,
    }
    session.expire_all()
    assert session.get(Household, moved).hamlet_id == tree.hamlet.id  # type: ignore[union-attr]
    assert session.exec(select(VolunteerArea.hamlet_id).where(VolunteerArea.user_id == volunteer.id)).all() == [
        tree.hamlet.id
    ]
    assert session.get(Team, team.id).unit_id == tree.hamlet.id  # type: ignore[union-attr]
    rows = {r["name"]: r for r in client.get(base, headers=headers).json()}
    assert rows["Khu vực 1"]["household_count"] == 2
    assert rows["Khu vực 2"]["active"] is False and rows["Khu vực 2"]["household_count"] == 0

    # Deactivating a hamlet with households keeps it and them.
    off = client.post(f"/api/v1/units/{tree.hamlet.id}/deactivate", headers=headers)
    assert off.status_code == 200 and off.json()["valid_to"] is not None
    session.expire_all()
    assert session.get(AdminUnit, tree.hamlet.id) is not None and session.get(Household, moved) is not None
    into_inactive = client.post(
        f"/api/v1/units/{added.json()['id']}/merge", json={"into_id": tree.hamlet.id}, headers=headers
    )
    assert into_inactive.status_code == 409
    assert client.post(f"/api/v1/units/{tree.hamlet.id}/reactivate", headers=headers).json()["valid_to"] is None

    # Another commune's hamlets are outside; a volunteer manages none.
    far = client.patch(f"/api/v1/units/{tree.far_hamlet.id}", json={"name": "X"}, headers=headers)
    assert far.status_code == 403
    mine = login(client, volunteer.phone)
    assert client.post(f"/api/v1/units/{tree.hamlet.id}/deactivate", headers=mine).status_code == 403


def test_people_are_found_by_name_without_accents_or_by_phone(client: TestClient, session: Session) -> None:
    tree = make_tree(session)
    official = make_user(session, "commune_official", unit=tree.commune)
    make_user(session, "volunteer", unit=tree.commune, name="Lê Thị Hoà", phone="0911222333")
    make_user(session, "volunteer", unit=tree.commune, name="Trần Văn Bình", phone="0911444555")
    make_user(session, "volunteer", unit=tree.other_commune, name="Lê Thị Hoa", phone="0911666777")
    session.commit()
    headers = login(client, official.phone)
    by_name = client.get("/api/v1/users", params={"q": "hoa", "unit_id": tree.commune.id}, headers=headers).json()
    assert [u["full_name"] for u in by_name["items"]] == ["Lê Thị Hoà"] and by_name["total"] == 1
    by_phone = client.get("/api/v1/users", params={"q": "0911 444"}, headers=headers).json()
    assert [u["full_name"] for u in by_phone["items"]] == ["Trần Văn Bình"]


def test_a_running_campaign_is_closed_today_and_an_upcoming_one_is_not(client: TestClient, session: Session) -> None:
    tree = make_tree(session)
    official = make_user(session, "commune_official", unit=tree.commune)
    today = today_in_vietnam()
    running = make_campaign(
        session, unit=tree.commune, starts_on=today - timedelta(days=2), ends_on=today + timedelta(days=5)
    )
    upcoming = make_campaign(
        session, unit=tree.commune, starts_on=today + timedelta(days=2), ends_on=today + timedelta(days=5)
    )
    session.commit()
    headers = login(client, official.phone)
    listed = client.get("/api/v1/campaigns", headers=headers).json()["items"]
    assert {c["id"]: c["state"] for c in listed} == {running.id: "running", upcoming.id: "upcoming"}
    closed = client.post(f"/api/v1/campaigns/{running.id}/close", headers=headers)
    assert closed.status_code == 200 and closed.json()["ends_on"] == today.isoformat()
    refused = client.post(f"/api/v1/campaigns/{upcoming.id}/close", headers=headers)
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "campaign_not_started"
    volunteer = make_user(session, "volunteer", unit=tree.commune, hamlets=[tree.hamlet])
    session.commit()
    assert (
        client.post(f"/api/v1/campaigns/{running.id}/close", headers=login(client, volunteer.phone)).status_code == 403
    )
