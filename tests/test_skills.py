from fastapi.testclient import TestClient
from sqlmodel import Session

from tests.factories import login, make_tree, make_user


def test_province_renames_skill_5_and_adds_a_milestone(client: TestClient, session: Session) -> None:
    tree = make_tree(session)
    official = make_user(session, "province_official", unit=tree.province)
    volunteer = make_user(session, "volunteer", unit=tree.commune, hamlets=[tree.hamlet])
    session.commit()
    headers = login(client, official.phone)
    r = client.put(
        "/api/v1/skills/digital_platforms/label",
        json={"label_vi": "Sử dụng ứng dụng Hậu Giang số", "label_en": "Using the Hau Giang digital app"},
        headers=headers,
    )
    assert r.status_code == 200, r.text
    skills = {s["id"]: s for s in r.json()["skills"]}
    assert skills["digital_platforms"]["label_vi"] == "Sử dụng ứng dụng Hậu Giang số"
    assert skills["digital_platforms"]["national_label_vi"] == "Sử dụng nền tảng số"
    assert skills["public_services"]["local"] is False
    r = client.post(
        "/api/v1/milestones",
        json={"label_vi": "Cài đặt ứng dụng Hậu Giang số", "label_en": "Hau Giang app installed"},
        headers=headers,
    )
    assert r.status_code == 201, r.text
    milestone = r.json()
    assert milestone["province_id"] == tree.province.id
    # The volunteer's phone gets the province's wording and its milestones.
    catalogue = client.get("/api/v1/skills", headers=login(client, volunteer.phone)).json()
    assert catalogue["province_id"] == tree.province.id
    assert len(catalogue["skills"]) == 5
    assert catalogue["skills"][4]["label_vi"] == "Sử dụng ứng dụng Hậu Giang số"
    ids = [m["id"] for m in catalogue["milestones"]]
    assert ids[:4] == ["vneid_level2", "public_service_account", "payment_app", "ecommerce_app"]
    assert milestone["id"] in ids
    r = client.patch(f"/api/v1/milestones/{milestone['id']}", json={"is_active": False}, headers=headers)
    assert r.status_code == 200 and r.json()["is_active"] is False
    assert milestone["id"] not in [m["id"] for m in client.get("/api/v1/skills", headers=headers).json()["milestones"]]
    inactive = client.get("/api/v1/skills", params={"include_inactive": True}, headers=headers).json()
    assert milestone["id"] in [m["id"] for m in inactive["milestones"]]
    r = client.delete("/api/v1/skills/digital_platforms/label", headers=headers)
    assert r.json()["skills"][4]["label_vi"] == "Sử dụng nền tảng số"


def test_another_province_keeps_the_national_catalogue(client: TestClient, session: Session) -> None:
    tree = make_tree(session)
    from app.units.service import create_unit

    other = create_unit(session, scheme="vn2004", level="province", code="94", name="Tỉnh Sóc Trăng", parent=None)
    official = make_user(session, "province_official", unit=tree.province)
    stranger = make_user(session, "province_official", unit=other)
    session.commit()
    headers = login(client, official.phone)
    client.put(
        "/api/v1/skills/digital_platforms/label", json={"label_vi": "Ứng dụng A", "label_en": "App A"}, headers=headers
    )
    client.post("/api/v1/milestones", json={"label_vi": "Mốc A", "label_en": "Step A"}, headers=headers)
    theirs = client.get("/api/v1/skills", headers=login(client, stranger.phone)).json()
    assert theirs["province_id"] == other.id
    assert theirs["skills"][4]["label_vi"] == "Sử dụng nền tảng số"
    assert len(theirs["milestones"]) == 4
    r = client.put(
        "/api/v1/skills/digital_platforms/label",
        json={"province_id": other.id, "label_vi": "x", "label_en": "x"},
        headers=headers,
    )
    assert r.status_code == 403 and r.json()["error"]["code"] == "outside_your_area"


