"""The hamlets of pre-2025 communes split in 2025, and their placement in a 2025 commune (admins)."""

from typing import Annotated

from fastapi import APIRouter, Query
from starlette.responses import Response

from app.deps import PageDep, ScopeDep, SessionDep
from app.routing import OneHopRoute
from app.schemas_common import IdPath, IdQuery
from app.units import assignments
from app.units.assignments import AssignmentIn, SplitHamlet, SplitHamletsOut

router = APIRouter(prefix="/conversion", tags=["units"], route_class=OneHopRoute)


@router.get("/hamlets", response_model=SplitHamletsOut)
def split_hamlets(
    session: SessionDep,
    scope: ScopeDep,
    page: PageDep,
    province_id: Annotated[IdQuery, Query(description="a 2025 province: only the communes split into it")] = None,
    include_assigned: bool = False,
) -> object:
    """Hamlets of split communes still waiting for their 2025 commune (with `include_assigned`: all)."""
    return assignments.split_hamlets(
        session,
        scope=scope,
        province_id=province_id,
        include_assigned=include_assigned,
        limit=page.limit,
        offset=page.offset,
    )


@router.put("/hamlets/{hamlet_id}", response_model=SplitHamlet)
def assign(hamlet_id: IdPath, body: AssignmentIn, session: SessionDep, scope: ScopeDep) -> object:
    assignments.assign(session, scope=scope, hamlet_id=hamlet_id, commune_id=body.commune_id)
    return _one(session, scope, hamlet_id)


@router.delete("/hamlets/{hamlet_id}", status_code=204, response_class=Response)
def unassign(hamlet_id: IdPath, session: SessionDep, scope: ScopeDep) -> Response:
    assignments.unassign(session, scope=scope, hamlet_id=hamlet_id)
    return Response(status_code=204)


def _one(session: SessionDep, scope: ScopeDep, hamlet_id: int) -> SplitHamlet:
    return assignments.one(session, scope=scope, hamlet_id=hamlet_id)
