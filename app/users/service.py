"""Accounts managed by officials: who may create which role, hamlet areas, deactivation, passwords.

A commune official creates volunteers and team leaders in their commune; each level up may also create
the officials one level below it; admins create anyone. An official manages only accounts inside their
unit whose role they could have created. Deactivating keeps the account and its visits; the auth
dependency refuses it from then on, so the phone stops syncing.
"""

import secrets
from typing import Any

from sqlalchemy import func, or_
from sqlmodel import Session, col, delete, select

from app.auth.phone import normalize_phone
from app.auth.scope import FIELD_ROLES, Scope
from app.auth.security import bump_credentials, hash_password, verify_password
from app.errors import AppError, Conflict, Forbidden, Invalid, NotFound, OutsideYourArea
from app.models import AdminUnit, Team, TeamMember, User, VolunteerArea
from app.models.base import utcnow
from app.privacy import audit
from app.text import fold
from app.units import service as units
from app.users.schemas import UserIn, UserPatch

CREATABLE: dict[str, tuple[str, ...]] = {
    "commune_official": ("volunteer", "team_leader"),
    "district_official": ("volunteer", "team_leader", "commune_official"),
    "province_official": ("volunteer", "team_leader", "commune_official", "district_official"),
    "admin": ("volunteer", "team_leader", "commune_official", "district_official", "province_official", "admin"),
}
OFFICIAL_LEVEL = {"commune_official": "commune", "district_official": "district", "province_official": "province"}
FIELD_LEVELS = ("commune", "hamlet")
# No 0/O, 1/l/I: the temporary password is read aloud or copied from a screen.
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


class UserNotFound(NotFound):
    code = "user_not_found"
    message_vi = "Không tìm thấy tài khoản."
    message_en = "User not found."


class PhoneTaken(Conflict):
    code = "phone_taken"
    message_vi = "Số điện thoại này đã có tài khoản."
    message_en = "This phone number already has an account."


class RoleNotAllowed(Forbidden):
    code = "role_not_allowed"
    message_vi = "Bạn không được tạo hoặc quản lý tài khoản với vai trò này."
    message_en = "You may not create or manage accounts with this role."


class WrongUnitForRole(Invalid):
    code = "wrong_unit_for_role"
    message_vi = "Đơn vị không phù hợp với vai trò của tài khoản."
    message_en = "The unit does not match the account's role."


class WrongPassword(AppError):
    status_code = 400
    code = "wrong_password"
    message_vi = "Mật khẩu hiện tại không đúng."
    message_en = "The current password is wrong."


def temporary_password() -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(10))


def _audit(session: Session, scope: Scope, user: User, category: str, kind: str) -> None:
    """Account changes are in the audit log, under the account's unit (or the manager's)."""
    audit.record(
        session,
        actor=scope.user,
        category=category,
        kind=kind,
        unit_id=user.unit_id or scope.user.unit_id,
        target_user_id=user.id,
        personal_data=False,
    )


def _require_manager(actor: User) -> None:
    if actor.role not in CREATABLE:
        raise Forbidden()


def _in_scope_clause(scope: Scope, path: str | None = None) -> Any:
    """Accounts whose unit, or one of whose hamlets, lies under `path` (default: the caller's unit)."""
    prefix = path if path is not None else scope.unit_path
    if scope.is_admin and path is None:
        return None
    inside = select(AdminUnit.id).where(col(AdminUnit.path).startswith(prefix or "\x00"))
    with_area = select(VolunteerArea.user_id).where(col(VolunteerArea.hamlet_id).in_(inside))
    return or_(col(User.unit_id).in_(inside), col(User.id).in_(with_area))


def _user_units_paths(session: Session, user: User) -> list[str]:
    paths: list[str] = []
    if user.unit_id is not None:
        unit = session.get(AdminUnit, user.unit_id)
        if unit is not None:
            paths.append(unit.path)
    if user.role in FIELD_ROLES:
        paths.extend(
            session.exec(
                select(AdminUnit.path)
                .join(VolunteerArea, col(VolunteerArea.hamlet_id) == AdminUnit.id)
                .where(VolunteerArea.user_id == user.id)
            ).all()
        )
    return paths


def can_see(session: Session, scope: Scope, user: User) -> bool:
    if scope.is_admin or user.id == scope.user.id:
        return True
    if scope.unit_path is None:
        return False
    return any(p.startswith(scope.unit_path) for p in _user_units_paths(session, user))


def get_user(session: Session, *, scope: Scope, user_id: int) -> User:
    _require_manager(scope.user)
    user = session.get(User, user_id)
    if user is None:
        raise UserNotFound(details={"user_id": user_id})
    if not can_see(session, scope, user):
        raise OutsideYourArea(details={"user_id": user_id})
    return user


def _managed(session: Session, *, scope: Scope, user_id: int) -> User:
    user = get_user(session, scope=scope, user_id=user_id)
    if user.role not in CREATABLE[scope.user.role]:
        raise RoleNotAllowed(details={"role": user.role})
    return user


