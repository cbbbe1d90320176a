"""Login, refresh, and slowing down password guessing per phone and client address."""

import math
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import CompoundSelect, Integer, Select, String, bindparam, case, cast, literal, null, or_, union_all
from sqlalchemy import select as sa_select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, delete, select

from app.auth.phone import normalize_phone
from app.auth.security import (
    InvalidToken,
    create_token,
    decode_token,
    hash_password,
    require_current_credentials,
    verify_password,
)
from app.config import get_settings
from app.errors import AppError, Forbidden, Unauthorized
from app.models import AdminUnit, LoginThrottle, Team, TeamMember, User, VolunteerArea
from app.models.base import table_of, utcnow


class WrongCredentials(Unauthorized):
    code = "wrong_credentials"
    message_vi = "Số điện thoại hoặc mật khẩu không đúng."
    message_en = "Wrong phone number or password."


class AccountDeactivated(Forbidden):
    code = "account_deactivated"
    message_vi = "Tài khoản đã bị vô hiệu hóa. Liên hệ cán bộ xã để được hỗ trợ."
    message_en = "This account has been deactivated. Contact your commune official."


class TooManyAttempts(AppError):
    status_code = 429
    code = "too_many_attempts"
    message_vi = "Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau {seconds} giây."
    message_en = "Too many failed logins. Try again in {seconds} seconds."

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            self.message_vi.format(seconds=retry_after),
            self.message_en.format(seconds=retry_after),
            details={"retry_after": retry_after},
        )
        self.headers = {"Retry-After": str(retry_after)}


def _login_throttle_insert(session: Session) -> Callable[..., Any]:
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


def reserve_attempt(session: Session, phone: str, client: str) -> None:
    """Grant this login attempt the right to check a password, or raise 429.

    One statement inserts or updates the (phone, client) row and returns it, so parallel attempts are
    counted one by one: after `login_slowdown_after` attempts each must wait longer (2, 4, 8… s) after
    the one before, and after `login_lock_after` the pair is locked for `login_lock_minutes`. A refused
    attempt changes nothing. The row is forgotten after a success or a quiet `login_lock_minutes`.
    The caller commits at once, before checking the password.
    """
    settings = get_settings()
    table = table_of(LoginThrottle)
    c = table.c
    now = utcnow()
    attempt = uuid.uuid4().hex

    def stamp(value: datetime) -> Any:
        return literal(value, c.locked_until.type)

    def wait_after(count: Any) -> Any:
        """When the attempt after the `count`-th evaluated one may be evaluated (None: at once)."""
        lock = now + timedelta(minutes=settings.login_lock_minutes)
        first = settings.login_slowdown_after
        slow = [
            (count == n, stamp(now + timedelta(seconds=2 ** (n - first + 1))))
            for n in range(first, settings.login_lock_after)
        ]
        return case((count >= settings.login_lock_after, stamp(lock)), *slow, else_=null())

    # In an upsert's SET clause the columns are the row's values before this attempt.
    open_now = or_(c.locked_until.is_(None), c.locked_until <= stamp(now))
    forgotten = stamp(now - timedelta(minutes=settings.login_lock_minutes))
    restart = or_(c.failures >= settings.login_lock_after, c.last_failure_at.is_(None), c.last_failure_at <= forgotten)
    count = case((restart, 1), else_=c.failures + 1)
    insert = _login_throttle_insert(session)(table).values(
        phone=phone, client=client, failures=1, last_failure_at=now, locked_until=None, last_attempt=attempt
    )
    if settings.login_slowdown_after <= 1:
        insert = insert.values(locked_until=wait_after(literal(1)))
    statement = insert.on_conflict_do_update(
        index_elements=[c.phone, c.client],
        set_={
            "failures": case((open_now, count), else_=c.failures),
            "last_failure_at": case((open_now, stamp(now)), else_=c.last_failure_at),
            "locked_until": case((open_now, wait_after(count)), else_=c.locked_until),
            "last_attempt": case((open_now, literal(attempt)), else_=c.last_attempt),
        },
    ).returning(c.locked_until, c.last_attempt)
    locked_until, granted_to = session.execute(statement).one()
    if granted_to != attempt:
        wait = (locked_until - now).total_seconds() if locked_until else 1
        raise TooManyAttempts(max(1, math.ceil(wait)))


