"""The unit tree is public data: any logged-in user reads it. Adding hamlets is scoped."""

from typing import Annotated

from fastapi import APIRouter, Query

from app.deps import CurrentUser, ScopeDep, SessionDep
from app.models.units import SCHEME_2004
from app.routing import OneHopRoute
from app.schemas_common import IdPath, IdQuery, PlainText
from app.units import service
from app.units.schemas import (
    LEVEL_PATTERN,
    SCHEME_PATTERN,
    HamletIn,
    HamletMergeIn,
    HamletMergeOut,
    HamletPatch,
    HamletRow,
    UnitDetail,
    UnitOut,
    UnitSearchHit,
)

router = APIRouter(prefix="/units", tags=["units"], route_class=OneHopRoute)


@router.get("", response_model=list[UnitOut])
def list_units(
    session: SessionDep,
    _: CurrentUser,
    parent_id: IdQuery = None,
    scheme: Annotated[str, Query(pattern=SCHEME_PATTERN)] = SCHEME_2004,
) -> list[dict[str, object]]:
    """Children of `parent_id`; without it, the provinces of `scheme`."""
    return service.list_children(session, parent_id=parent_id, scheme=scheme)


@router.get("/search", response_model=list[UnitSearchHit])
def search_units(
    session: SessionDep,
    _: CurrentUser,
    q: Annotated[PlainText, Query(min_length=1, max_length=100)],
    scheme: Annotated[str | None, Query(pattern=SCHEME_PATTERN)] = None,
    level: Annotated[str | None, Query(pattern=LEVEL_PATTERN)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> list[dict[str, object]]:
    """Diacritic- and form-insensitive: `dang` finds Đặng, `hoa` finds Hòa wherever its accent mark is placed."""
    return service.search_with_ancestors(session, query=q, scheme=scheme, level=level, limit=limit)


@router.get("/{unit_id}", response_model=UnitDetail)
def get_unit(unit_id: IdPath, session: SessionDep, _: CurrentUser) -> dict[str, object]:
    return service.unit_detail(session, unit_id=unit_id)


@router.get("/{commune_id}/hamlets", response_model=list[HamletRow])
def list_hamlets(commune_id: IdPath, session: SessionDep, scope: ScopeDep) -> list[dict[str, object]]:
    """The commune's hamlets with their households, volunteers and teams; inactive ones last."""
    return service.list_hamlets(session, scope=scope, commune_id=commune_id)


@router.patch("/{hamlet_id}", response_model=UnitOut)
def rename_hamlet(hamlet_id: IdPath, body: HamletPatch, session: SessionDep, scope: ScopeDep) -> dict[str, object]:
    hamlet = service.rename_hamlet(session, scope=scope, hamlet_id=hamlet_id, name=body.name, unit_type=body.unit_type)
    return {**hamlet.model_dump(), "child_count": 0}


@router.post("/{hamlet_id}/merge", response_model=HamletMergeOut)
def merge_hamlet(hamlet_id: IdPath, body: HamletMergeIn, session: SessionDep, scope: ScopeDep) -> dict[str, object]:
    """Move a hamlet's households, volunteers and teams into another hamlet of the commune; it is then inactive."""
    moved = service.merge_hamlets(session, scope=scope, hamlet_id=hamlet_id, into_id=body.into_id)
    into = service.get_unit(session, body.into_id)
    return {**moved, "into": {**into.model_dump(), "child_count": 0}}


@router.post("/{hamlet_id}/deactivate", response_model=UnitOut)
def deactivate_hamlet(hamlet_id: IdPath, session: SessionDep, scope: ScopeDep) -> dict[str, object]:
    """A hamlet is never deleted: its households, visits and reports stay; it is no longer offered."""
    hamlet = service.set_hamlet_active(session, scope=scope, hamlet_id=hamlet_id, active=False)
    return {**hamlet.model_dump(), "child_count": 0}


@router.post("/{hamlet_id}/reactivate", response_model=UnitOut)
def reactivate_hamlet(hamlet_id: IdPath, session: SessionDep, scope: ScopeDep) -> dict[str, object]:
    hamlet = service.set_hamlet_active(session, scope=scope, hamlet_id=hamlet_id, active=True)
    return {**hamlet.model_dump(), "child_count": 0}


@router.post("/{commune_id}/hamlets", response_model=UnitOut, status_code=201)
def add_hamlet(commune_id: IdPath, body: HamletIn, session: SessionDep, scope: ScopeDep) -> dict[str, object]:
    hamlet = service.add_hamlet(session, scope=scope, commune_id=commune_id, name=body.name, unit_type=body.unit_type)
    return {**hamlet.model_dump(), "child_count": 0}
