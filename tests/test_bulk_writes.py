"""The bulk writes every derived row goes through (`app.coverage.sql.Writes`): on PostgreSQL one
array-bound statement for all of them, on SQLite one executemany each; the same rows either way."""

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from app.coverage import sql
from app.coverage.store import _state_query
from app.models import Person, UnitCoverage
from app.models.base import table_of
from tests.factories import make_tree

COV = table_of(UnitCoverage)
KEYS = ["unit_id", "campaign_id"]


def _rows(session: Session) -> dict[tuple[int, int], tuple[int, int, int]]:
    session.expire_all()
    return {
        (r.unit_id, r.campaign_id): (r.households, r.visits, r.people) for r in session.exec(select(UnitCoverage)).all()
    }


def test_modes_write_the_given_columns_and_leave_the_others(session: Session) -> None:
    tree = make_tree(session)
    a, b = tree.hamlet.id, tree.far_hamlet.id
    # Plain insert: columns not given take their defaults.
    sql.Writes().add(COV, [{"unit_id": a, "campaign_id": 0, "households": 5, "visits": 7}]).run(session)
    assert _rows(session) == {(a, 0): (5, 7, 0)}
    # Overwrite: only the given columns change; a new key is inserted with defaults for the rest.
    sql.upsert(
        session,
        COV,
        KEYS,
        [{"unit_id": a, "campaign_id": 0, "people": 9}, {"unit_id": b, "campaign_id": 0, "people": 2}],
    )
    assert _rows(session) == {(a, 0): (5, 7, 9), (b, 0): (0, 0, 2)}
    # Skip: a key already there is left as it is.
    sql.insert_missing(session, COV, KEYS, [{"unit_id": a, "campaign_id": 0, "visits": 100}])
    assert _rows(session)[(a, 0)] == (5, 7, 9)
    # Add: counters added to the row there; update: existing rows only, none inserted.
    writes = sql.Writes()
    writes.add(COV, [{"unit_id": a, "campaign_id": 0, "visits": 3, "people": -1}], KEYS, "add")
    writes.add(
        COV,
        [{"unit_id": b, "campaign_id": 0, "households": 4}, {"unit_id": a, "campaign_id": 9, "households": 1}],
        KEYS,
        "update",
    )
    writes.run(session)
    assert _rows(session) == {(a, 0): (5, 10, 8), (b, 0): (4, 0, 2)}


def test_large_writes_go_in_chunks(session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    tree = make_tree(session)
    monkeypatch.setattr(sql, "PG_CHUNK", 3)
    monkeypatch.setattr(sql, "CHUNK", 3)
    rows = [{"unit_id": tree.hamlet.id, "campaign_id": c, "visits": c} for c in range(10)]
    sql.Writes().add(COV, rows, KEYS, "add").add(COV, rows, KEYS, "add").run(session)
    assert _rows(session) == {(tree.hamlet.id, c): (0, 2 * c, 0) for c in range(10)}


def test_a_refused_row_raises_the_database_error_as_sqlalchemy_does(session: Session) -> None:
    with pytest.raises(IntegrityError):
        sql.bulk_insert(session, COV, [{"unit_id": 2_000_000_000, "campaign_id": 0}])  # no such unit


@pytest.fixture
def pg_engine(engine: Engine) -> Engine:
    """PostgreSQL only (conftest leaves the SQLite copies out): prepared statements' generic plans."""
    return engine


def _generic_plan(session: Session, statement: str, values: list[str]) -> str:
    """The plan PostgreSQL keeps for a prepared statement once it stops planning each call (psycopg
    prepares a statement run five times), forced here rather than waited for."""
    session.execute(text("SET LOCAL plan_cache_mode = force_generic_plan"))
    session.connection().exec_driver_sql(f"PREPARE probe AS {statement}")  # the parameters' types come from their casts
    rows = session.connection().exec_driver_sql(f"EXPLAIN EXECUTE probe ({', '.join(values)})").all()
    session.connection().exec_driver_sql("DEALLOCATE probe")
    return "\n".join(r[0] for r in rows)


def test_a_push_finds_its_rows_through_indexes_whatever_the_tables_size(pg_engine: Engine, session: Session) -> None:
    """A push updates a few people and reads a few households' state. Joined only with a JSON document
    or an id array, whose size a generic plan cannot know, PostgreSQL hashed them and read the whole
    person and person_skill tables on every push: the cost grew with everyone's data, not the push's.
    With 6,000 people, neither statement may read a whole table."""
    tree = make_tree(session)
    session.execute(
        text(
            "INSERT INTO household (id, hamlet_id, province_code, address, head_name, head_name_key, member_count,"
            " created_at, updated_at, version)"
            " SELECT gen_random_uuid(), :hamlet, '93', 'Ấp ' || n, 'Chủ hộ ' || n, 'chu ho ' || n, 3, now(), now(), 1"
            " FROM generate_series(1, 2000) AS n"
        ),
        {"hamlet": tree.hamlet.id},
    )
    session.execute(
        text(
            "INSERT INTO person (id, household_id, hamlet_id, created_at, updated_at, version)"
            " SELECT gen_random_uuid(), h.id, h.hamlet_id, now(), now(), 1 FROM household AS h, generate_series(1, 3)"
        )
    )
    session.execute(
        text(
            "INSERT INTO person_skill (person_id, campaign_id, skill_id, level)"
            " SELECT p.id, 0, s.id, 1 FROM person AS p, skill AS s"
        )
    )
    session.execute(text("ANALYZE household, person, person_skill"))
    dialect = session.get_bind().dialect

    shape = sql._Shape(table_of(Person), ("id", "version"), ("id",), "update", ("version",))
    update, _ = sql._pg_text((shape,), dialect)
    plan = _generic_plan(session, update, ["'[]'"])
    assert "Seq Scan" not in plan and "pk_person" in plan, plan

    state, names, fixed = sql._pg_query(_state_query(True), dialect)
    plan = _generic_plan(session, state, [repr(str(fixed[n])) if fixed.get(n) is not None else "'{}'" for n in names])
    assert "Seq Scan" not in plan and "pk_person_skill" in plan, plan
