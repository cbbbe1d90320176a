"""Every backend test runs on SQLite and on PostgreSQL, each inside a transaction rolled back after it."""

import os
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine
from sqlmodel import Session

from app.db import SessionFactory, session_scope
from app.main import create_app
from tests import dbs

os.environ.setdefault("ENVIRONMENT", "test")

# The browser fixtures (one Playwright driver per worker, shared by every browser test).
pytest_plugins = ["tests.browser"]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests of concurrent transactions (`pg_engine`) exist on PostgreSQL only: SQLite serialises
    writers with BEGIN IMMEDIATE, so their SQLite copies are left out rather than skipped."""
    keep, drop = [], []
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        only_pg = "pg_engine" in getattr(item, "fixturenames", ())
        (drop if only_pg and params.get("engine") == "sqlite" else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture(scope="session", params=dbs.backends())
def engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, worker_id: str
) -> Iterator[Engine]:
    backend = request.param
    name = dbs.unique_name("tungnha_test", worker_id)
    engine = dbs.migrated_engine(backend, name, str(tmp_path_factory.mktemp(backend)))
    yield engine
    engine.dispose()
    if backend == "postgresql":
        dbs.drop_postgres(name)


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    conn = engine.connect()
    outer = conn.begin()
    yield conn
    outer.rollback()
    conn.close()


def _factory(connection: Connection) -> SessionFactory:
    """Each request's transaction is a savepoint inside the test's rolled-back one."""
    return lambda: session_scope(connection, join_transaction_mode="create_savepoint")


@pytest.fixture
def session(connection: Connection) -> Iterator[Session]:
    s = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    yield s
    s.close()


@pytest.fixture
def client(engine: Engine, connection: Connection) -> Iterator[TestClient]:
    app = create_app(engine=engine, session_factory=_factory(connection))
    with TestClient(app) as c:
        yield c


@pytest.fixture
def committed_engine(engine: Engine) -> Iterator[Engine]:
    """For tests that need real commits (concurrency, sync runs): emptied after the test."""
    dbs.reset_database(engine)
    yield engine
    dbs.reset_database(engine)


@pytest.fixture
def committed_client(committed_engine: Engine) -> Iterator[TestClient]:
    app = create_app(engine=committed_engine)
    with TestClient(app) as c:
        yield c
