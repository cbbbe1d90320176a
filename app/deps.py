"""Request dependencies: the session, the current user, their scope, pagination."""

from typing import Annotated, Any

from fastapi import Depends, Query, Request
from sqlmodel import Session

from app.auth.scope import Scope, scope_for
from app.auth.security import InvalidToken, decode_token, require_current_credentials
from app.auth.service import AccountDeactivated
from app.db import get_session
from app.errors import Forbidden, Unauthorized
from app.models import User
from app.routing import end_read

# scope="function": the transaction commits before the response is sent, never after.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


class PasswordChangeRequired(Forbidden):
    code = "password_change_required"
    message_vi = "Bạn cần đổi mật khẩu tạm trước khi tiếp tục."
    message_en = "Change your temporary password before going on."


# What a user holding a temporary password may still call: who they are, and the password change.
_ALLOWED_BEFORE_CHANGE = ("/api/v1/me", "/api/v1/me/password")


def _bearer(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized()
    return token.strip()


def token_claims(request: Request) -> dict[str, Any]:
    """The claims of the request's access token, checked (signature, expiry, kind)."""
    return decode_token(_bearer(request), "access")


def authenticate(request: Request, session: Session, claims: dict[str, Any] | None = None) -> User:
    """The user the request's access token names, checked (active, credentials current, password
    changed), read in the caller's transaction."""
    claims = token_claims(request) if claims is None else claims
    user = session.get(User, int(claims["sub"]))
    if user is None:
        raise InvalidToken()
    if not user.is_active:
        raise AccountDeactivated()
    require_current_credentials(claims, user.credential_version)
    if user.must_change_password and request.url.path not in _ALLOWED_BEFORE_CHANGE:
        raise PasswordChangeRequired()
    return user


def get_current_user(request: Request, session: SessionDep) -> User:
    user = authenticate(request, session)
    end_read(session)
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


def get_scope(session: SessionDep, user: CurrentUser) -> Scope:
    scope = scope_for(session, user)
    end_read(session)
    return scope


ScopeDep = Annotated[Scope, Depends(get_scope)]


async def get_claims(request: Request) -> dict[str, Any]:
    """The access token's claims, checked on the event loop without the database: a request without a
    valid token is refused before anything else is done for it."""
    return token_claims(request)


ClaimsDep = Annotated[dict[str, Any], Depends(get_claims)]


def caller(request: Request, session: Session, claims: dict[str, Any]) -> tuple[User, Scope]:
    """The current user and their scope, read in the endpoint's own transaction: for the route every
    phone calls most (sync push), no trip to the thread pool and no transaction of their own."""
    user = authenticate(request, session, claims)
    return user, scope_for(session, user)


class Page:
    def __init__(
        self,
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
        offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    ) -> None:
        self.limit = limit
        self.offset = offset


PageDep = Annotated[Page, Depends()]


def require_roles(*roles: str):  # type: ignore[no-untyped-def]
    def check(user: CurrentUser) -> User:
        if user.role not in roles:
            raise Forbidden()
        return user

    return Depends(check)
