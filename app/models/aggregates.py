from datetime import date

from sqlmodel import Field, SQLModel


class UnitCoverage(SQLModel, table=True):
    """Running totals per unit (every level, hamlet to province) and campaign (0 = all time).

    Maintained in the visit's own transaction so reports read a handful of rows, never raw visits.
    households counts live households in the unit whatever the campaign. people_taught = people taught
    at least one skill; people_proficient_all = people proficient in all five.
    """

    __tablename__ = "unit_coverage"

    unit_id: int = Field(foreign_key="admin_unit.id", primary_key=True)
    campaign_id: int = Field(primary_key=True)
    households: int = 0
    households_visited: int = 0
    households_covered_1: int = 0
    households_covered_2: int = 0
    households_not_home: int = 0
    households_declined: int = 0
    households_moved: int = 0
    visits: int = 0
    people: int = 0
    people_taught: int = 0
    people_proficient_all: int = 0


class UnitSkill(SQLModel, table=True):
    """Per unit, campaign and skill: people taught it (at least), people proficient in it."""

    __tablename__ = "unit_skill"

    unit_id: int = Field(foreign_key="admin_unit.id", primary_key=True)
    campaign_id: int = Field(primary_key=True)
    skill_id: str = Field(foreign_key="skill.id", primary_key=True, max_length=40)
    people_taught: int = 0
    people_proficient: int = 0


class UnitMilestone(SQLModel, table=True):
    __tablename__ = "unit_milestone"

    unit_id: int = Field(foreign_key="admin_unit.id", primary_key=True)
    campaign_id: int = Field(primary_key=True)
    milestone_id: str = Field(foreign_key="milestone.id", primary_key=True, max_length=40)
    people: int = 0


class UnitDaily(SQLModel, table=True):
    """What changed on one local day: visits made, households first visited / first covered that day."""

    __tablename__ = "unit_daily"

    unit_id: int = Field(foreign_key="admin_unit.id", primary_key=True)
    campaign_id: int = Field(primary_key=True)
    day: date = Field(primary_key=True)
    visits: int = 0
    households_visited: int = 0
    households_covered_1: int = 0
    households_covered_2: int = 0
    people_proficient_all: int = 0


COVERAGE_COUNTERS: tuple[str, ...] = tuple(
    name for name in UnitCoverage.model_fields if name not in ("unit_id", "campaign_id")
)
"""The counter columns of `unit_coverage`, in table order."""
