from typing import Any

from fastapi import APIRouter

from app.deps import PageDep, ScopeDep, SessionDep
from app.routing import OneHopRoute
from app.schemas_common import IdPath, IdQuery
from app.teams import service
from app.teams.schemas import MemberIn, TeamDetailOut, TeamIn, TeamPageOut, TeamPatch

router = APIRouter(prefix="/teams", tags=["teams"], route_class=OneHopRoute)


@router.get("", response_model=TeamPageOut)
def list_teams(session: SessionDep, scope: ScopeDep, page: PageDep, unit_id: IdQuery = None) -> dict[str, Any]:
    teams, total = service.list_teams(session, scope=scope, unit_id=unit_id, limit=page.limit, offset=page.offset)
    return {"items": service.describe(session, teams), "total": total, "limit": page.limit, "offset": page.offset}


@router.post("", response_model=TeamDetailOut, status_code=201)
def create_team(body: TeamIn, session: SessionDep, scope: ScopeDep) -> dict[str, Any]:
    return service.detail(session, service.create_team(session, scope=scope, data=body))


@router.get("/{team_id}", response_model=TeamDetailOut)
def get_team(team_id: IdPath, session: SessionDep, scope: ScopeDep) -> dict[str, Any]:
    return service.detail(session, service.get_team(session, scope=scope, team_id=team_id), scope.user)


@router.patch("/{team_id}", response_model=TeamDetailOut)
def update_team(team_id: IdPath, body: TeamPatch, session: SessionDep, scope: ScopeDep) -> dict[str, Any]:
    return service.detail(session, service.update_team(session, scope=scope, team_id=team_id, data=body))


@router.post("/{team_id}/members", response_model=TeamDetailOut)
def add_member(team_id: IdPath, body: MemberIn, session: SessionDep, scope: ScopeDep) -> dict[str, Any]:
    service.add_member(session, scope=scope, team_id=team_id, data=body)
    return service.detail(session, service.get_team(session, scope=scope, team_id=team_id), scope.user)


@router.delete("/{team_id}/members/{user_id}", status_code=204)
def remove_member(team_id: IdPath, user_id: IdPath, session: SessionDep, scope: ScopeDep) -> None:
    service.remove_member(session, scope=scope, team_id=team_id, user_id=user_id)
