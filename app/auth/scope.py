"""What a user may read and write.

volunteer: the hamlets assigned to them (their area). team_leader: their area plus the hamlets of the
teams they lead. commune/district/province officials: their unit and everything below it.
admin: everything. Everything else is `outside_your_area`. Across the 2025 reform, reports also let an
official of a 2025 unit read the pre-2025 units inside it (`require_unit_across_schemes`).
"""

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, bindparam, false, true
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from app.coverage import sql
from app.errors import OutsideYourArea
from app.models import AdminUnit, Team, TeamMember, User, VolunteerArea
from app.models.units import SCHEME_2025
from app.units import conversion

FIELD_ROLES = ("volunteer", "team_leader")
OFFICIAL_ROLES = ("commune_official", "district_official", "province_official")


@dataclass(frozen=True)
class Scope:
    user: User
    is_admin: bool = False
    unit_path: str | None = None  # officials: everything whose path starts with it
    hamlet_ids: frozenset[int] = field(default_factory=frozenset)  # field roles
    hamlet_paths: tuple[str, ...] = ()

    def contains_path(self, path: str) -> bool:
        if self.is_admin:
            return True
        if self.unit_path is not None:
            return path.startswith(self.unit_path)
        return False

    def can_read_unit(self, unit: AdminUnit) -> bool:
        """Officials: their unit, below it, and the ancestors on the way up (for breadcrumbs).
        Field roles: their hamlets and the units above them."""
        if self.is_admin:
            return True
        if self.unit_path is not None:
            return unit.path.startswith(self.unit_path) or self.unit_path.startswith(unit.path)
        return any(p.startswith(unit.path) for p in self.hamlet_paths)

    def can_manage_unit(self, unit: AdminUnit) -> bool:
        """Read or write data inside the unit (households, teams, reports)."""
        if self.is_admin:
            return True
        if self.unit_path is not None:
            return unit.path.startswith(self.unit_path)
        return unit.id in self.hamlet_ids

    def can_write_hamlet(self, hamlet_id: int, hamlet_path: str) -> bool:
        if self.is_admin:
            return True
        if self.unit_path is not None:
            return hamlet_path.startswith(self.unit_path)
        return hamlet_id in self.hamlet_ids

    def require_unit(self, unit: AdminUnit) -> None:
        if not self.can_manage_unit(unit):
            raise OutsideYourArea(details={"unit_id": unit.id})

    def hamlet_filter(self, hamlet_id_column: Any) -> ColumnElement[bool]:
        """A WHERE clause keeping rows whose hamlet is in scope."""
        if self.is_admin:
            return true()
        if self.unit_path is not None:
            inside = select(AdminUnit.id).where(col(AdminUnit.path).startswith(self.unit_path))
            return hamlet_id_column.in_(inside)
        if not self.hamlet_ids:
            return false()
        return hamlet_id_column.in_(sorted(self.hamlet_ids))


def require_unit_across_schemes(session: Session, scope: Scope, unit: AdminUnit) -> None:
    """Read a unit's data: as `Scope.require_unit`, and an official of a 2025 unit also reads the
    pre-2025 units it now contains (a 2025 commune official: only the old communes and hamlets that
    went into their commune; the hamlets of a split commune once assigned to it)."""
    if scope.can_manage_unit(unit):
        return
    own = session.get(AdminUnit, scope.user.unit_id) if scope.unit_path is not None and scope.user.unit_id else None
    if own is not None and own.scheme == SCHEME_2025 and conversion.contained_in(session, unit, own.path):
        return
    raise OutsideYourArea(details={"unit_id": unit.id})


def area_hamlet_ids(session: Session, user_id: int) -> set[int]:
    rows = session.exec(select(VolunteerArea.hamlet_id).where(VolunteerArea.user_id == user_id))
    return set(rows)


def led_team_hamlet_ids(session: Session, user_id: int) -> set[int]:
    teams = session.exec(
        select(Team.unit_id, AdminUnit.level, AdminUnit.path)
        .join(TeamMember, col(TeamMember.team_id) == Team.id)
        .join(AdminUnit, col(AdminUnit.id) == Team.unit_id)
        .where(TeamMember.user_id == user_id, col(TeamMember.role).in_(("leader", "deputy")))
    ).all()
    ids: set[int] = set()
    for unit_id, level, path in teams:
        if level == "hamlet":
            ids.add(unit_id)
        else:
            inside = session.exec(
                select(AdminUnit.id).where(AdminUnit.level == "hamlet", col(AdminUnit.path).startswith(path))
            )
            ids.update(i for i in inside if i is not None)
    return ids


@lru_cache(maxsize=1)
def _area_query() -> Any:
    """A volunteer's hamlets (`:user`) and their paths, built once: every push and pull reads it."""
    return (
        sa_select(col(AdminUnit.id), col(AdminUnit.path))
        .join(VolunteerArea, col(VolunteerArea.hamlet_id) == AdminUnit.id)
        .where(col(VolunteerArea.user_id) == bindparam("user"))
        .order_by(col(AdminUnit.id))
    )


def scope_for(session: Session, user: User) -> Scope:
    if user.role == "admin":
        return Scope(user=user, is_admin=True)
    if user.role in OFFICIAL_ROLES:
        unit = session.get(AdminUnit, user.unit_id) if user.unit_id else None
        # An official without a unit sees nothing: the empty-set path below matches no row.
        return Scope(user=user, unit_path=unit.path if unit else "\x00")
    assert user.id is not None
    if user.role != "team_leader":  # a volunteer's area and its paths, in one query
        rows = sql.fetch(session, _area_query(), {"user": user.id})
        return Scope(
            user=user, hamlet_ids=frozenset(i for i, _ in rows if i is not None), hamlet_paths=tuple(p for _, p in rows)
        )
    hamlets = area_hamlet_ids(session, user.id) | led_team_hamlet_ids(session, user.id)
    paths = session.exec(select(AdminUnit.path).where(col(AdminUnit.id).in_(sorted(hamlets)))).all()
    return Scope(user=user, hamlet_ids=frozenset(hamlets), hamlet_paths=tuple(paths))
