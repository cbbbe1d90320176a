from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel


class Skill(SQLModel, table=True):
    """One of the five basic digital skills. The set is fixed (coverage means all five); labels are data."""

    __tablename__ = "skill"

    id: str = Field(primary_key=True, max_length=40)
    position: int
    label_vi: str = Field(max_length=200)
    label_en: str = Field(max_length=200)
    # The national lesson cards: [{"title", "steps": [...], "note"}], shown to households at the door.
    lessons: list[dict[str, Any]] | None = Field(default=None, sa_column=Column(JSON, nullable=True))


class SkillLessons(SQLModel, table=True):
    """A province's own lesson cards for a skill, in place of the national ones."""

    __tablename__ = "skill_lessons"

    skill_id: str = Field(foreign_key="skill.id", primary_key=True, max_length=40)
    province_unit_id: int = Field(foreign_key="admin_unit.id", primary_key=True)
    lessons: list[dict[str, Any]] = Field(sa_column=Column(JSON, nullable=False))


class SkillLabel(SQLModel, table=True):
    """A province's own wording of a skill (skill 5 names the local platform)."""

    __tablename__ = "skill_label"

    skill_id: str = Field(foreign_key="skill.id", primary_key=True, max_length=40)
    province_unit_id: int = Field(foreign_key="admin_unit.id", primary_key=True)
    label_vi: str = Field(max_length=200)
    label_en: str = Field(max_length=200)


class Milestone(SQLModel, table=True):
    """A concrete step reached by a person (VNeID level 2, bank app…). National when province is null."""

    __tablename__ = "milestone"

    id: str = Field(primary_key=True, max_length=40)
    position: int
    label_vi: str = Field(max_length=200)
    label_en: str = Field(max_length=200)
    province_unit_id: int | None = Field(default=None, foreign_key="admin_unit.id")
    is_active: bool = True
