"""Teams (Tổ CNSCĐ) and their members.

A team belongs to a hamlet or a commune. Officials manage the teams inside their unit; team members
read their own teams. A volunteer is in one team at a time unless an official says otherwise: adding
someone already in another team is refused unless the request asks to move them.
"""

from typing import Any

from sqlalchemy import ColumnElement, func, or_, true
from sqlmodel import Session, col, delete, select

from app.auth.scope import FIELD_ROLES, Scope
from app.errors import Conflict, Forbidden, Invalid, NotFound, OutsideYourArea
from app.models import AdminUnit, Team, TeamMember, User
from app.teams.schemas import MemberIn, TeamIn, TeamPatch
from app.units import service as units
from app.users import service as users

TEAM_LEVELS = ("commune", "hamlet")
MANAGER_ROLES = tuple(users.CREATABLE)


class TeamNotFound(NotFound):
    code = "team_not_found"
    message_vi = "Không tìm thấy tổ."
    message_en = "Team not found."


class MemberNotFound(NotFound):
    code = "member_not_found"
    message_vi = "Người này không thuộc tổ."
    message_en = "This person is not a member of the team."


class AlreadyInTeam(Conflict):
    code = "already_in_team"
    message_vi = "Người này đang thuộc tổ khác. Chọn chuyển tổ để chuyển sang tổ này."
    message_en = "This person is in another team. Ask to move them to move them here."


def _require_manager(scope: Scope) -> None:
    if scope.user.role not in MANAGER_ROLES:
        raise Forbidden()


def _visible(scope: Scope) -> ColumnElement[bool]:
    if scope.is_admin:
        return true()
    if scope.unit_path is not None:
        inside = select(AdminUnit.id).where(col(AdminUnit.path).startswith(scope.unit_path))
        return col(Team.unit_id).in_(inside)
    mine = select(TeamMember.team_id).where(TeamMember.user_id == scope.user.id)
    if not scope.hamlet_ids:
        return col(Team.id).in_(mine)
    return or_(col(Team.id).in_(mine), col(Team.unit_id).in_(sorted(scope.hamlet_ids)))


def _team_unit(session: Session, scope: Scope, unit_id: int) -> AdminUnit:
    unit = units.get_unit(session, unit_id)
    if unit.level not in TEAM_LEVELS:
        raise Invalid(
            "Tổ phải thuộc một xã/phường hoặc một thôn/ấp.",
            "A team belongs to a commune or a hamlet.",
            code="wrong_team_unit",
            details={"unit_id": unit_id, "level": unit.level},
        )
    scope.require_unit(unit)
    return unit


def get_team(session: Session, *, scope: Scope, team_id: int, manage: bool = False) -> Team:
    team = session.get(Team, team_id)
    if team is None:
        raise TeamNotFound(details={"team_id": team_id})
    if manage:
        _require_manager(scope)
    allowed = session.exec(select(func.count()).where(col(Team.id) == team_id, _visible(scope))).one()
    if not allowed:
        raise OutsideYourArea(details={"team_id": team_id})
    return team


def list_teams(
    session: Session, *, scope: Scope, unit_id: int | None = None, limit: int = 50, offset: int = 0
) -> tuple[list[Team], int]:
    stmt = select(Team).where(_visible(scope))
    if unit_id is not None:
        unit = units.get_unit(session, unit_id)
        if not scope.can_read_unit(unit):
            raise OutsideYourArea(details={"unit_id": unit_id})
        stmt = stmt.where(col(Team.unit_id).in_(select(AdminUnit.id).where(col(AdminUnit.path).startswith(unit.path))))
    total = session.exec(select(func.count()).select_from(stmt.subquery())).one()
    rows = session.exec(stmt.order_by(col(Team.name), col(Team.id)).limit(limit).offset(offset)).all()
    return list(rows), int(total)


def create_team(session: Session, *, scope: Scope, data: TeamIn) -> Team:
    _require_manager(scope)
    unit = _team_unit(session, scope, data.unit_id)
    team = Team(name=data.name, unit_id=unit.id)  # type: ignore[arg-type]
    session.add(team)
    session.flush()
    return team


