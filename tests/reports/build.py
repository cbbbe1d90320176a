"""Field work for report tests, through the same services the API and sync use."""

import uuid
from datetime import date, datetime, time, timedelta, timezone

from sqlmodel import Session

from app.auth.scope import scope_for
from app.households import service as households
from app.households.schemas import HouseholdIn, PersonIn
from app.models import AdminUnit, Campaign, User
from app.visits import service as visits
from app.visits.schemas import VisitIn

SKILLS = ["public_services", "online_shopping", "online_payment", "online_safety", "digital_platforms"]
VIETNAM = timezone(timedelta(hours=7))
ALL_PROFICIENT = dict.fromkeys(SKILLS, "proficient")
ALL_TAUGHT = dict.fromkeys(SKILLS, "taught")


class Field:
    """An actor (an admin: every hamlet is in scope) recording households, people and visits."""

    def __init__(self, session: Session, actor: User) -> None:
        self.session = session
        self.actor = actor
        self.scope = scope_for(session, actor)
        self.homes: dict[uuid.UUID, HouseholdIn] = {}

    def household(self, hamlet: AdminUnit, *, head: str = "Nguyễn Văn Hộ", address: str = "") -> uuid.UUID:
        data = HouseholdIn(
            id=uuid.uuid4(), hamlet_id=hamlet.id, head_name=head, address=address or f"Số {len(self.homes) + 1}"
        )  # type: ignore[arg-type]
        households.upsert_household(self.session, actor=self.actor, scope=self.scope, data=data)
        self.homes[data.id] = data
        return data.id

    def person(self, household_id: uuid.UUID, name: str = "Thành viên") -> uuid.UUID:
        data = PersonIn(id=uuid.uuid4(), household_id=household_id, full_name=name)
        households.upsert_person(self.session, actor=self.actor, scope=self.scope, data=data)
        return data.id

    def delete_person(self, household_id: uuid.UUID, person_id: uuid.UUID) -> None:
        data = PersonIn(id=person_id, household_id=household_id, full_name="Thành viên", deleted=True)
        households.upsert_person(self.session, actor=self.actor, scope=self.scope, data=data)

    def update_household(self, household_id: uuid.UUID, **changes: object) -> None:
        data = self.homes[household_id].model_copy(update=changes)
        households.upsert_household(self.session, actor=self.actor, scope=self.scope, data=data)
        self.homes[household_id] = data

    def visit(
        self,
        household_id: uuid.UUID,
        day: date,
        outcome: str = "met",
        *,
        campaign: Campaign | None = None,
        skills: dict[uuid.UUID, dict[str, str]] | None = None,
        milestones: dict[uuid.UUID, list[str]] | None = None,
        hour: int = 9,
    ) -> uuid.UUID:
        skills = skills or {}
        milestones = milestones or {}
        people = [
            {"person_id": pid, "skills": skills.get(pid, {}), "milestones": milestones.get(pid, [])}
            for pid in sorted(set(skills) | set(milestones), key=str)
        ]
        data = VisitIn.model_validate(
            {
                "id": uuid.uuid4(),
                "household_id": household_id,
                "campaign_id": campaign.id if campaign else None,
                "visited_at": datetime.combine(day, time(hour, 30), VIETNAM),
                "outcome": outcome,
                "consent_given": True,
                "people": people,
            }
        )
        visits.record_visit(self.session, actor=self.actor, scope=self.scope, data=data)
        return data.id
