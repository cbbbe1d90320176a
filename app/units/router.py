"""The unit tree is public data: any logged-in user reads it. Adding hamlets is scoped."""

from typing import Annotated

from fastapi import APIRouter, Query

from app.deps import CurrentUser, ScopeDep, SessionDep
from app.models.units import SCHEME_2004
from app.routing import OneHopRoute
from app.schemas_common import IdPath, IdQuery, PlainText
from app.units import service
from app.units.schemas import LEVEL_PATTERN, SCHEME_PATTERN, HamletIn, UnitDetail, UnitOut, UnitSearchHit

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
    """Diacritic- and form-insensitive: `dang` finds Đặng, `hoa` finds Hoà and Hòa."""
    return service.search_with_ancestors(session, query=q, scheme=scheme, level=level, limit=limit)


@router.get("/{unit_id}", response_model=UnitDetail)
def get_unit(unit_id: IdPath, session: SessionDep, _: CurrentUser) -> dict[str, object]:
    return service.unit_detail(session, unit_id=unit_id)


@router.post("/{commune_id}/hamlets", response_model=UnitOut, status_code=201)
def add_hamlet(commune_id: IdPath, body: HamletIn, session: SessionDep, scope: ScopeDep) -> dict[str, object]:
    hamlet = service.add_hamlet(session, scope=scope, commune_id=commune_id, name=body.name, unit_type=body.unit_type)
    return {**hamlet.model_dump(), "child_count": 0}
