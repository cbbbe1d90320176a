from typing import Annotated, Any

from fastapi import APIRouter, Query

from app.auth import service as auth
from app.auth.schemas import TokenOut
from app.deps import CurrentUser, PageDep, ScopeDep, SessionDep
from app.routing import OneHopRoute
from app.schemas_common import IdPath, IdQuery
from app.users import service
from app.users.schemas import (
    FIELD_ROLE_PATTERN,
    AreaIn,
    PasswordChangeIn,
    UserCreatedOut,
    UserIn,
    UserOut,
    UserPageOut,
    UserPatch,
)

router = APIRouter(tags=["users"], route_class=OneHopRoute)


def _one(session: SessionDep, user: Any, temporary_password: str | None = None) -> dict[str, Any]:
    out = service.describe(session, [user])[0]
    out["temporary_password"] = temporary_password
    return out


@router.get("/users", response_model=UserPageOut)
def list_users(
    session: SessionDep,
    scope: ScopeDep,
    page: PageDep,
    unit_id: IdQuery = None,
    role: Annotated[str | None, Query(pattern=FIELD_ROLE_PATTERN)] = None,
    active: bool | None = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
) -> dict[str, Any]:
    """`q`: part of the name (accents optional) or of the phone number."""
    users, total = service.list_users(
        session,
        scope=scope,
        unit_id=unit_id,
        role=role,
        active=active,
        query=q,
        limit=page.limit,
        offset=page.offset,
    )
    return {"items": service.describe(session, users), "total": total, "limit": page.limit, "offset": page.offset}


@router.post("/users", response_model=UserCreatedOut, status_code=201)
def create_user(body: UserIn, session: SessionDep, scope: ScopeDep) -> dict[str, Any]:
    user, generated = service.create_user(session, scope=scope, data=body)
    return _one(session, user, generated)


@router.get("/users/{user_id}", response_model=UserOut)
def get_user(user_id: IdPath, session: SessionDep, scope: ScopeDep) -> dict[str, Any]:
    return _one(session, service.get_user(session, scope=scope, user_id=user_id))


@router.patch("/users/{user_id}", response_model=UserCreatedOut)
def update_user(user_id: IdPath, body: UserPatch, session: SessionDep, scope: ScopeDep) -> dict[str, Any]:
    user, generated = service.update_user(session, scope=scope, user_id=user_id, data=body)
    return _one(session, user, generated)


@router.put("/users/{user_id}/area", response_model=UserOut)
def set_area(user_id: IdPath, body: AreaIn, session: SessionDep, scope: ScopeDep) -> dict[str, Any]:
    return _one(session, service.set_area(session, scope=scope, user_id=user_id, hamlet_ids=body.hamlet_ids))


@router.post("/users/{user_id}/deactivate", response_model=UserOut)
def deactivate(user_id: IdPath, session: SessionDep, scope: ScopeDep) -> dict[str, Any]:
    return _one(session, service.set_active(session, scope=scope, user_id=user_id, active=False))


@router.post("/users/{user_id}/reactivate", response_model=UserOut)
def reactivate(user_id: IdPath, session: SessionDep, scope: ScopeDep) -> dict[str, Any]:
    return _one(session, service.set_active(session, scope=scope, user_id=user_id, active=True))


@router.post("/me/password", response_model=TokenOut)
def change_password(body: PasswordChangeIn, user: CurrentUser, session: SessionDep) -> dict[str, Any]:
    """Every earlier token of the account stops working; this session continues with the returned ones."""
    service.change_password(session, user=user, current_password=body.current_password, new_password=body.new_password)
    return {**auth.tokens_for(user), "user": user}
