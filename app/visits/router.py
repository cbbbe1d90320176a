import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from app.deps import CurrentUser, PageDep, ScopeDep, SessionDep
from app.privacy import audit
from app.routing import OneHopRoute
from app.visits import plausibility, service
from app.visits.schemas import FlaggedVisitOut, FlaggedVisitPageOut, VisitIn, VisitOut

router = APIRouter(tags=["visits"], route_class=OneHopRoute)


@router.post("/visits", response_model=VisitOut, status_code=201)
def record_visit(body: VisitIn, user: CurrentUser, session: SessionDep, scope: ScopeDep, response: Response) -> Any:
    visit, created = service.record_visit(session, actor=user, scope=scope, data=body)
    if not created:
        response.status_code = 200
    return {**visit.model_dump(), "status": "applied" if created else "duplicate"}


@router.get("/visits/flagged", response_model=FlaggedVisitPageOut)
def flagged_visits(
    unit_id: Annotated[int, Query(ge=1, le=2**31 - 1)], session: SessionDep, scope: ScopeDep, page: PageDep
) -> dict[str, Any]:
    """Visits kept but left out of the figures (too dense, or in the future) until someone confirms them."""
    items, total = plausibility.list_flagged(
        session, scope=scope, unit_id=unit_id, limit=page.limit, offset=page.offset
    )
    # Named households (head of household): an official's read is in the audit log.
    audit.log_named_read(session, scope=scope, kind="flagged_visits", unit_id=unit_id, rows=len(items))
    return {"items": items, "total": total, "limit": page.limit, "offset": page.offset}


@router.post("/visits/{visit_id}/confirm", response_model=FlaggedVisitOut)
def confirm_visit(visit_id: uuid.UUID, session: SessionDep, scope: ScopeDep) -> dict[str, Any]:
    return plausibility.confirm_flagged(session, scope=scope, visit_id=visit_id)
