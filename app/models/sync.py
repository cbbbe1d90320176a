import uuid
from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from app.models.base import utcnow


class SyncClient(SQLModel, table=True):
    """One installation of the app. `last_seq` is the last mutation processed (applied, duplicate or
    rejected); it moves in the same transaction as the mutations' effects."""

    __tablename__ = "sync_client"

    client_id: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    last_seq: int = 0
    created_at: datetime = Field(default_factory=utcnow)
    last_push_at: datetime | None = None


class HouseholdDeparture(SQLModel, table=True):
    """A household that moved out of a hamlet. Pulls of that hamlet send its tombstone at `version`
    (the hamlet's version in the move's transaction), so no phone keeps a household that left its area."""

    __tablename__ = "household_departure"
    __table_args__ = (Index("ix_household_departure_hamlet_id_version", "hamlet_id", "version"),)

    hamlet_id: int = Field(foreign_key="admin_unit.id", primary_key=True)
    household_id: uuid.UUID = Field(foreign_key="household.id", primary_key=True)
    version: int
