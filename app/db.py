"""Engine, session and the one-transaction-per-request rule."""

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from fastapi import Request
from sqlalchemy import Connection, Engine, MetaData, event
from sqlalchemy.engine import make_url
from sqlmodel import Session, SQLModel, create_engine

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
SQLModel.metadata.naming_convention = NAMING_CONVENTION
metadata: MetaData = SQLModel.metadata


def normalize_url(url: str) -> str:
    """Accept postgres:// and postgresql:// and use psycopg 3 for both."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


@dataclass(frozen=True)
class RequestLimits:
    """Backstops for the server's connections: a stall becomes an error (a 503), never a wedged server.
    Command-line work (imports, rebuilds, migrations) runs without them."""

    lock_timeout_ms: int
    statement_timeout_ms: int
    idle_in_transaction_timeout_ms: int
    sqlite_busy_timeout_ms: int


def make_engine(
    url: str, *, limits: RequestLimits | None = None, sqlite_foreign_keys: bool = True, **kwargs: Any
) -> Engine:
    url = normalize_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        busy_ms = limits.sqlite_busy_timeout_ms if limits else 30_000
        if limits is not None:
            kwargs.setdefault("pool_timeout", 10)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": busy_ms / 1000}, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _: Any) -> None:
            # Let SQLAlchemy, not pysqlite, decide when transactions begin.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            # Off only for migrations: SQLite rebuilds a table to alter it, and dropping the old copy
            # would trip the foreign keys that point at it (checked with foreign_key_check afterwards).
            cur.execute(f"PRAGMA foreign_keys={'ON' if sqlite_foreign_keys else 'OFF'}")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute(f"PRAGMA busy_timeout={busy_ms}")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            # IMMEDIATE takes the write lock up front, so two writers never deadlock on upgrade.
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    if limits is not None:
        kwargs.setdefault("pool_timeout", 10)
        options = (
            f"-c lock_timeout={limits.lock_timeout_ms} -c statement_timeout={limits.statement_timeout_ms}"
            f" -c idle_in_transaction_session_timeout={limits.idle_in_transaction_timeout_ms}"
        )
        kwargs["connect_args"] = {**kwargs.get("connect_args", {}), "options": options}
    return create_engine(url, pool_pre_ping=True, **kwargs)


def backend_name(engine: Engine) -> str:
    return "postgresql" if engine.dialect.name == "postgresql" else "sqlite"


@lru_cache
def get_engine() -> Engine:
    from app.config import get_settings

    return make_engine(get_settings().database_url)


@lru_cache
def get_server_engine() -> Engine:
    """The engine of the HTTP server: the same database, with the request backstops."""
    from app.config import get_settings

    settings = get_settings()
    limits = RequestLimits(
        lock_timeout_ms=settings.lock_timeout_ms,
        statement_timeout_ms=settings.statement_timeout_ms,
        idle_in_transaction_timeout_ms=settings.idle_in_transaction_timeout_ms,
        sqlite_busy_timeout_ms=settings.sqlite_busy_timeout_ms,
    )
    return make_engine(settings.database_url, limits=limits)


@contextmanager
def session_scope(bind: Engine | Connection | None = None, **options: Any) -> Iterator[Session]:
    """One transaction: commit on success, roll back on any error. Services never commit."""
    session = Session(bind or get_engine(), expire_on_commit=False, **options)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


SessionFactory = Callable[[], AbstractContextManager[Session]]


def get_session(request: Request) -> Iterator[Session]:
    """The request's one transaction (tests swap the factory for one inside a rolled-back transaction)."""
    factory: SessionFactory = request.app.state.session_factory
    with factory() as session:
        yield session
