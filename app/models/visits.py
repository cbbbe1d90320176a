import uuid
from datetime import date, datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from app.models.base import utcnow

OUTCOMES = ("met", "not_home", "declined", "moved")
TAUGHT = 1
PROFICIENT = 2
LEVELS = {"taught": TAUGHT, "proficient": PROFICIENT}
# Visit.review of a visit kept but counted nowhere until confirmed (app/visits/plausibility.py).
REVIEW_PENDING = "pending"


class Visit(SQLModel, table=True):
    """One call at one household. Append-only: a visit is never edited, so visits cannot conflict.

    `visited_at` is the phone's clock, shown only; `received_at` is the server's and orders things.
    `visited_on` is the local (Asia/Ho_Chi_Minh) day used by daily progress. `content_hash` lets a
    resent visit be recognised as the same one, or refused when its id is reused for other content.
    """

    __tablename__ = "visit"
    __table_args__ = (
        Index("ix_visit_hamlet_id_version", "hamlet_id", "version"),
        # Covers the forces deployed (app/reports/service.py forces_for): an index-only scan per hamlet.
        Index(
            "ix_visit_hamlet_id_campaign_id_visited_on",
            "hamlet_id",
            "campaign_id",
            "visited_on",
            "volunteer_id",
            "team_id",
        ),
        Index("ix_visit_volunteer_id_visited_at", "volunteer_id", "visited_at"),
        Index("ix_visit_review_hamlet_id", "review", "hamlet_id"),
    )

    id: uuid.UUID = Field(primary_key=True)
    household_id: uuid.UUID = Field(foreign_key="household.id", index=True)
    hamlet_id: int = Field(foreign_key="admin_unit.id")
    volunteer_id: int = Field(foreign_key="app_user.id")  # searched by ix_visit_volunteer_id_visited_at
    team_id: int | None = Field(default=None, foreign_key="team.id")
    campaign_id: int | None = Field(default=None, foreign_key="campaign.id", index=True)
    visited_at: datetime
    visited_on: date
    received_at: datetime = Field(default_factory=utcnow)
    outcome: str = Field(max_length=10)
    consent_given: bool = False
    consent_notice_version: str | None = Field(default=None, max_length=20)
    notes: str = Field(default="", max_length=1000)
    content_hash: str = Field(max_length=64)
    version: int = 0
    # Plausibility (app/visits/plausibility.py): None counts; "pending" is kept but left out of every
    # derived figure until a team leader or official confirms it; "confirmed" counts.
    review: str | None = Field(default=None, max_length=10)
    review_reason: str | None = Field(default=None, max_length=20)  # too_dense | future
    reviewed_by: int | None = Field(default=None, foreign_key="app_user.id")
    reviewed_at: datetime | None = None


class VisitSkill(SQLModel, table=True):
    """A skill level a person reached at a visit: 1 taught, 2 proficient."""

    __tablename__ = "visit_skill"

    visit_id: uuid.UUID = Field(foreign_key="visit.id", primary_key=True)
    person_id: uuid.UUID = Field(foreign_key="person.id", primary_key=True, index=True)
    skill_id: str = Field(foreign_key="skill.id", primary_key=True, max_length=40)
    level: int


class VisitMilestone(SQLModel, table=True):
    __tablename__ = "visit_milestone"

    visit_id: uuid.UUID = Field(foreign_key="visit.id", primary_key=True)
    person_id: uuid.UUID = Field(foreign_key="person.id", primary_key=True, index=True)
    milestone_id: str = Field(foreign_key="milestone.id", primary_key=True, max_length=40)


class PersonSkill(SQLModel, table=True):
    """Derived: a person's level per skill, the maximum over all visits (order never matters), and
    the first local day it was shown proficient (None while only taught).

    Kept per campaign and over all time (campaign_id 0).
    """

    __tablename__ = "person_skill"

    person_id: uuid.UUID = Field(foreign_key="person.id", primary_key=True)
    campaign_id: int = Field(primary_key=True)
    skill_id: str = Field(foreign_key="skill.id", primary_key=True, max_length=40)
    level: int
    proficient_on: date | None = None


class PersonMilestone(SQLModel, table=True):
    """Derived: milestones a person reached, per campaign and over all time (campaign_id 0)."""

    __tablename__ = "person_milestone"

    person_id: uuid.UUID = Field(foreign_key="person.id", primary_key=True)
    campaign_id: int = Field(primary_key=True)
    milestone_id: str = Field(foreign_key="milestone.id", primary_key=True, max_length=40)
    reached_on: date


class HouseholdStatus(SQLModel, table=True):
    """Derived: where a household stands, per campaign and over all time (campaign_id 0).

    visited = at least one `met` visit; proficient_people = people proficient in all five skills;
    covered_1_on / covered_2_on = the day it first had 1 / 2 such people (threshold is the campaign's).
    """

    __tablename__ = "household_status"
    __table_args__ = (Index("ix_household_status_hamlet_id_version", "hamlet_id", "version"),)

    household_id: uuid.UUID = Field(foreign_key="household.id", primary_key=True)
    campaign_id: int = Field(primary_key=True)
    hamlet_id: int = Field(foreign_key="admin_unit.id")
    visits: int = 0
    last_outcome: str | None = Field(default=None, max_length=10)
    last_visit_at: datetime | None = None
    visited_on: date | None = None
    proficient_people: int = 0
    covered_1_on: date | None = None
    covered_2_on: date | None = None
    version: int = 0
