import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel

from app.models.base import utcnow


class AreaVersion(SQLModel, table=True):
    """Per-hamlet change counter, incremented inside each write transaction.

    Rows changed in a hamlet carry the new value, so a pull "since version v" never skips a row
    whose transaction committed late: the counter's row lock orders the commits.
    """

    __tablename__ = "area_version"

    hamlet_id: int = Field(foreign_key="admin_unit.id", primary_key=True)
    version: int = 0


class Household(SQLModel, table=True):
    """A household, created on a phone with its own UUID. Soft-deleted, never removed."""

    __tablename__ = "household"
    __table_args__ = (
        Index("ix_household_hamlet_id_version", "hamlet_id", "version"),
        Index("ix_household_hamlet_id_head_name_key", "hamlet_id", "head_name_key"),
    )

    id: uuid.UUID = Field(primary_key=True)
    hamlet_id: int = Field(foreign_key="admin_unit.id")
    province_code: str = Field(max_length=4, index=True)
    address: str = Field(default="", max_length=300)
    head_name: str = Field(default="", max_length=120)
    head_name_key: str = Field(default="", max_length=120)
    phone: str | None = Field(default=None, max_length=16)
    member_count: int = 0
    latitude: float | None = None
    longitude: float | None = None
    # The "Ghi chú" of an imported list: kept as the commune wrote it, not edited on phones.
    note: str = Field(default="", max_length=500, sa_column_kwargs={"server_default": ""})
    created_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    deleted_at: datetime | None = None
    version: int = 0
    # Personal data (app/privacy/): where the names came from (`import`: a commune list; `door`: added at
    # the door) and the household's consent: `unknown` until a visit records it, `given` (with the notice
    # version and day), `withdrawn` (names no longer shown or sent; counts stay). An erased household keeps
    # its counts with no name, address, phone or note, and phones drop it.
    source: str = Field(default="door", max_length=10, sa_column_kwargs={"server_default": "door"})
    consent: str = Field(default="unknown", max_length=10, sa_column_kwargs={"server_default": "unknown"})
    consent_notice_version: str | None = Field(default=None, max_length=20)
    consent_on: date | None = None
    erased_at: datetime | None = None


class HouseholdHistory(SQLModel, table=True):
    """The values a household had before each change (last writer wins; nothing is lost)."""

    __tablename__ = "household_history"

    id: int | None = Field(default=None, primary_key=True)
    household_id: uuid.UUID = Field(foreign_key="household.id", index=True)
    changed_at: datetime = Field(default_factory=utcnow)
    changed_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    previous: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))


class Person(SQLModel, table=True):
    """A household member. Name optional; never an ID-card number or any credential."""

    __tablename__ = "person"
    __table_args__ = (Index("ix_person_hamlet_id_version", "hamlet_id", "version"),)

    id: uuid.UUID = Field(primary_key=True)
    household_id: uuid.UUID = Field(foreign_key="household.id", index=True)
    hamlet_id: int = Field(foreign_key="admin_unit.id")
    full_name: str | None = Field(default=None, max_length=120)
    birth_year: int | None = None
    sex: str | None = Field(default=None, max_length=10)  # female | male | other
    created_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    deleted_at: datetime | None = None
    version: int = 0
