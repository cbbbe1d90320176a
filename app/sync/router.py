from collections.abc import AsyncIterator
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from app.db import SessionFactory
from app.deps import ClaimsDep, CurrentUser, ScopeDep, SessionDep, caller
from app.routing import OneHopRoute
from app.sync import pull as pull_service
from app.sync import service
from app.sync.admission import PushAdmission
from app.sync.schemas import PullOut, PushIn, PushOut

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
    # The busiest route: the caller, the mutations and the commit in one trip to a worker thread (a
    # session dependency would add two more, each a thread handoff on every phone's every push).
    factory: SessionFactory = request.app.state.session_factory

    def run() -> bytes:
        with factory() as session:  # commits on leaving: the answer is built after the commit
            user, scope = caller(request, session, claims)  # in the push's transaction
            out = service.push(session, actor=user, scope=scope, data=body)
        # Built by the service as a PushOut already: serialised as it is, not validated a second time.
        return orjson.dumps(out.model_dump(mode="json"))

    return Response(await run_in_threadpool(run), media_type="application/json")


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
