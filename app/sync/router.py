from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query, Response

from app.deps import CurrentUser, ScopeDep, SessionDep
from app.sync import service
from app.sync.schemas import PullOut, PushIn, PushOut

router = APIRouter(prefix="/sync", tags=["sync"])


@router.post("/push", response_model=PushOut)
def push(body: PushIn, user: CurrentUser, session: SessionDep, scope: ScopeDep) -> PushOut:
    return service.push(session, actor=user, scope=scope, data=body)


@router.get("/pull", response_model=PullOut)
def pull(
    user: CurrentUser,
    session: SessionDep,
    scope: ScopeDep,
    cursor: Annotated[str | None, Query(max_length=16_000)] = None,
    limit: Annotated[int, Query(ge=1, le=service.MAX_LIMIT)] = service.DEFAULT_LIMIT,
) -> Any:
    page = service.pull(session, actor=user, scope=scope, cursor=cursor or None, limit=limit)
    # Thousands of rows on a first pull: serialised directly rather than validated row by row.
    return Response(orjson.dumps(page, option=orjson.OPT_UTC_Z), media_type="application/json")
