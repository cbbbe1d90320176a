from fastapi import APIRouter, Request

from app.auth import service
from app.auth.phone import normalize_phone
from app.auth.schemas import LoginIn, MeOut, RefreshIn, TokenOut
from app.deps import CurrentUser, SessionDep
from app.routing import OneHopRoute

router = APIRouter(tags=["auth"], route_class=OneHopRoute)


@router.post("/auth/login", response_model=TokenOut)
def login(body: LoginIn, request: Request, session: SessionDep) -> dict[str, object]:
    try:
        user = service.authenticate(session, phone=body.phone, password=body.password)
    except service.WrongCredentials:
        # The failure must outlive this request's rolled-back transaction.
        session.rollback()
        with request.app.state.session_factory() as own:
            service.record_failure(own, normalize_phone(body.phone))
        raise
    return {**service.tokens_for(user), "user": user}


@router.post("/auth/refresh", response_model=TokenOut)
def refresh(body: RefreshIn, session: SessionDep) -> dict[str, object]:
    user = service.refresh(session, refresh_token=body.refresh_token)
    return {**service.tokens_for(user), "user": user}


@router.get("/me", response_model=MeOut)
def me(user: CurrentUser, session: SessionDep) -> dict[str, object]:
    return service.me(session, user)
