"""Implausible visits are kept, flagged for review and left out of every figure until confirmed.

A visit is implausible when its `visited_at` (the phone's clock: when the call happened, not when it
arrived) is in the future beyond a small clock skew, or when it belongs to a run of DENSE_RUN visits by
one volunteer closer together than a person can walk: more than one a minute sustained over 20 visits.
A phone syncing a day's backlog at once sends many visits together, but their `visited_at` are spread
over the day, so they are not flagged.

A flagged visit has review = "pending"; `app.coverage` leaves it out, so no derived row or aggregate
counts it. A team leader or official confirms it (review = "confirmed") and the household is
recomputed exactly (`coverage.rebuild`), as after any other rare change.
"""

import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import bindparam, func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from app import coverage
from app.auth.scope import OFFICIAL_ROLES, Scope
from app.errors import Forbidden, NotFound
from app.models import AdminUnit, Household, User, Visit
from app.models.base import utcnow
from app.models.visits import REVIEW_PENDING
from app.units import service as units

PENDING = REVIEW_PENDING
CONFIRMED = "confirmed"
CLOCK_SKEW = timedelta(minutes=5)
DENSE_RUN = 20
# DENSE_RUN visits within this span are more than one a minute, sustained.
DENSE_SPAN = timedelta(minutes=DENSE_RUN - 1)


def counts(visit: Any) -> bool:
    """Whether a visit (a Visit row or one about to be written) feeds derived state."""
    return getattr(visit, "review", None) != PENDING


def dense(times: Iterable[tuple[datetime, uuid.UUID]]) -> set[uuid.UUID]:
    """The ids of every visit inside some run of DENSE_RUN consecutive visits shorter than DENSE_SPAN."""
    ordered = sorted(times)
    out: set[uuid.UUID] = set()
    for i in range(len(ordered) - DENSE_RUN + 1):
        if ordered[i + DENSE_RUN - 1][0] - ordered[i][0] < DENSE_SPAN:
            out.update(visit_id for _, visit_id in ordered[i : i + DENSE_RUN])
    return out


def assess(
    session: Session, volunteer_id: int, new: list[tuple[uuid.UUID, datetime]], received_at: datetime
) -> tuple[dict[uuid.UUID, str], set[uuid.UUID]]:
    """For one volunteer's incoming visits: {id: reason} of those to flag, and the ids of visits already
    stored (and counted) that these new ones turn out to make part of a too-dense run."""
    reasons: dict[uuid.UUID, str] = {}
    if not new:
        return reasons, set()
    for visit_id, at in new:
        if at > received_at + CLOCK_SKEW:
            reasons[visit_id] = "future"
    low = min(at for _, at in new) - DENSE_SPAN
    high = max(at for _, at in new) + DENSE_SPAN
    stored = coverage.sql.fetch(session, _nearby_query(), {"volunteer": volunteer_id, "low": low, "high": high})
    new_ids = {visit_id for visit_id, _ in new}
    times = [(at, visit_id) for visit_id, at, _ in stored if visit_id not in new_ids] + [(at, i) for i, at in new]
    too_dense = dense(times)
    for visit_id in new_ids & too_dense:
        reasons.setdefault(visit_id, "too_dense")
    retro = {visit_id for visit_id, _, review in stored if review is None and visit_id in too_dense}
    return reasons, retro - new_ids


@lru_cache(maxsize=1)
def _nearby_query() -> Any:
    """A volunteer's visits stored with a `visited_at` between :low and :high."""
    return sa_select(col(Visit.id), col(Visit.visited_at), col(Visit.review)).where(
        col(Visit.volunteer_id) == bindparam("volunteer"),
        col(Visit.visited_at) >= bindparam("low"),
        col(Visit.visited_at) <= bindparam("high"),
    )


def flag_new(session: Session, volunteer_id: int, visits: list[coverage.NewVisit]) -> set[uuid.UUID]:
    """Mark a volunteer's visits about to be stored that are implausible (review pending, with the reason);
    returns the ids of visits already stored that they make part of a too-dense run (`flag_stored`)."""
    if not visits:
        return set()
    flags, retro = assess(
        session,
        volunteer_id,
        [(v.row["id"], v.row["visited_at"]) for v in visits],
        max(v.row["received_at"] for v in visits),
    )
    for v in visits:
        if v.row["id"] in flags:
            v.row["review"], v.row["review_reason"] = PENDING, flags[v.row["id"]]
    return retro


