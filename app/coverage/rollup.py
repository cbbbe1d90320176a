"""Reading the aggregate rows of any unit: a hamlet's own rows, or the sum of its hamlets' rows for a
unit above (one GROUP BY over the unit's hamlets). Only hamlet rows are written, so a push never
waits on a commune's, district's or province's row held by a push from another hamlet."""

from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import aliased
from sqlmodel import Session, SQLModel

from app.models import AdminUnit
from app.models.base import table_of

M = TypeVar("M", bound=SQLModel)


def rows(session: Session, model: type[M], unit_ids: list[int], *where: Any) -> list[M]:
    """The model's rows (UnitCoverage, UnitSkill, UnitMilestone or UnitDaily) for each unit in
    `unit_ids`, filtered by `where` (conditions on the model's other key columns); one row per unit
    and key, summed over the unit's hamlets. Detached objects: read them, never add them."""
    if not unit_ids:
        return []
    table = table_of(model)
    keys = [c for c in table.primary_key.columns if c.name != "unit_id"]
    counters = [c for c in table.columns if not c.primary_key]
    hamlet = aliased(AdminUnit)
    unit = aliased(AdminUnit)
    stmt = (
        select(unit.id, *keys, *[func.sum(c) for c in counters])
        .select_from(table)
        .join(hamlet, hamlet.id == table.c.unit_id)
        .join(unit, hamlet.path.startswith(unit.path))
        .where(unit.id.in_(sorted(set(unit_ids))), *where)
        .group_by(unit.id, *keys)
    )
    names = ["unit_id", *(c.name for c in keys), *(c.name for c in counters)]
    return [model(**dict(zip(names, r, strict=True))) for r in session.execute(stmt).all()]
