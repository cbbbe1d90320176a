import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index
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


class SyncRejection(SQLModel, table=True):
    """A mutation answered `rejected`. Kept so that a resend after a lost response is answered with
    the same rejection, not `duplicate`: the phone then keeps it under "Cần xử lý" instead of
    deleting it as if it had been applied."""

    __tablename__ = "sync_rejection"

    client_id: str = Field(foreign_key="sync_client.client_id", primary_key=True, max_length=64)
    seq: int = Field(primary_key=True)
    record_id: uuid.UUID
    code: str = Field(max_length=60)
    message_vi: str = Field(max_length=500)
    message_en: str = Field(max_length=500)
    details: Any = Field(default=None, sa_column=Column(JSON, nullable=True))
    created_at: datetime = Field(default_factory=utcnow)
