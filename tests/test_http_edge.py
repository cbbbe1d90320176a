"""Issue 9 (13): security headers on every response, `Allow` on 405, 413 for any oversize body, and the
error responses documented in OpenAPI with the one error shape."""

from collections.abc import Iterator
from pathlib import Path

from fastapi.testclient import TestClient
from sqlmodel import Session

from tests.factories import login, make_tree, make_user

HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
}


def _secure(response) -> None:  # type: ignore[no-untyped-def]
    for name, value in HEADERS.items():
        assert response.headers.get(name) == value, (response.request.url, name)
    policy = response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in policy
    assert "script-src 'self';" in policy and "unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]


def test_every_kind_of_response_carries_the_security_headers(client: TestClient, session: Session) -> None:
    tree = make_tree(session)
    user = make_user(session, "commune_official", unit=tree.commune)
    session.commit()
    headers = login(client, user.phone)
    for response in (
        client.get("/api/v1/me", headers=headers),
        client.get("/api/v1/me"),  # 401
        client.get("/api/v1/units/999999", headers=headers),  # 404
        client.post("/api/v1/households", json={}, headers=headers),  # 422
        client.delete("/api/v1/households", headers=headers),  # 405
        client.get("/api/v1/openapi.json"),
        client.get("/"),  # the PWA (or the page saying it is not built)
    ):
        _secure(response)


def test_405_names_the_allowed_methods(client: TestClient) -> None:
    r = client.delete("/api/v1/households")
    assert r.status_code == 405
    assert r.headers["allow"] == "GET, POST"
    assert r.json()["error"]["code"] == "method_not_allowed"
    r = client.put("/api/v1/teams/5")
    assert r.status_code == 405 and r.headers["allow"] == "GET, PATCH"


def test_an_oversize_body_is_413_with_or_without_a_length(client: TestClient) -> None:
    body = b"[" + b"0," * 600_000 + b"0]"  # 1.2 MB
    r = client.post("/api/v1/sync/push", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 413

    def chunks() -> Iterator[bytes]:
        for i in range(0, len(body), 64_000):
            yield body[i : i + 64_000]

    r = client.post("/api/v1/sync/push", content=chunks(), headers={"content-type": "application/json"})
    assert r.request.headers.get("transfer-encoding") == "chunked"
    assert "content-length" not in r.request.headers
    assert r.status_code == 413, r.text
    assert r.json()["error"]["code"] == "body_too_large"
    _secure(r)


def test_openapi_documents_the_error_responses_with_the_one_shape(client: TestClient) -> None:
    schema = client.get("/api/v1/openapi.json").json()
    error = schema["components"]["schemas"]["ErrorOut"]
    assert error["required"] == ["error"]
    body = schema["components"]["schemas"]["ErrorBody"]
    assert set(body["properties"]) == {"code", "message", "message_en", "details"}
    assert "HTTPValidationError" not in schema["components"]["schemas"]
    for path, operations in schema["paths"].items():
        for method, op in operations.items():
            for status in ("401", "403", "404", "413", "422"):
                ref = op["responses"][status]["content"]["application/json"]["schema"]["$ref"]
                assert ref == "#/components/schemas/ErrorOut", (method, path, status)


def test_the_pwas_hashed_assets_are_kept_and_its_other_files_checked_at_every_load(client: TestClient) -> None:
    dist = Path(__file__).resolve().parent.parent / "frontend" / "dist"
    asset = next((dist / "assets").glob("*.js"))  # `make test` builds the PWA first
    kept = client.get(f"/assets/{asset.name}")
    assert kept.status_code == 200
    assert kept.headers["cache-control"] == "public, max-age=31536000, immutable"
    for path in ("/", "/sw.js", "/manifest.webmanifest"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["cache-control"] == "no-cache", path
        _secure(response)
    assert "immutable" not in client.get("/api/v1/health").headers.get("cache-control", "")
