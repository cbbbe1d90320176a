"""Bad input gets a 4xx in the one error shape, never a 500, and nothing is half-written."""

from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

from app.models import Household
from tests.factories import login, make_tree, make_user, new_id


def _headers(client: TestClient, session: Session):  # type: ignore[no-untyped-def]
    tree = make_tree(session)
    user = make_user(session, "volunteer", hamlets=[tree.hamlet])
    session.commit()
    return tree, login(client, user.phone)


def _assert_error(response, status: int, code: str | None = None) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    assert {"code", "message", "details"} <= set(body["error"])
    assert body["error"]["message"]
    if code:
        assert body["error"]["code"] == code


def test_malformed_json_is_400(client: TestClient, session: Session) -> None:
    _, headers = _headers(client, session)
    r = client.post("/api/v1/households", content=b'{"id": ', headers={**headers, "Content-Type": "application/json"})
    _assert_error(r, 400, "malformed_json")


def test_wrong_types_unknown_fields_and_absurd_values_are_422(client: TestClient, session: Session) -> None:
    tree, headers = _headers(client, session)
    base = {"id": new_id(), "hamlet_id": tree.hamlet.id, "address": "Số 1", "head_name": "Lê Văn Tám"}
    for bad in (
        {**base, "hamlet_id": "mười"},
        {**base, "member_count": -1},
        {**base, "member_count": 10_000},
        {**base, "head_name": "a" * 500},
        {**base, "national_id": "079123456789"},
        {**base, "phone": "12"},
        {**base, "id": "not-a-uuid"},
        {**base, "latitude": 91},
    ):
        _assert_error(client.post("/api/v1/households", json=bad, headers=headers), 422)
    count = session.exec(select(func.count()).select_from(Household)).one()
    assert count == 0


def test_body_over_one_megabyte_is_413(client: TestClient, session: Session) -> None:
    _, headers = _headers(client, session)
    big = b'{"notes": "' + b"x" * 1_100_000 + b'"}'
    r = client.post("/api/v1/visits", content=big, headers={**headers, "Content-Type": "application/json"})
    _assert_error(r, 413, "body_too_large")


def test_unknown_route_and_method_use_the_error_shape(client: TestClient) -> None:
    _assert_error(client.get("/api/v1/nothing-here"), 404)
    _assert_error(client.delete("/api/v1/health"), 405)


def test_a_failing_request_writes_nothing(client: TestClient, session: Session) -> None:
    tree, headers = _headers(client, session)
    household = {"id": new_id(), "hamlet_id": tree.far_hamlet.id, "address": "Số 9", "head_name": "Phạm Thị Hoa"}
    _assert_error(client.post("/api/v1/households", json=household, headers=headers), 403, "outside_your_area")
    assert session.exec(select(func.count()).select_from(Household)).one() == 0
