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


def _upsert(session: Session, table: Any, keys: dict[str, Any], counts: dict[str, int]) -> None:
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = insert(table).values(**keys, **counts)
    stmt = stmt.on_conflict_do_update(
        index_elements=list(keys),
        set_={name: getattr(table.c, name) + getattr(stmt.excluded, name) for name in counts},
    )
    session.execute(stmt)


def flush_aggregates(session: Session) -> None:
    """Write the accumulated deltas: one statement per row, sorted so locks are taken in one order."""
    pending: dict[tuple[int, Key], int] = session.info.pop(_PENDING, {})
    rows: dict[tuple[Any, ...], dict[str, int]] = {}
    for (unit_id, key), n in pending.items():
        if n == 0:
            continue
        kind = key[0]
        if kind == "cov":
            rows.setdefault(("cov", unit_id, key[1]), {})[key[2]] = n
        elif kind == "skill":
            rows.setdefault(("skill", unit_id, key[1], key[2]), {})[key[3]] = n
        elif kind == "ms":
            rows.setdefault(("ms", unit_id, key[1], key[2]), {})["people"] = n
        elif kind == "day":
            rows.setdefault(("day", unit_id, key[1], key[2]), {})[key[3]] = n
    for row_key in sorted(rows, key=lambda k: (k[1], k[0], k[2:])):
        counts = rows[row_key]
        kind, unit_id, campaign_id = row_key[0], row_key[1], row_key[2]
        if kind == "cov":
            _upsert(session, table_of(UnitCoverage), {"unit_id": unit_id, "campaign_id": campaign_id}, counts)
        elif kind == "skill":
            keys = {"unit_id": unit_id, "campaign_id": campaign_id, "skill_id": row_key[3]}
            _upsert(session, table_of(UnitSkill), keys, counts)
        elif kind == "ms":
            keys = {"unit_id": unit_id, "campaign_id": campaign_id, "milestone_id": row_key[3]}
            _upsert(session, table_of(UnitMilestone), keys, counts)
        else:
            keys = {"unit_id": unit_id, "campaign_id": campaign_id, "day": row_key[3]}
            _upsert(session, table_of(UnitDaily), keys, counts)


@event.listens_for(Session, "before_commit")
def _flush_before_commit(session: Session) -> None:
    # A safety net: deltas left by a service are never lost at commit.
    if session.info.get(_PENDING):
        flush_aggregates(session)


@event.listens_for(Session, "after_rollback")
def _drop_on_rollback(session: Session) -> None:
    session.info.pop(_PENDING, None)


def pending_snapshot(session: Session) -> dict[tuple[int, Key], int]:
    """A copy of the deltas not yet written, to restore if a savepoint is rolled back."""
    return dict(session.info.get(_PENDING, {}))


def restore_pending(session: Session, snapshot: dict[tuple[int, Key], int]) -> None:
    session.info[_PENDING] = dict(snapshot)