def _unit_for_role(session: Session, *, scope: Scope, role: str, unit_id: int | None) -> AdminUnit | None:
    """The unit that scopes a new account: inside the caller's unit and of the level the role needs."""
    actor = scope.user
    if unit_id is None:
        if role == "admin":
            return None
        unit_id = actor.unit_id
        if unit_id is None:
            raise WrongUnitForRole(details={"role": role, "unit_id": None})
    unit = units.get_unit(session, unit_id)
    scope.require_unit(unit)
    wanted = OFFICIAL_LEVEL.get(role)
    ok = unit.level in FIELD_LEVELS if role in FIELD_ROLES else (wanted is None or unit.level == wanted)
    if not ok:
        raise WrongUnitForRole(details={"role": role, "unit_id": unit.id, "unit_level": unit.level})
    return unit


def _check_phone_free(session: Session, phone: str, *, except_id: int | None = None) -> None:
    existing = session.exec(select(User.id).where(User.phone == phone)).first()
    if existing is not None and existing != except_id:
        raise PhoneTaken(details={"phone": phone})


def create_user(session: Session, *, scope: Scope, data: UserIn) -> tuple[User, str | None]:
    """Returns the account and the generated temporary password (None when the caller chose one)."""
    _require_manager(scope.user)
    if data.role not in CREATABLE[scope.user.role]:
        raise RoleNotAllowed(details={"role": data.role})
    phone = normalize_phone(data.phone)
    _check_phone_free(session, phone)
    unit = _unit_for_role(session, scope=scope, role=data.role, unit_id=data.unit_id)
    generated = None if data.password else temporary_password()
    user = User(
        phone=phone,
        full_name=data.full_name,
        password_hash=hash_password(data.password or generated or ""),
        role=data.role,
        unit_id=unit.id if unit else None,
        must_change_password=True,
    )
    session.add(user)
    session.flush()
    _audit(session, scope, user, "user_change", "create")
    if data.hamlet_ids:
        set_area(session, scope=scope, user_id=user.id, hamlet_ids=data.hamlet_ids)  # type: ignore[arg-type]
    return user, generated


def update_user(session: Session, *, scope: Scope, user_id: int, data: UserPatch) -> tuple[User, str | None]:
    user = _managed(session, scope=scope, user_id=user_id)
    fields = data.model_dump(exclude_unset=True)
    if fields.get("full_name") is not None:
        user.full_name = fields["full_name"]
    if fields.get("phone") is not None:
        phone = normalize_phone(fields["phone"])
        _check_phone_free(session, phone, except_id=user.id)
        user.phone = phone
    role = fields.get("role") or user.role
    if role != user.role and role not in CREATABLE[scope.user.role]:
        raise RoleNotAllowed(details={"role": role})
    if role != user.role or fields.get("unit_id") is not None:
        unit = _unit_for_role(session, scope=scope, role=role, unit_id=fields.get("unit_id") or user.unit_id)
        user.role = role
        user.unit_id = unit.id if unit else None
        if role not in FIELD_ROLES:
            session.execute(delete(VolunteerArea).where(col(VolunteerArea.user_id) == user.id))
    generated = None
    if data.reset_password:
        generated = temporary_password()
        user.password_hash = hash_password(generated)
        user.must_change_password = True
        bump_credentials(user)
    session.add(user)
    session.flush()
    if set(fields) - {"reset_password"}:
        _audit(session, scope, user, "user_change", "update")
    if generated:
        _audit(session, scope, user, "password_reset", "reset")
    return user, generated


def set_area(session: Session, *, scope: Scope, user_id: int, hamlet_ids: list[int]) -> User:
    """Replace the hamlets a volunteer or team leader works in (what their phone downloads)."""
    user = _managed(session, scope=scope, user_id=user_id)
    if user.role not in FIELD_ROLES:
        raise Invalid(
            "Chỉ tình nguyện viên và tổ trưởng mới được giao thôn/ấp.",
            "Only volunteers and team leaders are assigned hamlets.",
            code="area_for_field_roles_only",
        )
    wanted = sorted(set(hamlet_ids))
    hamlets = {u.id: u for u in session.exec(select(AdminUnit).where(col(AdminUnit.id).in_(wanted))).all()}
    home = session.get(AdminUnit, user.unit_id) if user.unit_id else None
    for hamlet_id in wanted:
        hamlet = hamlets.get(hamlet_id)
        if hamlet is None or hamlet.level != "hamlet":
            raise Invalid(
                "Chỉ giao được thôn/ấp/khu vực.",
                "Only hamlets can be assigned.",
                code="not_a_hamlet",
                details={"hamlet_id": hamlet_id},
            )
        if not scope.can_manage_unit(hamlet):
            raise OutsideYourArea(details={"hamlet_id": hamlet_id})
        if home is not None and not hamlet.path.startswith(home.path):
            raise Invalid(
                "Thôn/ấp này không thuộc đơn vị của tài khoản.",
                "This hamlet is outside the account's unit.",
                code="hamlet_outside_user_unit",
                details={"hamlet_id": hamlet_id, "unit_id": home.id},
            )
    current = set(session.exec(select(VolunteerArea.hamlet_id).where(VolunteerArea.user_id == user.id)).all())
    gone = current - set(wanted)
    if gone:
        session.execute(
            delete(VolunteerArea).where(
                col(VolunteerArea.user_id) == user.id, col(VolunteerArea.hamlet_id).in_(sorted(gone))
            )
        )
    for hamlet_id in wanted:
        if hamlet_id not in current:
            session.add(VolunteerArea(user_id=user.id, hamlet_id=hamlet_id))  # type: ignore[arg-type]
    session.flush()
    if gone or set(wanted) - current:
        _audit(session, scope, user, "user_change", "area")
    return user


