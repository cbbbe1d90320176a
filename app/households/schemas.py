import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, StrictInt, field_validator

from app.auth.phone import normalize_phone
from app.schemas_common import (
    EARLIEST_BIRTH_YEAR,
    MAX_ID,
    AddressText,
    PlainText,
    ShortText,
    latest_birth_year,
    left_out,
)

SEXES = ("female", "male", "other")


class HouseholdIn(BaseModel):
    """The household fields a phone or an official writes (the `household.upsert` mutation's data)."""

    model_config = ConfigDict(extra="forbid")

    id: uuid.UUID
    hamlet_id: int = Field(ge=1, le=MAX_ID)
    address: AddressText = ""
    head_name: ShortText = ""
    phone: PlainText | None = Field(default=None, max_length=32)
    member_count: StrictInt = Field(default=0, ge=0, le=50)
    latitude: float | None = Field(default=None, ge=8.0, le=24.0)
    longitude: float | None = Field(default=None, ge=102.0, le=110.0)
    deleted: bool = False

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        return normalize_phone(value) if value else None


class HouseholdPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Left out = unchanged. Only phone and position may be cleared with null; a null for the others is
    # a 422 on that field (the schema types them without null).
    hamlet_id: int = left_out(ge=1, le=MAX_ID)
    address: AddressText = left_out()
    head_name: ShortText = left_out()
    phone: PlainText | None = Field(default=None, max_length=32)
    member_count: StrictInt = left_out(ge=0, le=50)
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
    birth_year: StrictInt | None = Field(default=None, ge=EARLIEST_BIRTH_YEAR, le=2100)
    sex: str | None = Field(default=None, pattern="^(female|male|other)$")
    deleted: bool = False

    @field_validator("birth_year")
    @classmethod
    def _born(cls, value: int | None) -> int | None:
        if value is not None and value > latest_birth_year():
            raise ValueError(f"birth_year cannot be after {latest_birth_year()}")
        return value


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
    source: str = "door"  # import (a commune list) | door (added at the door)
    consent: str = "unknown"  # unknown | given | withdrawn
    erased: bool = False  # personal data erased: no name, address, phone or note; counts stay
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
    search_only: bool = False  # the caller may only look households up: `limit` results, no next page
