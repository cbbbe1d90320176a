"""Admins place each hamlet of a split pre-2025 commune in one of the 2025 communes that received it.

Until then the hamlet's data is in the "chưa phân bổ" row of the 2025 province (`app.reports.schemes`).
"""

from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import false, func
from sqlmodel import Session, col, select

from app.auth.scope import Scope
from app.errors import Forbidden, Invalid, NotFound
from app.models import ALL_TIME, AdminUnit, HamletAssignment, UnitConversion, UnitCoverage
from app.models.base import utcnow
from app.models.units import SCHEME_2004
from app.schemas_common import MAX_ID
from app.units.conversion import candidates_of, path_ids


class UnitName(BaseModel):
    id: int
    code: str
    name: str


class Candidate(UnitName):
    province_name: str


class SplitHamlet(BaseModel):
    id: int
    code: str
    name: str
    households: int
    old_commune: UnitName
    old_district: str
    old_province: str
    candidates: list[Candidate]
    commune_id: int | None  # the 2025 commune it is assigned to; None: unassigned


class SplitHamletsOut(BaseModel):
    items: list[SplitHamlet]
    total: int
    unassigned: int
    limit: int
    offset: int


class AssignmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    commune_id: int = Field(ge=1, le=MAX_ID, description="a 2025 commune that received part of the hamlet's commune")


class HamletNotFound(NotFound):
    code = "hamlet_not_found"
    message_vi = "Không tìm thấy thôn/ấp."
    message_en = "Hamlet not found."


class NotSplit(Invalid):
    code = "commune_not_split"
    message_vi = "Xã/phường cũ của thôn/ấp này không bị chia tách: thôn/ấp tự thuộc xã/phường mới, không cần phân bổ."
    message_en = "This hamlet's former commune was not split: it belongs to its new commune without assignment."


class NotACandidate(Invalid):
    code = "not_a_candidate"
    message_vi = "Xã/phường mới này không nhận phần nào của xã/phường cũ của thôn/ấp."
    message_en = "This 2025 commune received no part of the hamlet's former commune."


def _require_admin(scope: Scope) -> None:
    if not scope.is_admin:
        raise Forbidden()


def _split_communes() -> Any:
    return select(UnitConversion.old_unit_id).group_by(col(UnitConversion.old_unit_id)).having(func.count() > 1)


def split_hamlets(
    session: Session,
    *,
    scope: Scope,
    province_id: int | None = None,
    include_assigned: bool = False,
    limit: int = 50,
    offset: int = 0,
) -> SplitHamletsOut:
    """The hamlets of split communes (unassigned only, unless asked), by old province, commune, hamlet.
    `province_id`: only the communes split into that 2025 province."""
    _require_admin(scope)
    where = [AdminUnit.level == "hamlet", col(AdminUnit.parent_id).in_(_split_communes())]
    if province_id is not None:
        province = session.get(AdminUnit, province_id)
        if province is None:
            where.append(false())
        else:
            into = (
                select(UnitConversion.old_unit_id)
                .join(AdminUnit, col(AdminUnit.id) == UnitConversion.new_unit_id)
                .where(col(AdminUnit.path).startswith(province.path))
            )
            where.append(col(AdminUnit.parent_id).in_(into))
    assigned = col(HamletAssignment.hamlet_id).is_not(None)

    def base(stmt: Any) -> Any:
        return stmt.outerjoin(HamletAssignment, col(HamletAssignment.hamlet_id) == AdminUnit.id).where(*where)

    count = select(func.count()).select_from(AdminUnit)
    unassigned = session.exec(base(count).where(~assigned)).one()
    total = session.exec(base(count)).one() if include_assigned else unassigned
    listing = base(select(AdminUnit, HamletAssignment.commune_id).select_from(AdminUnit))
    if not include_assigned:
        listing = listing.where(~assigned)
    order = (col(AdminUnit.province_code), col(AdminUnit.code), col(AdminUnit.id))
    rows = session.exec(listing.order_by(*order).limit(limit).offset(offset)).all()
    items = _describe(session, [(h, c) for h, c in rows])
    return SplitHamletsOut(items=items, total=total, unassigned=unassigned, limit=limit, offset=offset)


