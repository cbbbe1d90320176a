import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.auth.phone import normalize_phone
from app.schemas_common import AddressText, ShortText

SEXES = ("female", "male", "other")


class HouseholdIn(BaseModel):
    """The household fields a phone or an official writes (the `household.upsert` mutation's data)."""

    model_config = ConfigDict(extra="forbid")

    id: uuid.UUID
    hamlet_id: int = Field(ge=1)
    address: AddressText = ""
    head_name: ShortText = ""
    phone: str | None = Field(default=None, max_length=32)
    member_count: int = Field(default=0, ge=0, le=50)
    latitude: float | None = Field(default=None, ge=8.0, le=24.0)
    longitude: float | None = Field(default=None, ge=102.0, le=110.0)
    deleted: bool = False

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        return normalize_phone(value) if value else None


class HouseholdPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    hamlet_id: int | None = Field(default=None, ge=1)
    address: AddressText | None = None
    head_name: ShortText | None = None
    phone: str | None = Field(default=None, max_length=32)
    member_count: int | None = Field(default=None, ge=0, le=50)
    latitude: float | None = Field(default=None, ge=8.0, le=24.0)
    longitude: float | None = Field(default=None, ge=102.0, le=110.0)

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        return normalize_phone(value) if value else None


class PersonIn(BaseModel):
    """A household member (the `person.upsert` mutation's data). Never an ID number or credential."""

    model_config = ConfigDict(extra="forbid")

    id: uuid.UUID
    household_id: uuid.UUID
    full_name: ShortText | None = None
    birth_year: int | None = Field(default=None, ge=1900, le=2030)
    sex: str | None = Field(default=None, pattern="^(female|male|other)$")
    deleted: bool = False


class SkillLevelOut(BaseModel):
    skill_id: str
    level: str  # taught | proficient


class PersonOut(BaseModel):
    id: uuid.UUID
    household_id: uuid.UUID
    full_name: str | None
    birth_year: int | None
    sex: str | None
    skills: dict[str, str]  # skill_id → taught | proficient (all time)
    milestones: list[str]


class HouseholdStatusOut(BaseModel):
    campaign_id: int
    visits: int
    last_outcome: str | None
    last_visit_at: datetime | None
    visited: bool
    proficient_people: int
    covered: bool


class HouseholdOut(BaseModel):
    id: uuid.UUID
    hamlet_id: int
    address: str
    head_name: str
    phone: str | None
    member_count: int
    latitude: float | None
    longitude: float | None
    created_at: datetime
    updated_at: datetime
    deleted: bool
    status: HouseholdStatusOut | None = None


class HouseholdDetailOut(HouseholdOut):
    people: list[PersonOut]
    visits: list["VisitSummaryOut"]


class VisitSummaryOut(BaseModel):
    id: uuid.UUID
    visited_at: datetime
    received_at: datetime
    outcome: str
    volunteer_id: int
    campaign_id: int | None
    consent_given: bool
    notes: str


class HouseholdPageOut(BaseModel):
    items: list[HouseholdOut]
    total: int
    limit: int
    offset: int
