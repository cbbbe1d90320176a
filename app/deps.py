"""Request dependencies: the session, the current user, their scope, pagination."""

from typing import Annotated

from fastapi import Depends, Query, Request
from sqlmodel import Session

from app.auth.scope import Scope, scope_for
from app.auth.security import InvalidToken, decode_token, require_current_credentials
from app.db import get_session
from app.errors import Forbidden, Unauthorized
from app.models import User
from app.routing import end_read

# scope="function": the transaction commits before the response is sent, never after.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


class AccountDeactivated(Forbidden):
    code = "account_deactivated"
    message_vi = "Tài khoản đã bị vô hiệu hoá. Liên hệ cán bộ xã để được hỗ trợ."
    message_en = "This account has been deactivated. Contact your commune official."


def _bearer(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized()
    return token.strip()


def get_current_user(request: Request, session: SessionDep) -> User:
    claims = decode_token(_bearer(request), "access")
    user = session.get(User, int(claims["sub"]))
    if user is None:
        raise InvalidToken()
    if not user.is_active:
        raise AccountDeactivated()
    require_current_credentials(claims, user.credential_version)
    end_read(session)
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


def get_scope(session: SessionDep, user: CurrentUser) -> Scope:
    scope = scope_for(session, user)
    end_read(session)
    return scope


ScopeDep = Annotated[Scope, Depends(get_scope)]


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
