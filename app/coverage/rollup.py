"""Reading the aggregate rows of any unit: a hamlet's own rows, or the sum of its hamlets' rows for a
unit above (one GROUP BY over the unit's hamlets). Only hamlet rows are written, so a push never
waits on a commune's, district's or province's row held by a push from another hamlet."""

from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlmodel import Session, SQLModel

from app.models import AdminUnit
from app.models.base import table_of

M = TypeVar("M", bound=SQLModel)


def rows(session: Session, model: type[M], unit_ids: Sequence[int | None], *where: Any) -> list[M]:
    """The model's rows (UnitCoverage, UnitSkill, UnitMilestone or UnitDaily) for each unit in
    `unit_ids`, filtered by `where` (conditions on the model's other key columns); one row per unit
    and key, summed over the unit's hamlets. Detached objects: read them, never add them."""
    if not unit_ids:
        return []
    table = table_of(model)
    keys = [c for c in table.primary_key.columns if c.name != "unit_id"]
    counters = [c for c in table.columns if not c.primary_key]
    hamlet = table_of(AdminUnit).alias("hamlet")
    unit = table_of(AdminUnit).alias("unit")
    stmt = (
        select(unit.c.id, *keys, *[func.sum(c) for c in counters])
        .select_from(table)
        .join(hamlet, hamlet.c.id == table.c.unit_id)
        .join(unit, hamlet.c.path.startswith(unit.c.path))
        .where(hamlet.c.level == "hamlet", unit.c.id.in_(sorted({i for i in unit_ids if i is not None})), *where)
        .group_by(unit.c.id, *keys)
    )
    names = ["unit_id", *(c.name for c in keys), *(c.name for c in counters)]
    return [model(**dict(zip(names, r, strict=True))) for r in session.execute(stmt).all()]
