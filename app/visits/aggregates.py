"""Report aggregates maintained on write.

Changes accumulate in the session as deltas per unit and are written once, in a fixed order, right
before the transaction commits: the hot rows (a province has one) are locked for the shortest time
and two transactions never lock them in opposite orders.
"""

from collections import Counter
from typing import Any

from sqlalchemy import event
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session

from app.models import UnitCoverage, UnitDaily, UnitMilestone, UnitSkill
from app.models.base import table_of
from app.visits.derived import Key

_PENDING = "tungnha_aggregate_deltas"


def unit_chain(path: str) -> list[int]:
    """'/1/7/93/' → [1, 7, 93]: the hamlet and every unit above it."""
    return [int(p) for p in path.strip("/").split("/") if p]


def add_delta(session: Session, units: list[int], delta: Counter[Key], sign: int = 1) -> None:
    if not delta:
        return
    pending: dict[tuple[int, Key], int] = session.info.setdefault(_PENDING, {})
    for unit_id in units:
        for key, n in delta.items():
            pending[(unit_id, key)] = pending.get((unit_id, key), 0) + sign * n


_TABLES: dict[str, tuple[Any, tuple[str, ...]]] = {
    "cov": (table_of(UnitCoverage), ("unit_id", "campaign_id")),
    "skill": (table_of(UnitSkill), ("unit_id", "campaign_id", "skill_id")),
    "ms": (table_of(UnitMilestone), ("unit_id", "campaign_id", "milestone_id")),
    "day": (table_of(UnitDaily), ("unit_id", "campaign_id", "day")),
}


def _row_key(unit_id: int, key: Key) -> tuple[tuple[Any, ...], str]:
    """(the aggregate row's primary key, the counter column) for one delta."""
    kind = key[0]
    if kind == "cov":
        return (kind, unit_id, key[1]), key[2]
    if kind == "ms":
        return (kind, unit_id, key[1], key[2]), "people"
    return (kind, unit_id, key[1], key[2]), key[3]


def flush_aggregates(session: Session) -> None:
    """Write the accumulated deltas: one batched upsert per table, rows sorted so that concurrent
    transactions take the row locks in the same order."""
    pending: dict[tuple[int, Key], int] = session.info.pop(_PENDING, {})
    rows: dict[tuple[Any, ...], dict[str, int]] = {}
    for (unit_id, key), n in pending.items():
        if n:
            row_key, column = _row_key(unit_id, key)
            rows.setdefault(row_key, {})[column] = n
    if not rows:
        return
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    for kind, (table, key_columns) in _TABLES.items():
        keys = sorted((k for k in rows if k[0] == kind), key=lambda k: k[1:])
        if not keys:
            continue
        counters = [c.name for c in table.columns if c.name not in key_columns]
        params = [
            {**dict(zip(key_columns, k[1:], strict=True)), **{c: rows[k].get(c, 0) for c in counters}} for k in keys
        ]
        stmt = insert(table)
        stmt = stmt.on_conflict_do_update(
            index_elements=list(key_columns),
            set_={c: getattr(table.c, c) + getattr(stmt.excluded, c) for c in counters},
        )
        session.execute(stmt, params)


@event.listens_for(Session, "before_commit")
def _flush_before_commit(session: Session) -> None:
    # A safety net: deltas left by a service are never lost at commit. Not at a savepoint's
    # release (this event fires for those too): that would lock the hot rows per mutation.
    if session.info.get(_PENDING) and not session.in_nested_transaction():
        flush_aggregates(session)


@event.listens_for(Session, "after_rollback")
def _drop_on_rollback(session: Session) -> None:
    session.info.pop(_PENDING, None)


def pending_snapshot(session: Session) -> dict[tuple[int, Key], int]:
    """A copy of the deltas not yet written, to restore if a savepoint is rolled back."""
    return dict(session.info.get(_PENDING, {}))


def restore_pending(session: Session, snapshot: dict[tuple[int, Key], int]) -> None:
    session.info[_PENDING] = dict(snapshot)
