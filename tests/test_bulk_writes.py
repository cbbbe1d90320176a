"""The bulk writes every derived row goes through (`app.coverage.sql.Writes`): on PostgreSQL one
array-bound statement for all of them, on SQLite one executemany each; the same rows either way."""

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from app.coverage import sql
from app.models import UnitCoverage
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
