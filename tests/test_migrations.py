"""Migrations go up, down and up again on both databases, and match the models exactly."""

from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import inspect

import app.models  # noqa: F401
from app.db import make_engine, metadata
from tests import dbs

ROOT = Path(__file__).resolve().parent.parent


def _config(url: str) -> Config:
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url)
    cfg.attributes["configure_logger"] = False
    return cfg


@pytest.mark.parametrize("backend", dbs.backends())
def test_upgrade_downgrade_upgrade_and_no_drift(backend: str, tmp_path: Path, worker_id: str) -> None:
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path}/migrations.db"
    else:
        name = dbs.unique_name("tungnha_migrations", worker_id)
        url = dbs._fresh_postgres(name)
    cfg = _config(url)
    command.upgrade(cfg, "head")
    command.downgrade(cfg, "base")
    engine = make_engine(url)
    with engine.connect() as conn:
        assert set(inspect(conn).get_table_names()) <= {"alembic_version"}
    command.upgrade(cfg, "head")
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, metadata)
        assert diff == [], diff
        skills = conn.exec_driver_sql("SELECT count(*) FROM skill").scalar()
        assert skills == 5
    engine.dispose()
    if backend == "postgresql":
        dbs.drop_postgres(name)
