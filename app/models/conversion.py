from datetime import datetime

from sqlmodel import Field, SQLModel

from app.models.base import utcnow


class UnitConversion(SQLModel, table=True):
    """One row of the 2025 conversion table: a pre-2025 commune (vn2004) and a 2025 commune (vn2025)
    that received all or part of it. An old commune with one row went whole into its new commune; one
    with several rows was split, and each of its hamlets is assigned once (`hamlet_assignment`)."""

    __tablename__ = "unit_conversion"

    old_unit_id: int = Field(foreign_key="admin_unit.id", primary_key=True)
    new_unit_id: int = Field(foreign_key="admin_unit.id", primary_key=True, index=True)
    partly_merged: bool = False


class HamletAssignment(SQLModel, table=True):
    """The 2025 commune a hamlet of a split pre-2025 commune now belongs to, set by an admin."""

    __tablename__ = "hamlet_assignment"

    hamlet_id: int = Field(foreign_key="admin_unit.id", primary_key=True)
    commune_id: int = Field(foreign_key="admin_unit.id", index=True)
    assigned_by: int | None = Field(default=None, foreign_key="app_user.id")
    assigned_at: datetime = Field(default_factory=utcnow)
