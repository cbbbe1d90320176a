"""Recording a visit: the one path used by `POST /visits` and the sync `visit.create` mutation.

In the caller's transaction: the visit and its per-person levels and milestones are stored, each
person's derived levels, the household status and the report aggregates follow. The same visit id
with the same content is a no-op (`duplicate`); with other content it is refused (`id_reused`).
"""

import hashlib
import json
import uuid
from datetime import date, datetime, timedelta, timezone

from sqlmodel import Session, col, select

from app.auth.scope import Scope
from app.errors import AppError, Invalid
from app.households import service as households
from app.models import (
    AdminUnit,
    Campaign,
    CampaignUnit,
    Milestone,
    Person,
    Team,
    TeamMember,
    User,
    Visit,
    VisitMilestone,
    VisitSkill,
)
from app.models.base import utcnow
from app.models.visits import LEVELS
from app.visits import aggregates
from app.visits.schemas import VisitIn

VIETNAM = timezone(timedelta(hours=7))
# A phone clock may run a little fast; a visit "tomorrow" is a wrong clock or bad input.
FUTURE_SLACK = timedelta(hours=12)
EARLIEST = datetime(2020, 1, 1, tzinfo=VIETNAM)


class IdReused(AppError):
    status_code = 409
    code = "id_reused"
    message_vi = "Mã lượt thăm này đã được dùng cho một lượt thăm khác."
    message_en = "This visit id was already used for a different visit."


class VisitInFuture(Invalid):
    code = "visited_at_in_future"
    message_vi = "Thời gian thăm nằm ở tương lai. Kiểm tra lại đồng hồ điện thoại."
    message_en = "The visit time is in the future. Check the phone's clock."


def content_hash(data: VisitIn) -> str:
    payload = data.model_dump(mode="json")
    payload["people"] = sorted(payload["people"], key=lambda p: p["person_id"])
    for p in payload["people"]:
        p["milestones"] = sorted(set(p["milestones"]))
    return hashlib.sha256(json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def local_day(moment: datetime) -> date:
    return moment.astimezone(VIETNAM).date()


def _validate(session: Session, data: VisitIn, household_id: uuid.UUID, received_at: datetime) -> None:
    if data.visited_at > received_at + FUTURE_SLACK:
        raise VisitInFuture(details={"visited_at": data.visited_at.isoformat()})
    if data.visited_at < EARLIEST:
        raise Invalid(
            "Thời gian thăm quá xa trong quá khứ.", "The visit time is too far in the past.", code="visited_at_too_old"
        )
    if data.people and data.outcome != "met":
        raise Invalid(
            "Chỉ ghi kỹ năng khi gặp được người trong hộ.",
            "Skills can only be recorded when someone was met.",
            code="skills_without_meeting",
        )
    skills = set(households.skill_ids(session))
    milestone_ids = set(session.exec(select(Milestone.id).where(col(Milestone.is_active))).all())
    person_ids = [p.person_id for p in data.people]
    if len(set(person_ids)) != len(person_ids):
        raise Invalid("Một người được ghi hai lần.", "A person is listed twice.", code="person_listed_twice")
    known = (
        {p.id: p for p in session.exec(select(Person).where(col(Person.id).in_(person_ids))).all()}
        if person_ids
        else {}
    )
    for p in data.people:
        person = known.get(p.person_id)
        if person is None or person.household_id != household_id or person.deleted_at is not None:
            raise Invalid(
                "Người được ghi không thuộc hộ này.",
                "A person in the visit is not a member of this household.",
                code="person_not_in_household",
                details={"person_id": str(p.person_id)},
            )
        unknown = set(p.skills) - skills
        if unknown:
            raise Invalid("Kỹ năng không tồn tại.", "Unknown skill.", code="unknown_skill", details=sorted(unknown))
        unknown = set(p.milestones) - milestone_ids
        if unknown:
            raise Invalid("Mốc không tồn tại.", "Unknown milestone.", code="unknown_milestone", details=sorted(unknown))


def _campaign_for(session: Session, campaign_id: int | None, hamlet: AdminUnit) -> int | None:
    if campaign_id is None:
        return None
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise Invalid("Chiến dịch không tồn tại.", "Unknown campaign.", code="campaign_not_found")
    # The units taking part, when the campaign lists them; otherwise its whole unit.
    taking_part = session.exec(
        select(AdminUnit.path)
        .join(CampaignUnit, col(CampaignUnit.unit_id) == AdminUnit.id)
        .where(CampaignUnit.campaign_id == campaign_id)
    ).all()
    if not taking_part:
        unit = session.get(AdminUnit, campaign.unit_id)
        taking_part = [unit.path] if unit else []
    if not any(hamlet.path.startswith(path) for path in taking_part):
        raise Invalid(
            "Hộ này không thuộc địa bàn của chiến dịch.",
            "This household is outside the campaign's area.",
            code="outside_campaign",
        )
    return campaign_id


def _team_of(session: Session, user: User, hamlet: AdminUnit) -> int | None:
    rows = session.exec(
        select(Team.id, AdminUnit.path)
        .join(TeamMember, col(TeamMember.team_id) == Team.id)
        .join(AdminUnit, col(AdminUnit.id) == Team.unit_id)
        .where(TeamMember.user_id == user.id)
    ).all()
    for team_id, path in rows:
        if hamlet.path.startswith(path):
            return team_id
    return None


def record_visit(
    session: Session, *, actor: User, scope: Scope, data: VisitIn, write_aggregates: bool = True
) -> tuple[Visit, bool]:
    """Store a visit and everything derived from it. Returns (visit, created)."""
    received_at = utcnow()
    digest = content_hash(data)
    existing = session.get(Visit, data.id)
    if existing is not None:
        if existing.content_hash != digest:
            raise IdReused(details={"visit_id": str(data.id)})
        return existing, False
    household = households.get_household(session, scope, data.household_id, for_update=True)
    if household.deleted_at is not None:
        raise households.HouseholdDeleted(details={"household_id": str(household.id)})
    _validate(session, data, household.id, received_at)
    hamlet = session.get(AdminUnit, household.hamlet_id)
    assert hamlet is not None
    change = households.Recompute(session, household)
    visit = Visit(
        id=data.id,
        household_id=household.id,
        hamlet_id=household.hamlet_id,
        volunteer_id=actor.id,  # type: ignore[arg-type]
        team_id=_team_of(session, actor, hamlet),
        campaign_id=_campaign_for(session, data.campaign_id, hamlet),
        visited_at=data.visited_at,
        visited_on=local_day(data.visited_at),
        received_at=received_at,
        outcome=data.outcome,
        consent_given=data.consent_given,
        consent_notice_version=data.consent_notice_version,
        notes=data.notes if data.consent_given else "",
        content_hash=digest,
    )
    session.add(visit)
    session.flush()
    for p in data.people:
        for skill_id, level in p.skills.items():
            session.add(VisitSkill(visit_id=visit.id, person_id=p.person_id, skill_id=skill_id, level=LEVELS[level]))
        for milestone_id in set(p.milestones):
            session.add(VisitMilestone(visit_id=visit.id, person_id=p.person_id, milestone_id=milestone_id))
    version, changed_people = change.finish()
    visit.version = version
    session.add(visit)
    if changed_people:
        for person in session.exec(select(Person).where(col(Person.id).in_(sorted(changed_people)))).all():
            person.version = version
            session.add(person)
    if write_aggregates:
        aggregates.flush_aggregates(session)
    return visit, True
