from typing import Any

from fastapi import APIRouter, Response

from app.deps import CurrentUser, ScopeDep, SessionDep
from app.routing import OneHopRoute
from app.visits import service
from app.visits.schemas import VisitIn, VisitOut

router = APIRouter(tags=["visits"], route_class=OneHopRoute)


@router.post("/visits", response_model=VisitOut, status_code=201)
def record_visit(body: VisitIn, user: CurrentUser, session: SessionDep, scope: ScopeDep, response: Response) -> Any:
    visit, created = service.record_visit(session, actor=user, scope=scope, data=body)
    if not created:
        response.status_code = 200
    return {**visit.model_dump(), "status": "applied" if created else "duplicate"}
