import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.schemas_common import MAX_ID, NoteText, PlainText, ZonedDatetime

OUTCOME_PATTERN = "^(met|not_home|declined|moved)$"


class VisitPersonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    person_id: uuid.UUID
    # skill id → "taught" | "proficient"; skills not listed were not touched at this visit.
    skills: dict[PlainText, PlainText] = Field(default_factory=dict, max_length=10)
    milestones: list[Annotated[PlainText, Field(max_length=40)]] = Field(default_factory=list, max_length=20)

    @field_validator("skills")
    @classmethod
    def _levels(cls, value: dict[str, str]) -> dict[str, str]:
        for skill, level in value.items():
            if level not in ("taught", "proficient"):
                raise ValueError(f"level of {skill} must be 'taught' or 'proficient'")
        return value


class VisitIn(BaseModel):
    """One visit, exactly as `POST /visits` and the sync `visit.create` mutation carry it."""

    model_config = ConfigDict(extra="forbid")

    id: uuid.UUID
    household_id: uuid.UUID
    campaign_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    visited_at: ZonedDatetime
    outcome: str = Field(pattern=OUTCOME_PATTERN)
    consent_given: bool = False
    consent_notice_version: PlainText | None = Field(default=None, max_length=20)
    notes: NoteText = ""
    people: list[VisitPersonIn] = Field(default_factory=list, max_length=30)


class VisitOut(BaseModel):
    id: uuid.UUID
    household_id: uuid.UUID
    campaign_id: int | None
    volunteer_id: int
    visited_at: datetime
    received_at: datetime
    outcome: str
    consent_given: bool
    notes: str
    status: str  # applied | duplicate


class FlaggedVisitOut(BaseModel):
    """A visit kept but left out of every figure until a team leader or official confirms it."""

    id: uuid.UUID
    household_id: uuid.UUID
    hamlet_id: int
    hamlet_name: str
    head_name: str | None
    volunteer_id: int
    volunteer_name: str
    visited_at: datetime
    received_at: datetime
    outcome: str
    review: str  # pending | confirmed
    review_reason: str | None  # too_dense | future
    reviewed_by: int | None
    reviewed_at: datetime | None


class FlaggedVisitPageOut(BaseModel):
    items: list[FlaggedVisitOut]
    total: int
    limit: int
    offset: int