def one(session: Session, *, scope: Scope, hamlet_id: int) -> SplitHamlet:
    _require_admin(scope)
    hamlet, _ = _split_hamlet(session, hamlet_id)
    row = session.get(HamletAssignment, hamlet.id)
    return _describe(session, [(hamlet, row.commune_id if row else None)])[0]


def _describe(session: Session, hamlets: list[tuple[AdminUnit, int | None]]) -> list[SplitHamlet]:
    """Each hamlet with its old commune, district and province, households and candidate communes."""
    old_ids = {h.parent_id for h, _ in hamlets}
    conversions = session.exec(
        select(UnitConversion.old_unit_id, UnitConversion.new_unit_id)
        .where(col(UnitConversion.old_unit_id).in_(old_ids))
        .order_by(col(UnitConversion.new_unit_id))
    ).all()
    new_ids = {n for _, n in conversions}
    wanted: set[int | None] = old_ids | new_ids
    for h, _ in hamlets:
        wanted.update(path_ids(h.path)[:-1])
    units = {u.id: u for u in session.exec(select(AdminUnit).where(col(AdminUnit.id).in_(wanted))).all()}
    provinces = {path_ids(units[n].path)[0] for n in new_ids if n in units} - set(units)
    if provinces:
        units.update({u.id: u for u in session.exec(select(AdminUnit).where(col(AdminUnit.id).in_(provinces))).all()})
    households = dict(
        session.exec(
            select(UnitCoverage.unit_id, UnitCoverage.households).where(
                col(UnitCoverage.unit_id).in_([h.id for h, _ in hamlets]), UnitCoverage.campaign_id == ALL_TIME
            )
        ).all()
    )
    candidates: dict[int, list[Candidate]] = {}
    for old_id, new_id in conversions:
        commune = units[new_id]
        province = units.get(path_ids(commune.path)[0])
        candidates.setdefault(old_id, []).append(
            Candidate(id=new_id, code=commune.code, name=commune.name, province_name=province.name if province else "")
        )
    items = []
    for hamlet, commune_id in hamlets:
        chain = [units[i] for i in path_ids(hamlet.path)[:-1] if i in units]
        old = units[hamlet.parent_id]
        items.append(
            SplitHamlet(
                id=hamlet.id or 0,
                code=hamlet.code,
                name=hamlet.name,
                households=households.get(hamlet.id or 0, 0),
                old_commune=UnitName(id=old.id or 0, code=old.code, name=old.name),
                old_district=next((u.name for u in chain if u.level == "district"), ""),
                old_province=next((u.name for u in chain if u.level == "province"), ""),
                candidates=candidates.get(old.id or 0, []),
                commune_id=commune_id,
            )
        )
    return items


def _split_hamlet(session: Session, hamlet_id: int) -> tuple[AdminUnit, list[int]]:
    hamlet = session.get(AdminUnit, hamlet_id)
    if hamlet is None or hamlet.level != "hamlet" or hamlet.scheme != SCHEME_2004:
        raise HamletNotFound(details={"hamlet_id": hamlet_id})
    candidates = candidates_of(session, hamlet.parent_id or 0)
    if len(candidates) < 2:
        raise NotSplit(details={"hamlet_id": hamlet_id})
    return hamlet, candidates


def assign(session: Session, *, scope: Scope, hamlet_id: int, commune_id: int) -> HamletAssignment:
    """Place a hamlet of a split commune in one of the 2025 communes that received it (again: move it).
    Reports read the assignment at once: no aggregate row is rewritten."""
    _require_admin(scope)
    hamlet, candidates = _split_hamlet(session, hamlet_id)
    if commune_id not in candidates:
        raise NotACandidate(details={"hamlet_id": hamlet_id, "commune_id": commune_id, "candidates": candidates})
    row = session.get(HamletAssignment, hamlet.id)
    if row is None:
        row = HamletAssignment(hamlet_id=hamlet.id or 0, commune_id=commune_id)
    row.commune_id = commune_id
    row.assigned_by = scope.user.id
    row.assigned_at = utcnow()
    session.add(row)
    session.flush()
    return row


def unassign(session: Session, *, scope: Scope, hamlet_id: int) -> None:
    _require_admin(scope)
    hamlet, _ = _split_hamlet(session, hamlet_id)
    row = session.get(HamletAssignment, hamlet.id)
    if row is not None:
        session.delete(row)
        session.flush()
