"""The server's backstops: every API route commits within one thread trip, and a stalled database answers
a quick 503 with Retry-After (which the phone retries) instead of holding a thread without end."""

import logging
from collections.abc import Iterator

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlmodel import Session
from starlette.routing import BaseRoute

from app.db import RequestLimits, make_engine
from app.main import create_app, warn_without_autovacuum
from app.routing import OneHopRoute
from tests import factories
from tests.sync.helpers import household, new_client_id, numbered, push

LIMITS = RequestLimits(
    lock_timeout_ms=300, statement_timeout_ms=5_000, idle_in_transaction_timeout_ms=5_000, sqlite_busy_timeout_ms=300
)


def _included_routes(routes: list[BaseRoute]) -> Iterator[BaseRoute]:
    for route in routes:
        if hasattr(route, "original_router"):  # a router included with include_router
            yield from route.original_router.routes
            yield from _included_routes(route.original_router.routes)


def test_every_api_route_commits_in_its_own_thread_trip() -> None:
    routes = [r for r in _included_routes(create_app().routes) if isinstance(r, APIRoute)]
    assert len(routes) > 40
    assert [r.path for r in routes if not isinstance(r, OneHopRoute)] == []


@pytest.fixture
def limited_client(committed_engine: Engine) -> Iterator[TestClient]:
    engine = make_engine(committed_engine.url.render_as_string(hide_password=False), limits=LIMITS)
    with TestClient(create_app(engine=engine)) as client:
        yield client
    engine.dispose()


def test_a_locked_database_answers_503_then_works_again(committed_engine: Engine, limited_client: TestClient) -> None:
    with Session(committed_engine) as session:
        tree = factories.make_tree(session)
        volunteer = factories.make_user(session, "volunteer", unit=tree.commune, hamlets=[tree.hamlet])
        hamlet_id, phone = tree.hamlet.id, volunteer.phone
        session.commit()
    headers = factories.login(limited_client, phone)
    client_id = new_client_id()
    first = push(limited_client, headers, client_id, numbered([household(hamlet_id)]))
    assert first.status_code == 200, first.text

    with committed_engine.connect() as blocker:
        # Another transaction holds what the next push must write: SQLite's write lock, or the client's row.
        blocker.begin()  # on SQLite, BEGIN IMMEDIATE (app/db.py): the write lock
        if committed_engine.dialect.name == "postgresql":
            blocker.execute(text("SELECT 1 FROM sync_client WHERE client_id = :c FOR UPDATE"), {"c": client_id})
        stalled = push(limited_client, headers, client_id, numbered([household(hamlet_id)], start=2))
        blocker.rollback()
    assert stalled.status_code == 503, stalled.text
    assert stalled.headers["Retry-After"] == "5"
    assert stalled.json()["error"]["code"] == "database_busy"

    again = push(limited_client, headers, client_id, numbered([household(hamlet_id)], start=2))
    assert again.status_code == 200, again.text
    assert [r["status"] for r in again.json()["results"]] == ["applied"]


def test_liveness_needs_no_database_and_readiness_checks_it(limited_client: TestClient) -> None:
    assert limited_client.get("/api/v1/health").json()["status"] == "ok"
    ready = limited_client.get("/api/v1/health/ready")
    assert ready.status_code == 200 and ready.json()["status"] == "ready"


def test_a_postgresql_without_autovacuum_is_reported_at_start(engine: Engine, caplog: pytest.LogCaptureFixture) -> None:
    """Its foreign-key checks would keep plans made on near-empty tables (README, "Running on PostgreSQL")."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            off = conn.execute(text("SHOW autovacuum")).scalar() == "off"
    else:
        off = False  # SQLite has no autovacuum to miss
    with caplog.at_level(logging.WARNING, logger="tungnha"):
        assert warn_without_autovacuum(engine) is off
    assert ("autovacuum off" in caplog.text) is off
