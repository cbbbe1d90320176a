from fastapi.testclient import TestClient
from sqlmodel import Session

from tests.factories import login, make_team, make_tree, make_user


def test_official_creates_a_team_adds_members_and_moves_a_volunteer(client: TestClient, session: Session) -> None:
    tree = make_tree(session)
    official = make_user(session, "commune_official", unit=tree.commune)
    leader = make_user(session, "team_leader", unit=tree.commune)
    volunteer = make_user(session, "volunteer", unit=tree.commune, hamlets=[tree.hamlet])
    session.commit()
    headers = login(client, official.phone)
    r = client.post("/api/v1/teams", json={"name": "Tổ CNSCĐ Khu vực 1", "unit_id": tree.hamlet.id}, headers=headers)
    assert r.status_code == 201, r.text
    first = r.json()["id"]
    r = client.post(f"/api/v1/teams/{first}/members", json={"user_id": leader.id, "role": "leader"}, headers=headers)
    assert r.status_code == 200, r.text
    r = client.post(f"/api/v1/teams/{first}/members", json={"user_id": volunteer.id}, headers=headers)
    assert {(m["user_id"], m["role"]) for m in r.json()["members"]} == {(leader.id, "leader"), (volunteer.id, "member")}
    second = client.post(
        "/api/v1/teams", json={"name": "Tổ CNSCĐ Khu vực 2", "unit_id": tree.other_hamlet.id}, headers=headers
    ).json()["id"]
    r = client.post(f"/api/v1/teams/{second}/members", json={"user_id": volunteer.id}, headers=headers)
    assert r.status_code == 409 and r.json()["error"]["code"] == "already_in_team"
    r = client.post(f"/api/v1/teams/{second}/members", json={"user_id": volunteer.id, "move": True}, headers=headers)
    assert r.status_code == 200
    assert [m["user_id"] for m in r.json()["members"]] == [volunteer.id]
    assert [m["user_id"] for m in client.get(f"/api/v1/teams/{first}", headers=headers).json()["members"]] == [
        leader.id
    ]
    # The leader now reads the hamlet of the team they lead.
    leader_headers = login(client, leader.phone)
    me = client.get("/api/v1/teams", headers=leader_headers).json()
    assert [t["id"] for t in me["items"]] == [first]
    r = client.delete(f"/api/v1/teams/{first}/members/{leader.id}", headers=headers)
    assert r.status_code == 204
    assert client.delete(f"/api/v1/teams/{first}/members/{leader.id}", headers=headers).status_code == 404
    r = client.patch(f"/api/v1/teams/{first}", json={"name": "Tổ 1"}, headers=headers)
    assert r.json()["name"] == "Tổ 1" and r.json()["member_count"] == 0


def test_teams_are_scoped(client: TestClient, session: Session) -> None:
    tree = make_tree(session)
    official = make_user(session, "commune_official", unit=tree.commune)
    district = make_user(session, "district_official", unit=tree.district)
    volunteer = make_user(session, "volunteer", unit=tree.commune, hamlets=[tree.hamlet])
    stranger = make_user(session, "volunteer", unit=tree.other_commune, hamlets=[tree.hamlet_of_other_commune])
    mine = make_team(session, unit=tree.hamlet, members=[volunteer])
    theirs = make_team(session, unit=tree.hamlet_of_other_commune, members=[stranger])
    far = make_team(session, unit=tree.far_hamlet)
    session.commit()
    headers = login(client, official.phone)
    assert [t["id"] for t in client.get("/api/v1/teams", headers=headers).json()["items"]] == [mine.id]
    for method, path, body in [
        ("get", f"/api/v1/teams/{theirs.id}", None),
        ("patch", f"/api/v1/teams/{theirs.id}", {"name": "x"}),
        ("post", f"/api/v1/teams/{theirs.id}/members", {"user_id": volunteer.id}),
        ("delete", f"/api/v1/teams/{theirs.id}/members/{stranger.id}", None),
        ("post", f"/api/v1/teams/{mine.id}/members", {"user_id": stranger.id}),
        ("post", "/api/v1/teams", {"name": "x", "unit_id": tree.hamlet_of_other_commune.id}),
        ("patch", f"/api/v1/teams/{mine.id}", {"unit_id": tree.far_hamlet.id}),
    ]:
        r = client.request(method, path, json=body, headers=headers)
        assert r.status_code == 403, (method, path, r.text)
        assert r.json()["error"]["code"] == "outside_your_area"
    district_ids = {t["id"] for t in client.get("/api/v1/teams", headers=login(client, district.phone)).json()["items"]}
    assert district_ids == {mine.id, theirs.id}
    assert far.id not in district_ids
    volunteer_headers = login(client, volunteer.phone)
    assert [t["id"] for t in client.get("/api/v1/teams", headers=volunteer_headers).json()["items"]] == [mine.id]
    assert client.get(f"/api/v1/teams/{theirs.id}", headers=volunteer_headers).status_code == 403
    r = client.post("/api/v1/teams", json={"name": "x", "unit_id": tree.hamlet.id}, headers=volunteer_headers)
    assert r.status_code == 403
    assert client.get("/api/v1/teams/999999", headers=headers).status_code == 404


def test_bad_team_requests_are_clear_4xx(client: TestClient, session: Session) -> None:
    tree = make_tree(session)
    official = make_user(session, "commune_official", unit=tree.commune)
    volunteer = make_user(session, "volunteer", unit=tree.commune)
    other_official = make_user(session, "commune_official", unit=tree.commune)
    team = make_team(session, unit=tree.hamlet)
    session.commit()
    headers = login(client, official.phone)
    r = client.post("/api/v1/teams", json={"name": "x", "unit_id": tree.district.id}, headers=headers)
    assert r.status_code == 422 and r.json()["error"]["code"] == "wrong_team_unit"
    r = client.post("/api/v1/teams", json={"name": "", "unit_id": tree.hamlet.id}, headers=headers)
    assert r.status_code == 422
    r = client.post(
        f"/api/v1/teams/{team.id}/members", json={"user_id": volunteer.id, "role": "leader"}, headers=headers
    )
    assert r.status_code == 422 and r.json()["error"]["code"] == "not_a_team_leader"
    r = client.post(f"/api/v1/teams/{team.id}/members", json={"user_id": volunteer.id, "role": "boss"}, headers=headers)
    assert r.status_code == 422
    r = client.post(f"/api/v1/teams/{team.id}/members", json={"user_id": other_official.id}, headers=headers)
    assert r.status_code == 422 and r.json()["error"]["code"] == "not_a_field_account"
    r = client.post(f"/api/v1/teams/{team.id}/members", json={"user_id": 999999}, headers=headers)
    assert r.status_code == 404