def authenticate(session: Session, *, phone: str, password: str, client: str) -> User:
    """Check the password of an attempt `reserve_attempt` granted; a success forgets the earlier failures."""
    e164 = normalize_phone(phone)
    user = session.exec(select(User).where(User.phone == e164)).first()
    if not verify_password(password, user.password_hash if user else None) or user is None:
        raise WrongCredentials(details={"phone": e164})
    if not user.is_active:
        # The right password on a deactivated account: say why, so the phone can tell its owner.
        raise AccountDeactivated()
    session.execute(delete(LoginThrottle).where(col(LoginThrottle.phone) == e164, col(LoginThrottle.client) == client))
    return user


def tokens_for(user: User) -> dict[str, object]:
    assert user.id is not None
    return {
        "access_token": create_token(user.id, "access", user.credential_version),
        "refresh_token": create_token(user.id, "refresh", user.credential_version),
        "token_type": "bearer",
        "expires_in": get_settings().access_token_minutes * 60,
    }


def refresh(session: Session, *, refresh_token: str) -> User:
    claims = decode_token(refresh_token, "refresh")
    user = session.get(User, int(claims["sub"]))
    if user is None:
        raise InvalidToken()
    if not user.is_active:
        raise AccountDeactivated()
    require_current_credentials(claims, user.credential_version)
    return user


def create_user(session: Session, *, phone: str, full_name: str, password: str, role: str, unit_id: int | None) -> User:
    user = User(
        phone=normalize_phone(phone),
        full_name=full_name,
        password_hash=hash_password(password),
        role=role,
        unit_id=unit_id,
    )
    session.add(user)
    session.flush()
    return user


def _me_statement() -> CompoundSelect:
    """The user's unit, the hamlets of their area and their teams, one row each, by kind and name."""
    unit, area, team, member = (table_of(m) for m in (AdminUnit, VolunteerArea, Team, TeamMember))
    text, number = String(), Integer()

    def units(kind: str) -> Select[Any]:
        return sa_select(
            literal(kind).label("kind"),
            unit.c.id,
            unit.c.name,
            unit.c.level,
            unit.c.code,
            unit.c.path,
            cast(null(), number).label("unit_id"),
            cast(null(), text).label("role"),
        )

    teams = sa_select(
        literal("team"),
        team.c.id,
        team.c.name,
        cast(null(), text),
        cast(null(), text),
        cast(null(), text),
        team.c.unit_id,
        member.c.role,
    ).join(member, member.c.team_id == team.c.id)
    return union_all(
        units("unit").where(unit.c.id == bindparam("unit_id")),
        units("area").join(area, area.c.hamlet_id == unit.c.id).where(area.c.user_id == bindparam("user_id")),
        teams.where(member.c.user_id == bindparam("user_id")),
    ).order_by("kind", "name")


_ME = _me_statement()


def me(session: Session, user: User) -> dict[str, object]:
    """Who the user is: their unit, the hamlets of their area (by name) and their teams, in one read."""
    assert user.id is not None
    found: dict[str, list[dict[str, object]]] = {"unit": [], "area": [], "team": []}
    for kind, unit_id, name, level, code, path, team_unit_id, role in session.execute(
        _ME, {"user_id": user.id, "unit_id": user.unit_id}
    ).all():
        if kind == "team":
            found[kind].append({"id": unit_id, "name": name, "unit_id": team_unit_id, "role": role})
        else:
            found[kind].append({"id": unit_id, "name": name, "level": level, "code": code, "path": path})
    return {
        "user": user,
        "unit": found["unit"][0] if found["unit"] else None,
        "area": found["area"],
        "teams": found["team"],
    }
