import uuid
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from app.schemas_common import FreeText, ZonedDatetime

ReasonText = Annotated[FreeText, StringConstraints(min_length=3, max_length=300)]
CATEGORY_PATTERN = "^(export|named_read|erasure|access_request|consent|password_reset|user_change)$"


class AuditUser(BaseModel):
    id: int
    full_name: str
    role: str


class AuditUnit(BaseModel):
    id: int
    name: str
    level: str


class AuditEntryOut(BaseModel):
    id: int
    created_at: datetime
    category: str
    kind: str
    file_format: str
    row_count: int
    personal_data: bool
    reason: str
    household_id: uuid.UUID | None
    campaign_id: int | None
    user: AuditUser | None
    target_user: AuditUser | None
    unit: AuditUnit | None


class AuditPageOut(BaseModel):
    items: list[AuditEntryOut]
    total: int
    limit: int
    offset: int


class EraseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: ReasonText = Field(description="why (the household's request, its date); never the erased data")


class ErasureOut(BaseModel):
    household_id: uuid.UUID
    people: int
    visits: int
    history: int


class ConsentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    state: Literal["given", "withdrawn"]
    notice_version: str | None = Field(default=None, max_length=20, pattern=r"^[0-9A-Za-z.\-]+$")


class HouseholdConsentIn(BaseModel):
    """The sync `household.consent` mutation: the household's consent recorded at the door, offline.
    `id` is the household's (and the mutation's); `at` the device time it was recorded."""

    model_config = ConfigDict(extra="forbid")

    id: uuid.UUID
    state: Literal["given", "withdrawn"]
    notice_version: str | None = Field(default=None, max_length=20, pattern=r"^[0-9A-Za-z.\-]+$")
    at: ZonedDatetime


class ConsentOut(BaseModel):
    household_id: uuid.UUID
    state: str
    notice_version: str | None
    on: date | None


class NoticeOut(BaseModel):
    version: str
    text_vi: str
    text_en: str