def update_team(session: Session, *, scope: Scope, team_id: int, data: TeamPatch) -> Team:
    team = get_team(session, scope=scope, team_id=team_id, manage=True)
    if data.name is not None:
        team.name = data.name
    if data.unit_id is not None and data.unit_id != team.unit_id:
        team.unit_id = _team_unit(session, scope, data.unit_id).id  # type: ignore[assignment]
    session.add(team)
    session.flush()
    return team


def add_member(session: Session, *, scope: Scope, team_id: int, data: MemberIn) -> TeamMember:
    team = get_team(session, scope=scope, team_id=team_id, manage=True)
    user = users.get_user(session, scope=scope, user_id=data.user_id)
    if user.role not in FIELD_ROLES:
        raise Invalid(
            "Chỉ tình nguyện viên và tổ trưởng mới vào tổ.",
            "Only volunteers and team leaders join teams.",
            code="not_a_field_account",
            details={"user_id": user.id, "role": user.role},
        )
    if data.role == "leader" and user.role != "team_leader":
        raise Invalid(
            "Muốn làm tổ trưởng, tài khoản phải có vai trò tổ trưởng.",
            "To lead a team the account must have the team leader role.",
            code="not_a_team_leader",
            details={"user_id": user.id},
        )
    if not user.is_active:
        raise Invalid("Tài khoản này đã bị vô hiệu hóa.", "This account is deactivated.", code="account_deactivated")
    others = session.exec(select(TeamMember).where(TeamMember.user_id == user.id, TeamMember.team_id != team.id)).all()
    if others:
        if not data.move:
            raise AlreadyInTeam(details={"user_id": user.id, "team_ids": [m.team_id for m in others]})
        for m in others:
            # Moving out of a team outside the caller's area would be a write outside it.
            get_team(session, scope=scope, team_id=m.team_id, manage=True)
        session.execute(
            delete(TeamMember).where(col(TeamMember.user_id) == user.id, col(TeamMember.team_id) != team.id)
        )
    member = session.get(TeamMember, (team.id, user.id))
    if member is None:
        member = TeamMember(team_id=team.id, user_id=user.id, role=data.role)  # type: ignore[arg-type]
    member.role = data.role
    session.add(member)
    session.flush()
    return member


def remove_member(session: Session, *, scope: Scope, team_id: int, user_id: int) -> None:
    team = get_team(session, scope=scope, team_id=team_id, manage=True)
    member = session.get(TeamMember, (team.id, user_id))
    if member is None:
        raise MemberNotFound(details={"team_id": team_id, "user_id": user_id})
    session.delete(member)
    session.flush()


def describe(session: Session, teams: list[Team]) -> list[dict[str, Any]]:
    ids = [t.id for t in teams]
    unit_ids = sorted({t.unit_id for t in teams})
    unit_by_id = {u.id: u for u in session.exec(select(AdminUnit).where(col(AdminUnit.id).in_(unit_ids))).all()}
    counts: dict[int, int] = {}
    if ids:
        rows = session.exec(
            select(TeamMember.team_id, func.count())
            .where(col(TeamMember.team_id).in_(ids))
            .group_by(col(TeamMember.team_id))
        ).all()
        counts = {int(team_id): int(n) for team_id, n in rows}
    return [
        {
            **t.model_dump(),
            "unit_name": unit_by_id[t.unit_id].name,
            "unit_level": unit_by_id[t.unit_id].level,
            "member_count": counts.get(t.id or 0, 0),
        }
        for t in teams
    ]


def _may_see_phone(viewer: User | None, member: User, team_role: str) -> bool:
    if viewer is None or viewer.role != "volunteer":
        return True
    return team_role in ("leader", "deputy") or member.id == viewer.id


def detail(session: Session, team: Team, viewer: User | None = None) -> dict[str, Any]:
    """The team and its members. A volunteer sees the phone of the team's leaders (and their own), not
    their teammates' (need to know); leaders and officials see every phone."""
    rows = session.exec(
        select(TeamMember, User)
        .join(User, col(User.id) == TeamMember.user_id)
        .where(TeamMember.team_id == team.id)
        .order_by(TeamMember.role, User.full_name)
    ).all()
    members = [
        {
            "user_id": u.id,
            "full_name": u.full_name,
            "phone": u.phone if _may_see_phone(viewer, u, m.role) else None,
            "user_role": u.role,
            "is_active": u.is_active,
            "role": m.role,
            "joined_at": m.joined_at,
        }
        for m, u in rows
    ]
    return {**describe(session, [team])[0], "members": members}
