"""The one module that knows which database it talks to: upserts, insert-or-skip, bulk inserts and
the per-hamlet change counter. Everything else in the app is dialect-free and calls these."""

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any, Literal

import orjson
import psycopg
from psycopg import RawCursor
from sqlalchemy import (
    JSON,
    Dialect,
    Select,
    String,
    Table,
    Text,
    any_,
    bindparam,
    cast,
    column,
    func,
    literal_column,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session

from app.models import AreaVersion
from app.models.base import table_of

CHUNK = 2000  # rows per executemany (SQLite)
PG_CHUNK = 20_000  # rows per statement (PostgreSQL)


def is_postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _insert(postgresql: bool, table: Table) -> Any:
    """The dialect's INSERT, the one with ON CONFLICT."""
    return (pg_insert if postgresql else sqlite_insert)(table)


def _chunks(rows: Sequence[dict[str, Any]], size: int = CHUNK) -> Iterable[Sequence[dict[str, Any]]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


WriteMode = Literal["plain", "skip", "overwrite", "add", "update"]


@dataclass(frozen=True)
class _Shape:
    """What decides a bulk write's SQL: the table, the columns given, the key and what a row whose
    key is already there does (plain: nothing expected; skip: left as it is; overwrite: its other
    columns replaced; add: the counters added; update: an UPDATE of existing rows only)."""

    table: Table
    columns: tuple[str, ...]  # the columns written: those given, and the defaults of the others
    keys: tuple[str, ...]
    mode: WriteMode
    changed: tuple[str, ...]  # the columns a row already there takes (overwrite, add, update): those given


def _unnested(shape: _Shape, prefix: str) -> Select[Any]:
    """PostgreSQL: the rows as one JSON document, read back as a set of typed rows: one statement, one
    parameter and one round trip for any number of rows (an executemany runs its statement once per
    row), and the document is written by orjson in C where arrays of values are dumped one by one.
    Texts are read unbounded, so a value too long for its column is refused by the insert, not cut."""
    table = shape.table
    types = [Text() if isinstance(table.c[c].type, String) else table.c[c].type for c in shape.columns]
    rows = (
        func.json_to_recordset(bindparam(f"{prefix}rows", type_=JSON))
        .table_valued(*[column(c, t) for c, t in zip(shape.columns, types, strict=True)])
        .render_derived(name="x", with_types=True)
    )
    return select(*[rows.c[c] for c in shape.columns])


def _pg(shape: _Shape, prefix: str) -> Any:
    table, others = shape.table, list(shape.changed)
    rows = _unnested(shape, prefix)
    if shape.mode == "update":
        source = rows.subquery("x")
        return (
            update(table)
            .values({c: source.c[c] for c in others})
            .where(*[table.c[k] == source.c[k] for k in shape.keys], _listed(table, shape.keys[0], prefix))
        )
    stmt = pg_insert(table).from_select(list(shape.columns), rows, include_defaults=False)
    return _on_conflict(stmt, shape, others)


def _listed(table: Table, key: str, prefix: str) -> ColumnElement[bool]:
    """The rows to update found through the key's index (`in_rows_of`): joined only with the document,
    whose size a generic plan cannot know (it assumes 100 rows), they would be hashed and the whole
    table read on every push."""
    document = func.json_array_elements(bindparam(f"{prefix}rows", type_=JSON)).table_valued("value").alias("e")
    keys = select(cast(document.c.value.op("->>")(literal_column(f"'{key}'")), table.c[key].type))
    return in_rows_of(table.c[key], keys, postgresql=True)


def _on_conflict(stmt: Any, shape: _Shape, others: list[str]) -> Any:
    keys, table = list(shape.keys), shape.table
    if shape.mode == "skip":
        return stmt.on_conflict_do_nothing(index_elements=keys)
    if shape.mode == "overwrite":
        return stmt.on_conflict_do_update(index_elements=keys, set_={c: getattr(stmt.excluded, c) for c in others})
    if shape.mode == "add":
        return stmt.on_conflict_do_update(
            index_elements=keys, set_={c: getattr(table.c, c) + getattr(stmt.excluded, c) for c in others}
        )
    return stmt


@lru_cache(maxsize=512)
def _pg_text(shapes: tuple[_Shape, ...], dialect: Dialect) -> tuple[str, tuple[str, ...]]:
    """The SQL of some PostgreSQL bulk writes as one statement (each but the last in a WITH clause;
    they run together and none reads another's rows) with $n placeholders, and the parameters' names
    in their order. Built once: these run on every visit, and building, keying and converting
    statements of this size costs more than running them."""
    parts = [str(_pg(shape, f"w{i}_").compile(dialect=dialect)) for i, shape in enumerate(shapes)]
    text = parts[0]
    if len(parts) > 1:
        text = "WITH " + ", ".join(f"w{i} AS ({part})" for i, part in enumerate(parts[:-1])) + " " + parts[-1]
    return _numbered(text)


_NAMED = re.compile(r"%\((\w+)\)s")


def _numbered(text: str) -> tuple[str, tuple[str, ...]]:
    """psycopg's %(name)s placeholders as PostgreSQL's own $n (sent as they are, nothing converted per
    call), and the names in their order."""
    names: dict[str, int] = {}

    def number(match: re.Match[str]) -> str:
        return f"${names.setdefault(match[1], len(names) + 1)}"

    return _NAMED.sub(number, text).replace("%%", "%"), tuple(names)


def _pg_run(session: Session, shapes: tuple[_Shape, ...], documents: dict[str, str]) -> None:
    """One statement, sent as it is (no placeholder conversion) on the session's connection
    and in its transaction."""
    connection = session.connection()
    text, names = _pg_text(shapes, connection.dialect)
    raw: Any = connection.connection.driver_connection
    with RawCursor(raw) as cursor:
        try:
            cursor.execute(text, [documents[n] for n in names])
        except psycopg.Error as exc:  # as SQLAlchemy would raise it (IntegrityError, DataError, OperationalError…)
            raise DBAPIError.instance(text, None, exc, psycopg.Error) from exc


@lru_cache(maxsize=64)
def _pg_query(stmt: Any, dialect: Dialect) -> tuple[str, tuple[str, ...], dict[str, Any]]:
    """A statement built once, as PostgreSQL text with $n placeholders, the parameters' names in
    their order and the values of those fixed in it (literals)."""
    compiled = stmt.compile(dialect=dialect)
    return (*_numbered(str(compiled)), dict(compiled.params))


def fetch(session: Session, stmt: Any, params: dict[str, Any]) -> list[tuple[Any, ...]]:
    """The rows of a statement built once (at import, or cached), as plain tuples. On PostgreSQL it is
    sent as it is on the session's connection: no compiling, keying or result processing per call,
    which for the thousands of state rows a push reads costs more than the query. Many Uuid values
    are best selected cast to text (as `store._state_query` does): text is read in C, a UUID built in
    Python."""
    session.flush()  # as the ORM's autoflush would: the rows read may depend on objects still pending
    if not is_postgresql(session):
        return [tuple(r) for r in session.execute(stmt, params).all()]
    connection = session.connection()
    text, names, fixed = _pg_query(stmt, connection.dialect)
    values = {**fixed, **params}
    raw: Any = connection.connection.driver_connection
    with RawCursor(raw) as cursor:
        try:
            cursor.execute(text, [values[n] for n in names])
        except psycopg.Error as exc:
            raise DBAPIError.instance(text, None, exc, psycopg.Error) from exc
        return cursor.fetchall()


def _sqlite(session: Session, shape: _Shape, rows: Sequence[dict[str, Any]]) -> None:
    table, others = shape.table, list(shape.changed)
    if shape.mode == "update":
        stmt = (
            update(table)
            .where(*[table.c[k] == bindparam(f"k_{k}") for k in shape.keys])
            .values({c: bindparam(f"v_{c}") for c in others})
        )
        params = [{**{f"k_{k}": r[k] for k in shape.keys}, **{f"v_{c}": r[c] for c in others}} for r in rows]
        for chunk in _chunks(params):
            session.execute(stmt, list(chunk))
        return
    insert_stmt = _on_conflict(sqlite_insert(table), shape, others)
    for chunk in _chunks(rows):
        session.execute(insert_stmt, list(chunk))


class Writes:
    """Bulk writes gathered, then sent together by `run`: on PostgreSQL as one statement, elsewhere
    one after the other. Every row of one `add` has the same columns, and one row per key."""

    def __init__(self) -> None:
        self._items: list[tuple[_Shape, Sequence[dict[str, Any]]]] = []

    def add(
        self, table: Table, rows: Sequence[dict[str, Any]], keys: Sequence[str] = (), mode: WriteMode = "plain"
    ) -> "Writes":
        if rows:
            changed = tuple(c for c in rows[0] if c not in keys)
            if mode != "update":
                rows = _with_defaults(table, rows)
            self._items.append((_Shape(table, tuple(rows[0]), tuple(keys), mode, changed), rows))
        return self

    def run(self, session: Session) -> None:
        items, self._items = self._items, []
        if not items:
            return
        if not is_postgresql(session):
            for shape, rows in items:
                _sqlite(session, shape, rows)
            return
        session.flush()  # the rows written here may refer to objects still pending in the session
        if sum(len(rows) for _, rows in items) > PG_CHUNK:  # large loads: a statement a table, a chunk at a time
            for shape, rows in items:
                for chunk in _chunks(rows, PG_CHUNK):
                    _pg_run(session, (shape,), _documents([(shape, chunk)]))
            return
        _pg_run(session, tuple(shape for shape, _ in items), _documents(items))


def _with_defaults(table: Table, rows: Sequence[dict[str, Any]]) -> Sequence[dict[str, Any]]:
    """The rows with the columns' Python-side defaults filled in where not given (as an insert of
    the rows one by one would; a callable default is called for each row): the bulk insert
    names every column it writes."""
    defaults = [
        (c.name, c.default)
        for c in table.columns
        if c.name not in rows[0] and c.default is not None and not c.default.is_sequence
    ]
    if not defaults:
        return rows
    return [{**r, **{n: d.arg(None) if d.is_callable else d.arg for n, d in defaults}} for r in rows]  # type: ignore[attr-defined]


def _documents(items: Sequence[tuple[_Shape, Sequence[dict[str, Any]]]]) -> dict[str, str]:
    """Each write's rows as one JSON document (`_unnested`)."""
    return {f"w{i}_rows": orjson.dumps(rows, default=_plain).decode() for i, (_, rows) in enumerate(items)}


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def bulk_insert(session: Session, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Plain inserts of many rows (every row has the same columns)."""
    Writes().add(table, rows).run(session)


def insert_missing(session: Session, table: Table, keys: list[str], rows: Sequence[dict[str, Any]]) -> None:
    """Insert the rows whose key is not there yet; those already there are left as they are."""
    Writes().add(table, rows, keys, "skip").run(session)


def upsert(session: Session, table: Table, keys: list[str], rows: Sequence[dict[str, Any]]) -> None:
    """Insert, or overwrite the non-key columns given (every row has the same columns, one row a key)."""
    Writes().add(table, rows, keys, "overwrite").run(session)


def add_counts(session: Session, table: Table, keys: list[str], rows: Sequence[dict[str, Any]]) -> None:
    """Insert counter rows, or add their values to the row already there (one row a key)."""
    Writes().add(table, rows, keys, "add").run(session)


def insert_or_lock(session: Session, table: Table, keys: list[str], row: dict[str, Any]) -> dict[str, Any]:
    """The row with the key of `row`: inserted when missing, and either way locked until commit, in
    one statement (an upsert that rewrites the key with its own value takes the row lock)."""
    stmt = _insert_or_lock(is_postgresql(session), table, tuple(keys), tuple(row))
    return dict(zip(table.c.keys(), fetch(session, stmt, row)[0], strict=True))


@lru_cache(maxsize=32)
def _insert_or_lock(postgresql: bool, table: Table, keys: tuple[str, ...], columns: tuple[str, ...]) -> Any:
    stmt = _insert(postgresql, table).values({c: bindparam(c) for c in columns})
    stmt = stmt.on_conflict_do_update(index_elements=list(keys), set_={k: table.c[k] for k in keys})
    return stmt.returning(*table.c)


def among(session: Session, column: Any, values: Iterable[Any]) -> ColumnElement[bool]:
    """`column IN values`: on PostgreSQL as `= ANY(array)`, one parameter and the same SQL text for any
    number of values (so psycopg keeps it prepared and converts it once); elsewhere an IN list."""
    return _in(column, None, sorted(values), is_postgresql(session))


def in_named(column: Any, name: str, postgresql: bool) -> ColumnElement[bool]:
    """`column IN :name` for a statement built once and run with {name: values}, as `among` writes it."""
    return _in(column, name, None, postgresql)


def in_rows_of(column: Any, subquery: Select[Any], postgresql: bool) -> ColumnElement[bool]:
    """`column IN (subquery)`. On PostgreSQL as `= ANY(ARRAY(subquery))`: looked up in the column's
    index whatever a prepared statement's generic plan guesses of the subquery's size (guessing
    dozens of rows, it would hash them and read the whole table on every call)."""
    if postgresql:
        return column == any_(func.array(subquery.scalar_subquery()))  # type: ignore[no-any-return]
    return column.in_(subquery)  # type: ignore[no-any-return]


def _in(column: Any, name: str | None, values: list[Any] | None, postgresql: bool) -> ColumnElement[bool]:
    if postgresql:
        return column == any_(bindparam(name, values, type_=ARRAY(column.type)))  # type: ignore[no-any-return]
    return column.in_(bindparam(name, values, expanding=True))  # type: ignore[no-any-return]


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
    return int(fetch(session, _bump(is_postgresql(session)), {"hamlet": hamlet_id})[0][0])


@lru_cache(maxsize=2)
def _bump(postgresql: bool) -> Any:
    table = table_of(AreaVersion)
    return (
        _insert(postgresql, table)
        .values(hamlet_id=bindparam("hamlet"), version=1)
        .on_conflict_do_update(index_elements=["hamlet_id"], set_={"version": table.c.version + 1})
        .returning(table.c.version)
    )
