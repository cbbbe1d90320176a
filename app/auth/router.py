import ipaddress

from fastapi import APIRouter, Request

from app.auth import service
from app.auth.phone import normalize_phone
from app.auth.schemas import LoginIn, MeOut, RefreshIn, TokenOut
from app.deps import CurrentUser, SessionDep
from app.routing import OneHopRoute

router = APIRouter(tags=["auth"], route_class=OneHopRoute)


def client_address(request: Request) -> str:
    """The caller's address (behind a proxy, uvicorn's --proxy-headers has put the forwarded one here).

    IPv6 counts by /64: one subscriber's connection gets a whole /64, so rotating addresses inside it
    must not reset the count."""
    host = (request.client.host if request.client else "") or "unknown"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host[:64]
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


@router.post("/auth/login", response_model=TokenOut)
def login(body: LoginIn, request: Request, session: SessionDep) -> dict[str, object]:
    phone, client = normalize_phone(body.phone), client_address(request)
    # Counted and committed before the password is checked: parallel attempts see each other.
    # A refused attempt (429) changed nothing, so its rollback loses nothing.
    with request.app.state.session_factory() as own:
        service.reserve_attempt(own, phone, client)
    user = service.authenticate(session, phone=phone, password=body.password, client=client)
    return {**service.tokens_for(user), "user": user}


@router.post("/auth/refresh", response_model=TokenOut)
def refresh(body: RefreshIn, session: SessionDep) -> dict[str, object]:
    user = service.refresh(session, refresh_token=body.refresh_token)
    return {**service.tokens_for(user), "user": user}


@router.get("/me", response_model=MeOut)
def me(user: CurrentUser, session: SessionDep) -> dict[str, object]:
    return service.me(session, user)
