"""Login, refresh, and slowing down password guessing per phone."""

import math
from datetime import timedelta

from sqlmodel import Session, col, select

from app.auth.phone import normalize_phone
from app.auth.security import InvalidToken, create_token, decode_token, hash_password, verify_password
from app.config import get_settings
from app.errors import AppError, Forbidden, Unauthorized
from app.models import AdminUnit, LoginThrottle, Team, TeamMember, User, VolunteerArea
from app.models.base import utcnow


class WrongCredentials(Unauthorized):
    code = "wrong_credentials"
    message_vi = "Số điện thoại hoặc mật khẩu không đúng."
    message_en = "Wrong phone number or password."


class AccountDeactivated(Forbidden):
    code = "account_deactivated"
    message_vi = "Tài khoản đã bị vô hiệu hoá. Liên hệ cán bộ xã để được hỗ trợ."
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


def check_throttle(session: Session, phone: str) -> None:
    """Raise 429 while the phone must wait: a growing delay after a few failures, then a lock-out."""
    row = session.get(LoginThrottle, phone)
    if row is None or row.failures == 0:
        return
    settings = get_settings()
    now = utcnow()
    if row.locked_until and row.locked_until > now:
        raise TooManyAttempts(math.ceil((row.locked_until - now).total_seconds()))
    if row.failures >= settings.login_slowdown_after and row.last_failure_at:
        delay = timedelta(seconds=2 ** (row.failures - settings.login_slowdown_after + 1))
        wait = row.last_failure_at + delay - now
        if wait.total_seconds() > 0:
            raise TooManyAttempts(math.ceil(wait.total_seconds()))


def record_failure(session: Session, phone: str) -> None:
    settings = get_settings()
    row = session.get(LoginThrottle, phone) or LoginThrottle(phone=phone)
    now = utcnow()
    if row.locked_until and row.locked_until <= now:
        row.failures = 0
        row.locked_until = None
    row.failures += 1
    row.last_failure_at = now
    if row.failures >= settings.login_lock_after:
        row.locked_until = now + timedelta(minutes=settings.login_lock_minutes)
    session.add(row)


def authenticate(session: Session, *, phone: str, password: str) -> User:
    e164 = normalize_phone(phone)
    check_throttle(session, e164)
    user = session.exec(select(User).where(User.phone == e164)).first()
    if not verify_password(password, user.password_hash if user else None) or user is None:
        raise WrongCredentials(details={"phone": e164})
    if not user.is_active:
        # The right password on a deactivated account: say why, so the phone can tell its owner.
        raise AccountDeactivated()
    throttle = session.get(LoginThrottle, e164)
    if throttle is not None:
        session.delete(throttle)
    return user


def tokens_for(user: User) -> dict[str, object]:
    assert user.id is not None
    return {
        "access_token": create_token(user.id, "access"),
        "refresh_token": create_token(user.id, "refresh"),
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


def me(session: Session, user: User) -> dict[str, object]:
    assert user.id is not None
    unit = session.get(AdminUnit, user.unit_id) if user.unit_id else None
    area = session.exec(
        select(AdminUnit)
        .join(VolunteerArea, col(VolunteerArea.hamlet_id) == AdminUnit.id)
        .where(VolunteerArea.user_id == user.id)
        .order_by(AdminUnit.name)
    ).all()
    teams = session.exec(
        select(Team, TeamMember.role)
        .join(TeamMember, col(TeamMember.team_id) == Team.id)
        .where(TeamMember.user_id == user.id)
    ).all()
    return {
        "user": user,
        "unit": unit,
        "area": list(area),
        "teams": [{"id": t.id, "name": t.name, "unit_id": t.unit_id, "role": role} for t, role in teams],
    }
