import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from sqlmodel import col, select

from app.deps import CurrentUser, PageDep, ScopeDep, SessionDep
from app.households import listing, service
from app.households.schemas import (
    HouseholdDetailOut,
    HouseholdIn,
    HouseholdOut,
    HouseholdPageOut,
    HouseholdPatch,
    PersonIn,
    PersonOut,
)
from app.models import Household, HouseholdStatus, Visit
from app.privacy import audit
from app.privacy import service as privacy
from app.routing import OneHopRoute
from app.schemas_common import MAX_ID, IdQuery, PlainText

router = APIRouter(tags=["households"], route_class=OneHopRoute)


def household_out(household: Household, status: HouseholdStatus | None, threshold: int = 1) -> dict[str, Any]:
    out: dict[str, Any] = household.model_dump()
    out["deleted"] = household.deleted_at is not None
    out["erased"] = household.erased_at is not None
    label = privacy.hidden(household)
    if label is not None:
        # Withdrawn or erased: listed and counted, never named or located.
        out.update(head_name=label, address="", phone=None, note="", latitude=None, longitude=None)
    if status is not None:
        covered = status.covered_2_on if threshold == 2 else status.covered_1_on
        out["status"] = {
            "campaign_id": status.campaign_id,
            "visits": status.visits,
            "last_outcome": status.last_outcome,
            "last_visit_at": status.last_visit_at,
            "visited": status.visited_on is not None,
            "proficient_people": status.proficient_people,
            "covered": covered is not None,
        }
    return out


@router.get("/households", response_model=HouseholdPageOut)
def list_households(
    session: SessionDep,
    scope: ScopeDep,
    page: PageDep,
    unit_id: IdQuery = None,
    campaign_id: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
    status: Annotated[str | None, Query(pattern="^(visited|not_visited|covered|to_revisit)$")] = None,
    q: Annotated[
        PlainText | None,
        Query(
            max_length=100,
            description="head's name or address (folded), phone, or an exact household id; required, 3 "
            "characters or more, for officials above the commune and admins, who get at most 20 results",
        ),
    ] = None,
) -> dict[str, Any]:
    """Officials above the commune and admins search (no paging); the commune and its teams page."""
    found = listing.list_households(
        session,
        scope=scope,
        unit_id=unit_id,
        status=status,
        campaign_id=campaign_id,
        q=q,
        limit=page.limit,
        offset=page.offset,
    )
    # Above the commune every lookup is logged as one (who, when, which unit, how many rows).
    kind = "household_search" if found.search_only else "households"
    audit.log_named_read(session, scope=scope, kind=kind, unit_id=unit_id, rows=len(found.rows))
    return {
        "items": [household_out(h, s) for h, s in found.rows],
        "total": found.total,
        "limit": found.limit,
        "offset": page.offset,
        "search_only": found.search_only,
    }


@router.get("/households/{household_id}", response_model=HouseholdDetailOut)
def get_household(household_id: uuid.UUID, session: SessionDep, scope: ScopeDep) -> dict[str, Any]:
    household = service.get_household(session, scope, household_id)
    status = session.get(HouseholdStatus, (household.id, 0))
    visits = session.exec(
        select(Visit).where(Visit.household_id == household.id).order_by(col(Visit.received_at).desc()).limit(100)
    ).all()
    people = listing.people_of(session, household.id)
    if privacy.hidden(household) is not None:
        people = [{**p, "full_name": None} for p in people]
    audit.log_named_read(session, scope=scope, kind="household", unit_id=household.hamlet_id, rows=1 + len(people))
    return {
        **household_out(household, status),
        "consent": privacy.consent_state(session, household)["state"],
        "people": people,
        "visits": [v.model_dump() for v in visits],
    }


@router.post("/households", response_model=HouseholdOut, status_code=201)
def create_household(
    body: HouseholdIn, user: CurrentUser, session: SessionDep, scope: ScopeDep, response: Response
) -> dict[str, Any]:
    """Create a household, or update it when the id exists (200)."""
    household, created = service.upsert_household(session, actor=user, scope=scope, data=body)
    if not created:
        response.status_code = 200
    return household_out(household, None)


@router.patch("/households/{household_id}", response_model=HouseholdOut)
def update_household(
    household_id: uuid.UUID, body: HouseholdPatch, user: CurrentUser, session: SessionDep, scope: ScopeDep
) -> dict[str, Any]:
    household = service.patch_household(session, actor=user, scope=scope, household_id=household_id, data=body)
    return household_out(household, None)


@router.post("/people", response_model=PersonOut, status_code=201)
def upsert_person(
    body: PersonIn, user: CurrentUser, session: SessionDep, scope: ScopeDep, response: Response
) -> dict[str, Any]:
    """Add a person, or update them when the id exists (200)."""
    person, created = service.upsert_person(session, actor=user, scope=scope, data=body)
    if not created:
        response.status_code = 200
    people = {p["id"]: p for p in listing.people_of(session, person.household_id)}
    return people.get(person.id) or {**person.model_dump(), "skills": {}, "milestones": []}
