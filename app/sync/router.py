import threading
from collections.abc import Iterator
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Query, Response

from app.deps import CurrentUser, ScopeDep, SessionDep
from app.sync import pull as pull_service
from app.sync import service
from app.sync.schemas import PullOut, PushIn, PushOut

router = APIRouter(prefix="/sync", tags=["sync"])

# A push is CPU-bound in this process: beyond a few at once they only share the GIL and hold more
# batches in memory. The others wait here, before their transaction begins, for a slot.
PUSHES_AT_ONCE = 2
_push_slots = threading.BoundedSemaphore(PUSHES_AT_ONCE)


def _push_slot() -> Iterator[None]:
    with _push_slots:
        yield


@router.post("/push", response_model=PushOut)
def push(
    _: Annotated[None, Depends(_push_slot, scope="function")],
    body: PushIn,
    user: CurrentUser,
    session: SessionDep,
    scope: ScopeDep,
) -> PushOut:
    return service.push(session, actor=user, scope=scope, data=body)


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
