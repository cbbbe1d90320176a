from typing import Annotated, Any

from fastapi import APIRouter, Path

from app.deps import ScopeDep, SessionDep
from app.routing import OneHopRoute
from app.schemas_common import IdQuery, PlainText
from app.skills import service
from app.skills.schemas import CatalogueOut, MilestoneIn, MilestoneOut, MilestonePatch, SkillLabelIn, SkillLessonsIn

router = APIRouter(tags=["skills"], route_class=OneHopRoute)
SkillId = Annotated[PlainText, Path(max_length=40)]


def _milestone_out(milestone: Any) -> dict[str, Any]:
    return {**milestone.model_dump(), "province_id": milestone.province_unit_id}


@router.get("/skills", response_model=CatalogueOut)
def get_catalogue(
    session: SessionDep,
    scope: ScopeDep,
    province_id: IdQuery = None,
    include_inactive: bool = False,
) -> dict[str, Any]:
    """The five skills in the province's wording and its milestones (national and its own)."""
    return service.catalogue(session, scope=scope, province_id=province_id, include_inactive=include_inactive)


@router.put("/skills/{skill_id}/label", response_model=CatalogueOut)
def set_label(skill_id: SkillId, body: SkillLabelIn, session: SessionDep, scope: ScopeDep) -> dict[str, Any]:
    province = service.set_skill_label(
        session,
        scope=scope,
        skill_id=skill_id,
        province_id=body.province_id,
        label_vi=body.label_vi,
        label_en=body.label_en,
    )
    return service.catalogue(session, scope=scope, province_id=province)


@router.delete("/skills/{skill_id}/label", response_model=CatalogueOut)
def reset_label(
    skill_id: SkillId,
    session: SessionDep,
    scope: ScopeDep,
    province_id: IdQuery = None,
) -> dict[str, Any]:
    province = service.reset_skill_label(session, scope=scope, skill_id=skill_id, province_id=province_id)
    return service.catalogue(session, scope=scope, province_id=province)


@router.put("/skills/{skill_id}/lessons", response_model=CatalogueOut)
def set_lessons(skill_id: SkillId, body: SkillLessonsIn, session: SessionDep, scope: ScopeDep) -> dict[str, Any]:
    """Replace the lesson cards of a skill for the caller's province (an admin: any, or the national ones)."""
    province = service.set_skill_lessons(
        session, scope=scope, skill_id=skill_id, province_id=body.province_id, lessons=body.lessons
    )
    return service.catalogue(session, scope=scope, province_id=province)


@router.delete("/skills/{skill_id}/lessons", response_model=CatalogueOut)
def reset_lessons(
    skill_id: SkillId, session: SessionDep, scope: ScopeDep, province_id: IdQuery = None
) -> dict[str, Any]:
    province = service.reset_skill_lessons(session, scope=scope, skill_id=skill_id, province_id=province_id)
    return service.catalogue(session, scope=scope, province_id=province)


@router.post("/milestones", response_model=MilestoneOut, status_code=201)
def create_milestone(body: MilestoneIn, session: SessionDep, scope: ScopeDep) -> dict[str, Any]:
    return _milestone_out(service.create_milestone(session, scope=scope, data=body))


@router.patch("/milestones/{milestone_id}", response_model=MilestoneOut)
def update_milestone(
    milestone_id: Annotated[PlainText, Path(max_length=40)], body: MilestonePatch, session: SessionDep, scope: ScopeDep
) -> dict[str, Any]:
    return _milestone_out(service.update_milestone(session, scope=scope, milestone_id=milestone_id, data=body))
