"""The one module that knows which database it talks to: upserts, insert-or-skip, bulk inserts and
the per-hamlet change counter. Everything else in the app is dialect-free and calls these."""

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Table, func
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session

from app.models import AreaVersion
from app.models.base import table_of

CHUNK = 2000


def is_postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _insert(session: Session, table: Table) -> Any:
    return (pg_insert if is_postgresql(session) else sqlite_insert)(table)


def _chunks(rows: Sequence[dict[str, Any]], size: int = CHUNK) -> Iterable[Sequence[dict[str, Any]]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def bulk_insert(session: Session, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Plain inserts of many rows (an executemany; psycopg pipelines it)."""
    for chunk in _chunks(rows):
        session.execute(table.insert(), list(chunk))


def insert_missing(session: Session, table: Table, keys: list[str], rows: Sequence[dict[str, Any]]) -> None:
    """Insert the rows whose key is not there yet; those already there are left as they are."""
    for chunk in _chunks(rows):
        session.execute(_insert(session, table).on_conflict_do_nothing(index_elements=keys), list(chunk))


def upsert(session: Session, table: Table, keys: list[str], rows: Sequence[dict[str, Any]]) -> None:
    """Insert, or overwrite the non-key columns given (every row has the same columns)."""
    if not rows:
        return
    stmt = _insert(session, table)
    columns = [c for c in rows[0] if c not in keys]
    stmt = stmt.on_conflict_do_update(index_elements=keys, set_={c: getattr(stmt.excluded, c) for c in columns})
    for chunk in _chunks(rows):
        session.execute(stmt, list(chunk))


def add_counts(session: Session, table: Table, keys: list[str], rows: Sequence[dict[str, Any]]) -> None:
    """Insert counter rows, or add their values to the row already there (one statement per chunk)."""
    if not rows:
        return
    stmt = _insert(session, table)
    columns = [c for c in rows[0] if c not in keys]
    stmt = stmt.on_conflict_do_update(
        index_elements=keys, set_={c: getattr(table.c, c) + getattr(stmt.excluded, c) for c in columns}
    )
    for chunk in _chunks(rows):
        session.execute(stmt, list(chunk))


def greatest(session: Session, a: Any, b: Any) -> ColumnElement[Any]:
    return func.greatest(a, b) if is_postgresql(session) else func.max(a, b)


def least(session: Session, a: Any, b: Any) -> ColumnElement[Any]:
    """The smaller of two values, a NULL standing for 'none yet' (PostgreSQL's LEAST; SQLite's
    two-argument min() would give NULL)."""
    if is_postgresql(session):
        return func.least(a, b)
    return func.min(func.coalesce(a, b), func.coalesce(b, a))


def bump_area_version(session: Session, hamlet_id: int) -> int:
    """The hamlet's next change version. Its row stays locked until commit, so the writers of one
    hamlet commit in version order (a pull since v never skips a row) and queue instead of deadlocking
    when each takes its hamlets in id order first. Taken again in the same transaction it simply
    moves on: versions only need to grow."""
    table = table_of(AreaVersion)
    stmt = (
        _insert(session, table)
        .values(hamlet_id=hamlet_id, version=1)
        .on_conflict_do_update(index_elements=["hamlet_id"], set_={"version": table.c.version + 1})
        .returning(table.c.version)
    )
    return int(session.execute(stmt).scalar_one())