def flag_stored(session: Session, visit_ids: set[uuid.UUID]) -> None:
    """Flag visits already counted: their households are recomputed exactly without them."""
    if not visit_ids:
        return
    rows = session.exec(select(Visit).where(col(Visit.id).in_(sorted(visit_ids)))).all()
    homes = list(
        session.exec(
            select(Household)
            .where(col(Household.id).in_({v.household_id for v in rows}))
            .order_by(col(Household.id))
            .with_for_update()
        ).all()
    )
    change = coverage.rebuild(session, homes)
    for visit in rows:
        visit.review, visit.review_reason = PENDING, "too_dense"
        session.add(visit)
    versions, _ = change.finish()
    for visit in rows:
        visit.version = versions[visit.household_id]
        session.add(visit)


def confirm(session: Session, visit: Visit, reviewer_id: int) -> int:
    """Count a flagged visit from now on: the household is recomputed exactly. Returns the area version."""
    household = session.get(Household, visit.household_id, with_for_update=True)
    assert household is not None
    change = coverage.rebuild(session, [household])
    visit.review, visit.reviewed_by, visit.reviewed_at = CONFIRMED, reviewer_id, utcnow()
    session.add(visit)
    versions, _ = change.finish()
    visit.version = versions[household.id]
    session.add(visit)
    return visit.version


REVIEWER_ROLES = ("team_leader", *OFFICIAL_ROLES, "admin")


class VisitNotFound(NotFound):
    code = "visit_not_found"
    message_vi = "Không tìm thấy lượt thăm."
    message_en = "Visit not found."


class CannotConfirmOwnVisit(Forbidden):
    code = "cannot_confirm_own_visit"
    message_vi = "Bạn không thể tự xác nhận lượt thăm của mình."
    message_en = "You cannot confirm your own visit."


def _require_reviewer(scope: Scope) -> None:
    if scope.user.role not in REVIEWER_ROLES:
        raise Forbidden()


def list_flagged(
    session: Session, *, scope: Scope, unit_id: int, limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    """Visits waiting for review inside the unit (and the caller's scope), oldest call first."""
    _require_reviewer(scope)
    unit = units.get_unit(session, unit_id)
    if not scope.can_read_unit(unit):
        scope.require_unit(unit)
    inside = select(AdminUnit.id).where(col(AdminUnit.path).startswith(unit.path))
    where = (
        Visit.review == PENDING,
        col(Visit.hamlet_id).in_(inside),
        scope.hamlet_filter(col(Visit.hamlet_id)),
    )
    total = session.exec(select(func.count()).select_from(Visit).where(*where)).one()
    rows = session.exec(
        select(Visit, Household.head_name, AdminUnit.name, User.full_name)
        .join(Household, col(Household.id) == Visit.household_id)
        .join(AdminUnit, col(AdminUnit.id) == Visit.hamlet_id)
        .join(User, col(User.id) == Visit.volunteer_id)
        .where(*where)
        .order_by(col(Visit.visited_at), col(Visit.id))
        .limit(limit)
        .offset(offset)
    ).all()
    return [describe(v, head, hamlet, volunteer) for v, head, hamlet, volunteer in rows], int(total)


def describe(visit: Visit, head_name: str, hamlet_name: str, volunteer_name: str) -> dict[str, Any]:
    return {**visit.model_dump(), "head_name": head_name, "hamlet_name": hamlet_name, "volunteer_name": volunteer_name}


def confirm_flagged(session: Session, *, scope: Scope, visit_id: uuid.UUID) -> dict[str, Any]:
    """A team leader or official confirms a flagged visit: from now on it counts. Confirming twice is a no-op."""
    _require_reviewer(scope)
    visit = session.get(Visit, visit_id)
    hamlet = session.get(AdminUnit, visit.hamlet_id) if visit else None
    if visit is None or hamlet is None or not scope.can_manage_unit(hamlet):
        raise VisitNotFound(details={"visit_id": str(visit_id)})
    if visit.volunteer_id == scope.user.id and not scope.is_admin:
        raise CannotConfirmOwnVisit(details={"visit_id": str(visit_id)})
    if visit.review == PENDING:
        assert scope.user.id is not None
        confirm(session, visit, scope.user.id)
    household = session.get(Household, visit.household_id)
    volunteer = session.get(User, visit.volunteer_id)
    return describe(
        visit, household.head_name if household else "", hamlet.name, volunteer.full_name if volunteer else ""
    )