def set_active(session: Session, *, scope: Scope, user_id: int, active: bool) -> User:
    """Deactivation stops logins and syncing at once; the account, its area and its visits stay."""
    user = _managed(session, scope=scope, user_id=user_id)
    if user.id == scope.user.id:
        raise Invalid(
            "Bạn không thể tự vô hiệu hóa tài khoản của mình.",
            "You cannot deactivate your own account.",
            code="cannot_deactivate_self",
        )
    if user.is_active != active:
        user.is_active = active
        user.deactivated_at = None if active else utcnow()
        if not active:
            bump_credentials(user)
        session.add(user)
        session.flush()
        _audit(session, scope, user, "user_change", "activate" if active else "deactivate")
    return user


def change_password(session: Session, *, user: User, current_password: str, new_password: str) -> User:
    if not verify_password(current_password, user.password_hash):
        raise WrongPassword()
    if current_password == new_password:
        raise Invalid(
            "Mật khẩu mới phải khác mật khẩu hiện tại.",
            "The new password must differ from the current one.",
            code="same_password",
        )
    user.password_hash = hash_password(new_password)
    user.must_change_password = False
    # Every other session ends; the caller hands this one fresh tokens.
    bump_credentials(user)
    session.add(user)
    session.flush()
    return user


def list_users(
    session: Session,
    *,
    scope: Scope,
    unit_id: int | None = None,
    role: str | None = None,
    active: bool | None = None,
    query: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[User], int]:
    """`query` finds a name without its accents ("hoa" finds "Lê Thị Hoà") or a part of the phone."""
    _require_manager(scope.user)
    stmt = select(User)
    clause = _in_scope_clause(scope)
    if clause is not None:
        stmt = stmt.where(clause)
    if unit_id is not None:
        unit = units.get_unit(session, unit_id)
        scope.require_unit(unit)
        stmt = stmt.where(_in_scope_clause(scope, unit.path))
    if role is not None:
        stmt = stmt.where(User.role == role)
    if active is not None:
        stmt = stmt.where(User.is_active == active)
    ordered = stmt.order_by(col(User.full_name), col(User.id))
    key = fold(query or "")
    if key:
        digits = "".join(c for c in key if c.isdigit())
        local = digits[1:] if digits.startswith("0") else digits
        found = [
            u for u in session.exec(ordered).all() if key in fold(u.full_name) or (len(local) >= 3 and local in u.phone)
        ]
        return found[offset : offset + limit], len(found)
    total = session.exec(select(func.count()).select_from(stmt.subquery())).one()
    rows = session.exec(ordered.limit(limit).offset(offset)).all()
    return list(rows), int(total)


def describe(session: Session, users: list[User]) -> list[dict[str, Any]]:
    """Users with their hamlets and teams, two queries for the whole page."""
    ids = [u.id for u in users]
    areas: dict[int, list[dict[str, Any]]] = {i: [] for i in ids if i is not None}
    teams: dict[int, list[dict[str, Any]]] = {i: [] for i in ids if i is not None}
    if ids:
        for user_id, hamlet in session.exec(
            select(VolunteerArea.user_id, AdminUnit)
            .join(AdminUnit, col(AdminUnit.id) == VolunteerArea.hamlet_id)
            .where(col(VolunteerArea.user_id).in_(ids))
            .order_by(AdminUnit.name)
        ).all():
            areas[user_id].append({"id": hamlet.id, "name": hamlet.name, "code": hamlet.code})
        for user_id, team, role in session.exec(
            select(TeamMember.user_id, Team, TeamMember.role)
            .join(Team, col(Team.id) == TeamMember.team_id)
            .where(col(TeamMember.user_id).in_(ids))
            .order_by(Team.name)
        ).all():
            teams[user_id].append({"id": team.id, "name": team.name, "unit_id": team.unit_id, "role": role})
    return [{**u.model_dump(), "area": areas[u.id], "teams": teams[u.id]} for u in users if u.id is not None]
