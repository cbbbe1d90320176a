from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from app.schemas_common import MAX_ID, Id, ShortText


class CampaignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: ShortText = Field(min_length=1)
    unit_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    starts_on: date
    ends_on: date
    covered_threshold: int = Field(default=1, ge=1, le=2)
    unit_ids: list[Id] = Field(default_factory=list, max_length=2000)


class CampaignPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: ShortText | None = Field(default=None, min_length=1)
    unit_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    starts_on: date | None = None
    ends_on: date | None = None
    covered_threshold: int | None = Field(default=None, ge=1, le=2)
    unit_ids: list[Id] | None = Field(default=None, max_length=2000)


class CampaignOut(BaseModel):
    id: int
    name: str
    unit_id: int
    unit_name: str
    starts_on: date
    ends_on: date
    covered_threshold: int
    unit_ids: list[int]
    state: str  # upcoming | running | ended (by the date in Việt Nam)
    created_at: datetime


class CampaignPageOut(BaseModel):
    items: list[CampaignOut]
    total: int
    limit: int
    offset: int
