from fastapi.testclient import TestClient
from sqlmodel import Session

from tests.factories import login, make_tree, make_user


def test_login_accepts_every_usual_phone_form(client: TestClient, session: Session) -> None:
    tree = make_tree(session)
    make_user(session, "volunteer", hamlets=[tree.hamlet], phone="0912345678")
    session.commit()
    for form in ("0912 345 678", "0912.345.678", "+84912345678", "84912345678", "0912345678"):
        response = client.post("/api/v1/auth/login", json={"phone": form, "password": "mat-khau-thu"})
        assert response.status_code == 200, (form, response.text)
        assert response.json()["user"]["phone"] == "+84912345678"


def test_invalid_phone_is_422_with_a_clear_message(client: TestClient) -> None:
    response = client.post("/api/v1/auth/login", json={"phone": "12345", "password": "x"})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_phone"
    assert "Số điện thoại" in response.json()["error"]["message"]


def test_wrong_password_then_slowdown_then_lock(client: TestClient, session: Session) -> None:
    tree = make_tree(session)
    make_user(session, "volunteer", hamlets=[tree.hamlet], phone="0912345679")
    session.commit()
    codes = []
    for _ in range(4):
        r = client.post("/api/v1/auth/login", json={"phone": "0912345679", "password": "sai"})
        codes.append(r.status_code)
    assert codes[:3] == [401, 401, 401]
    assert codes[3] == 429
    body = client.post("/api/v1/auth/login", json={"phone": "0912345679", "password": "mat-khau-thu"}).json()
    assert body["error"]["code"] == "too_many_attempts"
    assert body["error"]["details"]["retry_after"] > 0


def test_me_and_refresh(client: TestClient, session: Session) -> None:
    tree = make_tree(session)
    user = make_user(session, "volunteer", hamlets=[tree.hamlet, tree.other_hamlet])
    session.commit()
    headers = login(client, user.phone)
    me = client.get("/api/v1/me", headers=headers).json()
    assert {u["id"] for u in me["area"]} == {tree.hamlet.id, tree.other_hamlet.id}
    refresh = client.post("/api/v1/auth/login", json={"phone": user.phone, "password": "mat-khau-thu"}).json()
    again = client.post("/api/v1/auth/refresh", json={"refresh_token": refresh["refresh_token"]})
    assert again.status_code == 200
    wrong_kind = client.post("/api/v1/auth/refresh", json={"refresh_token": refresh["access_token"]})
    assert wrong_kind.status_code == 401


def test_no_token_and_bad_token_are_401(client: TestClient) -> None:
    assert client.get("/api/v1/me").status_code == 401
    r = client.get("/api/v1/me", headers={"Authorization": "Bearer nonsense"})
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "invalid_token"