def test_who_may_change_the_catalogue(client: TestClient, session: Session) -> None:
    tree = make_tree(session)
    commune = make_user(session, "commune_official", unit=tree.commune)
    province = make_user(session, "province_official", unit=tree.province)
    admin = make_user(session, "admin")
    session.commit()
    label = {"label_vi": "Ứng dụng B", "label_en": "App B"}
    r = client.put("/api/v1/skills/digital_platforms/label", json=label, headers=login(client, commune.phone))
    assert r.status_code == 403
    r = client.post("/api/v1/milestones", json=label, headers=login(client, commune.phone))
    assert r.status_code == 403
    headers = login(client, province.phone)
    r = client.put("/api/v1/skills/online_payment/label", json=label, headers=headers)
    assert r.status_code == 422 and r.json()["error"]["code"] == "skill_label_fixed"
    assert client.put("/api/v1/skills/no_such_skill/label", json=label, headers=headers).status_code == 404
    r = client.patch("/api/v1/milestones/vneid_level2", json={"is_active": False}, headers=headers)
    assert r.status_code == 403 and r.json()["error"]["code"] == "national_milestone"
    assert client.patch("/api/v1/milestones/nope", json={"is_active": False}, headers=headers).status_code == 404
    admin_headers = login(client, admin.phone)
    r = client.put("/api/v1/skills/digital_platforms/label", json=label, headers=admin_headers)
    assert r.status_code == 422 and r.json()["error"]["code"] == "province_required"
    r = client.put(
        "/api/v1/skills/digital_platforms/label", json={**label, "province_id": tree.province.id}, headers=admin_headers
    )
    assert r.status_code == 200
    r = client.put(
        "/api/v1/skills/digital_platforms/label", json={**label, "province_id": tree.commune.id}, headers=admin_headers
    )
    assert r.status_code == 422 and r.json()["error"]["code"] == "not_a_province"
    r = client.post("/api/v1/milestones", json=label, headers=admin_headers)
    assert r.status_code == 201 and r.json()["province_id"] is None
    r = client.post("/api/v1/milestones", json={"label_vi": "x" * 500, "label_en": "x"}, headers=admin_headers)
    assert r.status_code == 422


def test_every_skill_has_lesson_cards_and_a_province_edits_its_own(client: TestClient, session: Session) -> None:
    tree = make_tree(session)
    official = make_user(session, "province_official", unit=tree.province)
    volunteer = make_user(session, "volunteer", unit=tree.commune, hamlets=[tree.hamlet])
    session.commit()
    phone = login(client, volunteer.phone)
    catalogue = client.get("/api/v1/skills", headers=phone).json()
    for skill in catalogue["skills"]:
        assert 2 <= len(skill["lessons"]) <= 4, skill["id"]
        for lesson in skill["lessons"]:
            assert lesson["title"] and lesson["note"]
            assert 3 <= len(lesson["steps"]) <= 6, lesson["title"]
    titles = [lesson["title"] for s in catalogue["skills"] for lesson in s["lessons"]]
    assert any("VNeID mức 2" in title for title in titles)
    assert any("Cổng Dịch vụ công quốc gia" in title for title in titles)

    headers = login(client, official.phone)
    own = [
        {
            "title": "Dùng ứng dụng Hậu Giang số",
            "steps": ["Tải ứng dụng", "Đăng nhập", "Gửi phản ánh"],
            "note": "Miễn phí",
        }
    ]
    r = client.put("/api/v1/skills/digital_platforms/lessons", json={"lessons": own}, headers=headers)
    assert r.status_code == 200, r.text
    platforms = r.json()["skills"][4]
    assert (platforms["lessons"], platforms["local_lessons"]) == (own, True)
    # The phone gets the province's cards with the catalogue, in the pull too.
    assert client.get("/api/v1/skills", headers=phone).json()["skills"][4]["lessons"] == own
    pulled = client.get("/api/v1/sync/pull", headers=phone).json()["changes"]
    skill_data = {c["id"]: c["data"] for c in pulled if c["type"] == "skill"}
    assert skill_data["digital_platforms"]["lessons"] == own
    assert len(skill_data["online_safety"]["lessons"]) >= 2
    # A volunteer cannot edit them; a card without steps is refused with the usual error shape.
    assert (
        client.put("/api/v1/skills/digital_platforms/lessons", json={"lessons": own}, headers=phone).status_code == 403
    )
    bad = client.put(
        "/api/v1/skills/online_safety/lessons", json={"lessons": [{"title": "x", "steps": []}]}, headers=headers
    )
    assert bad.status_code == 422 and "error" in bad.json()
    r = client.delete("/api/v1/skills/digital_platforms/lessons", headers=headers)
    assert r.json()["skills"][4]["local_lessons"] is False
