import logging
from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Query, Request, Response

from app.db import SessionFactory
from app.deps import ClaimsDep, CurrentUser, ScopeDep, SessionDep, caller
from app.errors import is_temporary_db_error
from app.routing import OneHopRoute
from app.sync import pull as pull_service
from app.sync import service
from app.sync.admission import PushAdmission
from app.sync.groups import PushGroups
from app.sync.schemas import PullOut, PushIn, PushOut

log = logging.getLogger(__name__)
router = APIRouter(prefix="/sync", tags=["sync"], route_class=OneHopRoute)


async def _admitted(request: Request) -> AsyncIterator[None]:
    """On the event loop, before the push takes a thread or opens a transaction (app/sync/admission.py)."""
    try:
        body = await request.json()
    except ValueError:
        body = None
    client_id = body.get("client_id") if isinstance(body, dict) else None
    admission: PushAdmission = request.app.state.push_admission
    async with admission.slot(client_id if isinstance(client_id, str) and len(client_id) <= 100 else None):
        yield


@router.post("/push", response_model=PushOut)
async def push(
    request: Request,
    claims: ClaimsDep,
    _: Annotated[None, Depends(_admitted, scope="function")],
    body: PushIn,
) -> Any:
    # The busiest route: written with the other pushes waiting in this process (app/sync/groups.py),
    # the caller, the mutations and the commit in one trip to a worker thread.
    groups: PushGroups = request.app.state.push_groups
    answer = await groups.push(
        (request, claims, body),
        user=claims.get("sub"),
        size=max(len(body.mutations), 1),
        together=service.together(body),
    )
    return Response(answer, media_type="application/json")


def write_pushes(factory: SessionFactory) -> Callable[[list[tuple[Request, dict[str, Any], PushIn]]], list[Any]]:
    """What `PushGroups` runs in a worker thread: a group's pushes in one transaction, or each alone."""

    def write(items: list[tuple[Request, dict[str, Any], PushIn]]) -> list[bytes | BaseException]:
        if len(items) > 1:
            try:
                with factory() as session:  # commits on leaving: the answers are sent after the commit
                    callers = [caller(request, session, claims) for request, claims, _ in items]
                    pushes = [(user, scope, body) for (user, scope), (_, _, body) in zip(callers, items, strict=True)]
                    outs = service.push_together(session, pushes)
                return [_answer(out) for out in outs]
            except Exception as exc:  # whatever it was, each push alone meets it or not by itself
                if is_temporary_db_error(exc):
                    return [exc] * len(items)  # 503 to each: a lock or statement timeout would recur one by one
                log.info("pushes written one by one: %s", type(exc).__name__)
        return [_write_one(factory, *item) for item in items]

    return write


def _write_one(
    factory: SessionFactory, request: Request, claims: dict[str, Any], body: PushIn
) -> bytes | BaseException:
    try:
        with factory() as session:
            user, scope = caller(request, session, claims)  # in the push's transaction
            return _answer(service.push(session, actor=user, scope=scope, data=body))
    except Exception as exc:  # answered by the app's error handlers, in this push's own request
        return exc


def _answer(out: PushOut) -> bytes:
    # Built by the service as a PushOut already: serialised as it is, not validated a second time.
    return orjson.dumps(out.model_dump(mode="json"))


@router.get("/pull", response_model=PullOut)
def pull(
    user: CurrentUser,
    session: SessionDep,
    scope: ScopeDep,
    cursor: Annotated[str | None, Query(max_length=16_000)] = None,
    limit: Annotated[int, Query(ge=1, le=pull_service.MAX_LIMIT)] = pull_service.DEFAULT_LIMIT,
) -> Any:
    page = pull_service.pull(session, actor=user, scope=scope, cursor=cursor or None, limit=limit)
    # Thousands of rows on a first pull: serialised directly rather than validated row by row.
    return Response(orjson.dumps(page, option=orjson.OPT_UTC_Z), media_type="application/json")
