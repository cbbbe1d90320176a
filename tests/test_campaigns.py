from fastapi.testclient import TestClient
from sqlmodel import Session

from tests.factories import login, make_campaign, make_tree, make_user, new_id


def test_create_list_and_update_a_campaign(client: TestClient, session: Session) -> None:
    tree = make_tree(session)
    official = make_user(session, "district_official", unit=tree.district)
    volunteer = make_user(session, "volunteer", unit=tree.commune, hamlets=[tree.hamlet])
    session.commit()
    headers = login(client, official.phone)
    r = client.post(
        "/api/v1/campaigns",
        json={
            "name": "Chiến dịch đi từng ngõ, gõ từng nhà",
            "starts_on": "2024-10-01",
            "ends_on": "2024-10-10",
            "covered_threshold": 2,
            "unit_ids": [tree.commune.id, tree.other_commune.id],
        },
        headers=headers,
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["unit_id"] == tree.district.id and body["covered_threshold"] == 2
    assert body["unit_ids"] == sorted([tree.commune.id, tree.other_commune.id])
    assert body["state"] == "ended"
    campaign_id = body["id"]
    # The volunteer below sees it; it is read-only for them.
    volunteer_headers = login(client, volunteer.phone)
    assert [c["id"] for c in client.get("/api/v1/campaigns", headers=volunteer_headers).json()["items"]] == [
        campaign_id
    ]
    assert (
        client.patch(f"/api/v1/campaigns/{campaign_id}", json={"name": "x"}, headers=volunteer_headers).status_code
        == 403
    )
    r = client.patch(
        f"/api/v1/campaigns/{campaign_id}",
        json={"covered_threshold": 1, "ends_on": "2024-10-15", "unit_ids": [tree.commune.id]},
        headers=headers,
    )
    assert r.status_code == 200, r.text
    assert (r.json()["covered_threshold"], r.json()["ends_on"], r.json()["unit_ids"]) == (
        1,
        "2024-10-15",
        [tree.commune.id],
    )


def test_dates_and_threshold_are_validated(client: TestClient, session: Session) -> None:
    tree = make_tree(session)
    official = make_user(session, "commune_official", unit=tree.commune)
    session.commit()
    headers = login(client, official.phone)
    base = {"name": "Chiến dịch", "starts_on": "2024-10-01", "ends_on": "2024-10-10"}
    for change, code in [
        ({"ends_on": "2024-09-30"}, "invalid_dates"),
        ({"starts_on": "1900-01-01"}, "invalid_dates"),
        ({"ends_on": "9999-12-31"}, "invalid_dates"),
        ({"ends_on": "2030-10-10"}, "invalid_dates"),
        ({"ends_on": "2024-02-30"}, "invalid"),
        ({"covered_threshold": 3}, "invalid"),
        ({"covered_threshold": 0}, "invalid"),
        ({"unit_ids": [tree.hamlet_of_other_commune.id]}, "unit_outside_campaign"),
        ({"unit_id": tree.other_commune.id}, "outside_your_area"),
        ({"unit_id": tree.hamlet.id}, "wrong_campaign_unit"),
        ({"name": ""}, "invalid"),
    ]:
        r = client.post("/api/v1/campaigns", json={**base, **change}, headers=headers)
        assert 400 <= r.status_code < 500, (change, r.text)
        assert r.json()["error"]["code"] == code, (change, r.text)
    assert client.post("/api/v1/campaigns", json=base, headers=headers).status_code == 201


def test_campaigns_are_scoped(client: TestClient, session: Session) -> None:
    tree = make_tree(session)
    official = make_user(session, "commune_official", unit=tree.commune)
    province_wide = make_campaign(session, unit=tree.province)
    neighbour = make_campaign(session, unit=tree.other_commune)
    mine = make_campaign(session, unit=tree.commune)
    session.commit()
    headers = login(client, official.phone)
    ids = {c["id"] for c in client.get("/api/v1/campaigns", headers=headers).json()["items"]}
    assert ids == {province_wide.id, mine.id}
    r = client.get(f"/api/v1/campaigns/{neighbour.id}", headers=headers)
    assert r.status_code == 403 and r.json()["error"]["code"] == "outside_your_area"
    # Officials read the campaigns above them but change only their own unit's.
    r = client.patch(f"/api/v1/campaigns/{province_wide.id}", json={"name": "x"}, headers=headers)
    assert r.status_code == 403 and r.json()["error"]["code"] == "outside_your_area"
    assert client.get("/api/v1/campaigns/999999", headers=headers).status_code == 404


def test_dates_cannot_move_under_counted_visits(client: TestClient, session: Session) -> None:
    tree = make_tree(session)
    official = make_user(session, "commune_official", unit=tree.commune)
    volunteer = make_user(session, "volunteer", unit=tree.commune, hamlets=[tree.hamlet])
    campaign = make_campaign(session, unit=tree.commune)
    session.commit()
    volunteer_headers = login(client, volunteer.phone)
    household_id = new_id()
    client.post(
        "/api/v1/households",
        json={"id": household_id, "hamlet_id": tree.hamlet.id, "head_name": "Đặng Văn Em"},
        headers=volunteer_headers,
    )
    r = client.post(
        "/api/v1/visits",
        json={
            "id": new_id(),
            "household_id": household_id,
            "campaign_id": campaign.id,
            "visited_at": "2024-10-05T09:30:00+07:00",
            "outcome": "not_home",
            "people": [],
        },
        headers=volunteer_headers,
    )
    assert r.status_code == 201, r.text
    headers = login(client, official.phone)
    r = client.patch(f"/api/v1/campaigns/{campaign.id}", json={"ends_on": "2024-10-04"}, headers=headers)
    assert r.status_code == 409 and r.json()["error"]["code"] == "campaign_has_visits"
    r = client.patch(f"/api/v1/campaigns/{campaign.id}", json={"unit_id": tree.commune.id + 0}, headers=headers)
    assert r.status_code == 200
    # Extending the end keeps every counted visit counted.
    r = client.patch(f"/api/v1/campaigns/{campaign.id}", json={"ends_on": "2024-10-20"}, headers=headers)
    assert r.status_code == 200 and r.json()["ends_on"] == "2024-10-20"
