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


def test_a_sqlite_database_with_visits_migrates_from_the_first_release(tmp_path: Path) -> None:
    """Altering a table on SQLite rebuilds it; with visits pointing at it, the rebuild must not trip
    the foreign keys (the migration turns them off, then checks them)."""
    from datetime import date

    from sqlmodel import Session

    from tests import factories
    from tests.reports.build import Field

    url = f"sqlite:///{tmp_path}/upgrade.db"
    cfg = _config(url)
    command.upgrade(cfg, "head")
    engine = make_engine(url)
    with Session(engine) as session:
        tree = factories.make_tree(session)
        volunteer = factories.make_user(session, "volunteer", unit=tree.commune, hamlets=[tree.hamlet])
        campaign = factories.make_campaign(session, unit=tree.commune)
        build = Field(session, volunteer)
        household = build.household(tree.hamlet)
        person = build.person(household)
        build.visit(household, date(2024, 10, 2), campaign=campaign, skills={person: {"online_payment": "taught"}})
        session.commit()
    engine.dispose()
    command.downgrade(cfg, "0004")
    command.upgrade(cfg, "head")
    engine = make_engine(url)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM visit").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall() == []
    engine.dispose()


def test_upgrading_across_the_coverage_rules_rebuilds_derived_rows_once(tmp_path: Path) -> None:
    """The coverage rules changed at `writepath_01` (last outcome by the visit's own time): `tungnha migrate`
    over a database from before it recomputes every derived row, so `coverage verify` finds nothing."""
    from datetime import date

    from sqlmodel import Session

    from app import coverage
    from app.cli import REBUILD_AFTER, run_migrations
    from tests import factories
    from tests.reports.build import Field

    url = f"sqlite:///{tmp_path}/rules.db"
    cfg = _config(url)
    command.upgrade(cfg, "head")
    engine = make_engine(url)
    with Session(engine) as session:
        tree = factories.make_tree(session)
        volunteer = factories.make_user(session, "volunteer", unit=tree.commune, hamlets=[tree.hamlet])
        build = Field(session, volunteer)
        household = build.household(tree.hamlet)
        person = build.person(household)
        build.visit(household, date(2024, 10, 2), skills={person: {"online_payment": "proficient"}})
        session.commit()
    command.downgrade(cfg, f"{REBUILD_AFTER}-1")
    with engine.begin() as conn:  # derived rows as the old rules could have left them
        conn.exec_driver_sql("UPDATE household_status SET visits = 7")
    run_migrations(url)
    with Session(engine) as session:
        assert coverage.verify(session, coverage.hamlets_under(session, None)) == []
        visits = session.connection().exec_driver_sql("SELECT DISTINCT visits FROM household_status").scalars().all()
        assert visits == [1]
    run_migrations(url)  # already at head: nothing is rebuilt again
    engine.dispose()
