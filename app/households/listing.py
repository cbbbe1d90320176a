"""Reading households: the paged list of an area, the capped search above the commune (need-to-know),
and a household's people with their levels."""

import re
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, func
from sqlmodel import Session, col, select

from app.auth.scope import Scope
from app.errors import Forbidden, NotFound, OutsideYourArea
from app.models import AdminUnit, Household, HouseholdStatus, Person, PersonMilestone, PersonSkill
from app.models.visits import PROFICIENT
from app.text import fold


class SearchRequired(Forbidden):
    """Need-to-know (Luật 91/2025/QH15): above the commune, named households are looked up, not paged."""

    code = "household_search_required"
    message_vi = (
        "Cán bộ cấp huyện, tỉnh và quản trị viên chỉ tra cứu từng hộ cụ thể: nhập tên chủ hộ, số điện thoại "
        "hoặc địa chỉ (ít nhất 3 ký tự), hoặc mã hộ. Danh sách đầy đủ có tên chỉ dành cho xã/phường và tổ "
        "CNSCĐ; số liệu tổng hợp xem ở báo cáo."
    )
    message_en = (
        "District, province officials and administrators look up one household at a time: type the head's "
        "name, phone or address (3 characters or more), or the household id. Full named lists are for the "
        "commune and its teams; figures are in the reports."
    )


# Above the commune a search shows at most this many households, and no further page.
SEARCH_ONLY_LIMIT = 20
MIN_SEARCH_CHARS = 3
_PHONE_QUERY = re.compile(r"\+?[0-9][0-9 .\-]*")


def search_only(session: Session, scope: Scope) -> bool:
    """Officials whose unit is above the commune, and admins, reach named households one search at a
    time (a capped, logged lookup); the commune and its teams keep paged lists of their own area."""
    if scope.is_admin:
        return True
    if scope.unit_path is None:
        return False  # field roles: their hamlets only
    unit = session.get(AdminUnit, scope.user.unit_id) if scope.user.unit_id else None
    return unit is None or unit.level not in ("commune", "hamlet")


def _search(q: str) -> ColumnElement[bool] | None:
    """The household with this exact id, or a folded head-name, address or phone match; None when the
    query is too short to name anyone in particular."""
    q = q.strip()
    try:
        return col(Household.id) == uuid.UUID(q)
    except ValueError:
        pass
    if len(q) < MIN_SEARCH_CHARS:
        return None
    found = col(Household.head_name_key).contains(fold(q), autoescape=True) | func.lower(Household.address).contains(
        q.lower(), autoescape=True
    )
    if _PHONE_QUERY.fullmatch(q):
        digits = re.sub(r"[^0-9]", "", q)
        if len(digits) >= MIN_SEARCH_CHARS:
            # Stored as E.164 (+84…): "0912 345" is typed the way people read their numbers.
            key = "+84" + digits[1:] if digits.startswith("0") and not q.startswith("+") else digits
            found = found | col(Household.phone).contains(key, autoescape=True)
    return found


@dataclass
class HouseholdListing:
    rows: list[tuple[Household, HouseholdStatus | None]]
    total: int
    limit: int
    search_only: bool  # the caller may only search (see `search_only`): capped, one page


def list_households(
    session: Session,
    *,
    scope: Scope,
    unit_id: int | None = None,
    status: str | None = None,
    campaign_id: int = 0,
    q: str | None = None,
    threshold: int = 1,
    limit: int = 50,
    offset: int = 0,
) -> HouseholdListing:
    """Households in scope, optionally under a unit, by status (visited / not_visited / covered /
    to_revisit) and a search by folded head name, address, phone or exact id. Above the commune the
    search is required, shows at most SEARCH_ONLY_LIMIT households and no second page."""
    searching = search_only(session, scope)
    match = _search(q) if q else None
    if searching:
        if match is None or offset:
            raise SearchRequired(details={"min_chars": MIN_SEARCH_CHARS, "max_results": SEARCH_ONLY_LIMIT})
        limit = min(limit, SEARCH_ONLY_LIMIT)
    stmt = (
        select(Household, HouseholdStatus)
        .join(
            HouseholdStatus,
            (col(HouseholdStatus.household_id) == Household.id) & (col(HouseholdStatus.campaign_id) == campaign_id),
            isouter=True,
        )
        .where(col(Household.deleted_at).is_(None), scope.hamlet_filter(Household.hamlet_id))
    )
    if unit_id is not None:
        unit = session.get(AdminUnit, unit_id)
        if unit is None:
            raise NotFound(code="unit_not_found", details={"unit_id": unit_id})
        if not scope.can_manage_unit(unit) and not (unit.level != "hamlet" and scope.hamlet_ids):
            raise OutsideYourArea(details={"unit_id": unit_id})
        inside = select(AdminUnit.id).where(col(AdminUnit.path).startswith(unit.path))
        stmt = stmt.where(col(Household.hamlet_id).in_(inside))
    covered_col = HouseholdStatus.covered_2_on if threshold == 2 else HouseholdStatus.covered_1_on
    if status == "visited":
        stmt = stmt.where(col(HouseholdStatus.visited_on).is_not(None))
    elif status == "not_visited":
        stmt = stmt.where(col(HouseholdStatus.visited_on).is_(None))
    elif status == "covered":
        stmt = stmt.where(col(covered_col).is_not(None))
    elif status == "to_revisit":
        stmt = stmt.where(
            col(covered_col).is_(None),
            (col(HouseholdStatus.last_outcome).in_(("not_home", "declined")))
            | col(HouseholdStatus.visited_on).is_not(None),
        )
    if q:
        # A query too short to search (one letter) matches what it always did: the head name or address.
        stmt = stmt.where(
            match
            if match is not None
            else col(Household.head_name_key).contains(fold(q), autoescape=True)
            | func.lower(Household.address).contains(q.lower(), autoescape=True)
        )
    total = session.exec(select(func.count()).select_from(stmt.subquery())).one()
    rows = session.exec(
        stmt.order_by(col(Household.hamlet_id), col(Household.address), col(Household.id)).limit(limit).offset(offset)
    ).all()
    return HouseholdListing([(h, s) for h, s in rows], int(total), limit, searching)


def people_of(session: Session, household_id: uuid.UUID) -> list[dict[str, Any]]:
    people = session.exec(
        select(Person)
        .where(Person.household_id == household_id, col(Person.deleted_at).is_(None))
        .order_by(col(Person.created_at))
    ).all()
    ids = [p.id for p in people]
    levels: dict[uuid.UUID, dict[str, str]] = {pid: {} for pid in ids}
    milestones: dict[uuid.UUID, list[str]] = {pid: [] for pid in ids}
    if ids:
        for r in session.exec(
            select(PersonSkill).where(col(PersonSkill.person_id).in_(ids), PersonSkill.campaign_id == 0)
        ):
            levels[r.person_id][r.skill_id] = "proficient" if r.level >= PROFICIENT else "taught"
        for m in session.exec(
            select(PersonMilestone).where(col(PersonMilestone.person_id).in_(ids), PersonMilestone.campaign_id == 0)
        ):
            milestones[m.person_id].append(m.milestone_id)
    return [
        {
            "id": p.id,
            "household_id": p.household_id,
            "full_name": p.full_name,
            "birth_year": p.birth_year,
            "sex": p.sex,
            "skills": levels[p.id],
            "milestones": sorted(milestones[p.id]),
        }
        for p in people
    ]
