"""Request dependencies: the session, the current user, their scope, pagination."""

from typing import Annotated

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


def authenticate(request: Request, session: Session) -> User:
    """The user the request's access token names, checked (active, credentials current, password
    changed), read in the caller's transaction."""
    claims = decode_token(_bearer(request), "access")
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


def get_caller(request: Request, session: SessionDep) -> tuple[User, Scope]:
    """The current user and their scope in one trip to the thread pool and one read transaction
    (for the routes every phone calls most: each trip and each transaction is a wait under load)."""
    user = authenticate(request, session)
    scope = scope_for(session, user)
    end_read(session)
    return user, scope


CallerDep = Annotated[tuple[User, Scope], Depends(get_caller)]


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
