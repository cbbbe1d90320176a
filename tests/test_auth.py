from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from app.config import get_settings
from app.models import LoginThrottle
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


def _session_tokens(client: TestClient, phone: str, password: str = "mat-khau-thu") -> tuple[dict[str, str], str]:
    body = client.post("/api/v1/auth/login", json={"phone": phone, "password": password}).json()
    return {"Authorization": f"Bearer {body['access_token']}"}, body["refresh_token"]


def _dead(client: TestClient, access: dict[str, str], refresh: str) -> bool:
    me = client.get("/api/v1/me", headers=access)
    again = client.post("/api/v1/auth/refresh", json={"refresh_token": refresh})
    return (me.status_code, again.status_code) == (401, 401) and me.json()["error"]["code"] == "invalid_token"


def test_password_change_ends_every_older_token(client: TestClient, session: Session) -> None:
    tree = make_tree(session)
    user = make_user(session, "volunteer", hamlets=[tree.hamlet])
    session.commit()
    other_phone = _session_tokens(client, user.phone)
    access, refresh = _session_tokens(client, user.phone)
    r = client.post(
        "/api/v1/me/password",
        json={"current_password": "mat-khau-thu", "new_password": "mot-mat-khau-moi"},
        headers=access,
    )
    assert r.status_code == 200, r.text
    # The session that changed the password goes on with the tokens it was given; every other one ends.
    fresh = {"Authorization": f"Bearer {r.json()['access_token']}"}
    assert client.get("/api/v1/me", headers=fresh).status_code == 200
    assert client.post("/api/v1/auth/refresh", json={"refresh_token": r.json()["refresh_token"]}).status_code == 200
    assert _dead(client, access, refresh)
    assert _dead(client, *other_phone)


def test_admin_reset_and_deactivation_end_every_older_token(client: TestClient, session: Session) -> None:
    tree = make_tree(session)
    official = make_user(session, "commune_official", unit=tree.commune)
    volunteer = make_user(session, "volunteer", unit=tree.commune, hamlets=[tree.hamlet])
    session.commit()
    official_headers = login(client, official.phone)

    before_reset = _session_tokens(client, volunteer.phone)
    r = client.patch(f"/api/v1/users/{volunteer.id}", json={"reset_password": True}, headers=official_headers)
    assert r.status_code == 200
    assert _dead(client, *before_reset)
    temporary = r.json()["temporary_password"]

    before_deactivation = _session_tokens(client, volunteer.phone, temporary)
    assert client.get("/api/v1/me", headers=before_deactivation[0]).status_code == 200
    assert client.post(f"/api/v1/users/{volunteer.id}/deactivate", headers=official_headers).status_code == 200
    assert client.post(f"/api/v1/users/{volunteer.id}/reactivate", headers=official_headers).status_code == 200
    # Reactivating does not bring the old sessions back: the volunteer logs in again.
    assert _dead(client, *before_deactivation)
    assert client.get("/api/v1/me", headers=login(client, volunteer.phone, temporary)).status_code == 200


def test_token_with_a_tampered_credential_version_is_refused(client: TestClient, session: Session) -> None:
    from app.auth.security import create_token

    tree = make_tree(session)
    user = make_user(session, "volunteer", hamlets=[tree.hamlet])
    session.commit()
    assert user.id is not None
    for version in (1, -1, "0", None):
        token = create_token(user.id, "access", version)  # type: ignore[arg-type]
        assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401, version
    assert (
        client.get("/api/v1/me", headers={"Authorization": f"Bearer {create_token(user.id, 'access', 0)}"}).status_code
        == 200
    )


def _wrong(client: TestClient, phone: str) -> int:
    return client.post("/api/v1/auth/login", json={"phone": phone, "password": "sai-mat-khau"}).status_code


def test_a_stranger_cannot_lock_the_owner_out(
    client: TestClient, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No slowdown, a lock after 5 failures: every count below is exact, however slow the machine.
    monkeypatch.setattr(get_settings(), "login_slowdown_after", 100)
    monkeypatch.setattr(get_settings(), "login_lock_after", 5)
    tree = make_tree(session)
    owner = make_user(session, "volunteer", hamlets=[tree.hamlet])
    session.commit()
    stranger = TestClient(client.app, client=("203.0.113.9", 40000))
    assert [_wrong(stranger, owner.phone) for _ in range(7)] == [401] * 5 + [429] * 2
    # The owner, from their own phone, is not locked by the stranger's failures.
    assert [_wrong(client, owner.phone) for _ in range(2)] == [401, 401]
    login(client, owner.phone)
    # A success forgets the owner's failures, not the stranger's, who stays locked.
    assert [_wrong(client, owner.phone) for _ in range(3)] == [401, 401, 401]
    assert _wrong(stranger, owner.phone) == 429
    session.expire_all()
    rows = session.exec(select(LoginThrottle).where(LoginThrottle.phone == owner.phone)).all()
    assert sorted((r.client, r.failures) for r in rows) == [("203.0.113.9", 5), ("testclient", 3)]
    # IPv6 counts by /64: rotating addresses inside one's own network does not start a new count.
    for host in ("2001:db8:7:1::a", "2001:db8:7:1::b", "2001:db8:7:1:ffff::c"):
        assert _wrong(TestClient(client.app, client=(host, 40000)), owner.phone) == 401
    session.expire_all()
    row = session.get(LoginThrottle, (owner.phone, "2001:db8:7:1::/64"))
    assert row is not None and row.failures == 3


def test_parallel_wrong_logins_evaluate_at_most_the_limit(
    committed_client: TestClient, committed_engine: Engine
) -> None:
    """20 wrong passwords at once, each in its own committed transaction: no 500 (no duplicate key), and
    no more passwords checked than the lock-out allows; refused ones are 429."""
    with Session(committed_engine) as session:
        tree = make_tree(session)
        user = make_user(session, "volunteer", hamlets=[tree.hamlet])
        session.commit()
        phone = user.phone
    with ThreadPoolExecutor(max_workers=20) as pool:
        codes = Counter(pool.map(lambda _: _wrong(committed_client, phone), range(20)))
    settings = get_settings()
    assert set(codes) <= {401, 429}, codes
    assert 1 <= codes[401] <= settings.login_lock_after, codes
    assert codes[429] >= 20 - settings.login_lock_after, codes
    with Session(committed_engine) as session:
        rows = session.exec(select(LoginThrottle).where(LoginThrottle.phone == phone)).all()
        assert [r.failures for r in rows] == [codes[401]]
