"""Password hashing (Argon2) and tokens (JWT, algorithm pinned)."""

import uuid
from datetime import timedelta
from typing import Any

import jwt
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from app.config import get_settings
from app.errors import Unauthorized
from app.models import User
from app.models.base import utcnow

_hasher = PasswordHash((Argon2Hasher(),))
# Verifying against this keeps an unknown phone as slow as a wrong password.
_DUMMY_HASH = _hasher.hash("tungnha-dummy-password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password: str, password_hash: str | None) -> bool:
    if password_hash is None:
        _hasher.verify(password, _DUMMY_HASH)
        return False
    return _hasher.verify(password, password_hash)


class InvalidToken(Unauthorized):
    code = "invalid_token"
    message_vi = "Phiên đăng nhập không hợp lệ hoặc đã hết hạn. Vui lòng đăng nhập lại."
    message_en = "Your session is invalid or has expired. Please log in again."


def create_token(user_id: int, kind: str, credential_version: int = 0) -> str:
    settings = get_settings()
    lifetime = (
        timedelta(minutes=settings.access_token_minutes)
        if kind == "access"
        else timedelta(days=settings.refresh_token_days)
    )
    now = utcnow()
    claims = {
        "sub": str(user_id),
        "type": kind,
        "cv": credential_version,
        "iat": now,
        "exp": now + lifetime,
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(claims, settings.secret_key, algorithm=settings.jwt_algorithm)


def decode_token(token: str, kind: str) -> dict[str, Any]:
    settings = get_settings()
    try:
        claims = jwt.decode(token, settings.secret_key, algorithms=[settings.jwt_algorithm])
    except jwt.PyJWTError as exc:
        raise InvalidToken() from exc
    if claims.get("type") != kind or not str(claims.get("sub", "")).isdigit():
        raise InvalidToken()
    # Tokens from before credential versions existed carry none: they count as version 0.
    if type(claims.setdefault("cv", 0)) is not int:
        raise InvalidToken()
    return claims


def require_current_credentials(claims: dict[str, Any], credential_version: int) -> None:
    """A token signed before the user's last password change, reset or deactivation is refused."""
    if claims["cv"] != credential_version:
        raise InvalidToken()


def bump_credentials(user: User) -> None:
    """Every token issued so far stops working (the caller adds the user to the session)."""
    user.credential_version += 1
