"""The test databases: SQLite always, PostgreSQL when it answers (CI requires it)."""

import os
import socket
from urllib.parse import urlsplit

from sqlalchemy import Engine, create_engine, text

from app.cli import run_migrations
from app.db import make_engine, metadata, normalize_url

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/postgres"
KEEP_ROWS = {"skill", "milestone", "alembic_version"}


def postgres_base_url() -> str | None:
    url = os.environ.get("TEST_POSTGRES_URL")
    if url:
        return url
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=1):
            return DEFAULT_PG
    except OSError:
        # `make test` provisions PostgreSQL, so a missing one is a failure, never a quietly smaller run;
        # TEST_SKIP_POSTGRES=1 is the explicit way to run the SQLite half alone.
        if os.environ.get("TEST_SKIP_POSTGRES") == "1":
            return None
        raise RuntimeError(
            "PostgreSQL does not answer on 127.0.0.1:5432: run `bash scripts/provision.sh`, "
            "set TEST_POSTGRES_URL, or set TEST_SKIP_POSTGRES=1 to run the SQLite tests alone"
        ) from None


def backends() -> list[str]:
    return ["sqlite", "postgresql"] if postgres_base_url() else ["sqlite"]


def _fresh_postgres(name: str) -> str:
    base = normalize_url(postgres_base_url() or DEFAULT_PG)
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    parts = urlsplit(base)
    return parts._replace(path=f"/{name}").geturl()


def unique_name(prefix: str, worker_id: str) -> str:
    """Per process: several test runs on one machine never share (or drop) each other's database."""
    return f"{prefix}_{worker_id}_{os.getpid()}"


def drop_postgres(name: str) -> None:
    admin = create_engine(normalize_url(postgres_base_url() or DEFAULT_PG), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def migrated_engine(backend: str, name: str, sqlite_dir: str) -> Engine:
    url = f"sqlite:///{sqlite_dir}/{name}.db" if backend == "sqlite" else _fresh_postgres(name)
    run_migrations(url)
    return make_engine(url)


def reset_database(engine: Engine) -> None:
    """Empty every table but the seeded catalogue (for tests that must really commit)."""
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            # CASCADE also empties milestone (it references admin_unit): keep the national ones.
            milestones = metadata.tables["milestone"]
            national = conn.execute(milestones.select().where(milestones.c.province_unit_id.is_(None))).mappings().all()
            names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables if t.name not in KEEP_ROWS)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            if national:
                conn.execute(milestones.insert().values([dict(m) for m in national]))
        else:
            for table in reversed(metadata.sorted_tables):
                if table.name not in KEEP_ROWS:
                    conn.execute(table.delete())
        conn.execute(text("DELETE FROM milestone WHERE province_unit_id IS NOT NULL"))
