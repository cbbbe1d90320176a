from datetime import date, datetime

from sqlmodel import Field, SQLModel

from app.models.base import utcnow

ALL_TIME = 0
"""The campaign id used in derived tables for figures over all time, outside any campaign."""


class Campaign(SQLModel, table=True):
    """A time-boxed drive. A household is covered when at least `covered_threshold` of its people
    are proficient in all five skills."""

    __tablename__ = "campaign"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    unit_id: int = Field(foreign_key="admin_unit.id", index=True)
    starts_on: date
    ends_on: date
    covered_threshold: int = 1
    created_at: datetime = Field(default_factory=utcnow)


class CampaignUnit(SQLModel, table=True):
    """A unit taking part in a campaign (none listed: the whole campaign unit takes part)."""

    __tablename__ = "campaign_unit"

    campaign_id: int = Field(foreign_key="campaign.id", primary_key=True)
    unit_id: int = Field(foreign_key="admin_unit.id", primary_key=True)
