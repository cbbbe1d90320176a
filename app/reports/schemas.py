"""Report responses. Percentages are 0–100 with one decimal; a unit with no households shows 0."""

from datetime import date, datetime

from pydantic import BaseModel

TO_VISIT_REASONS = ("not_visited", "not_home", "declined", "not_covered")
REASON_PATTERN = "^(" + "|".join(TO_VISIT_REASONS) + ")$"


class UnitRef(BaseModel):
    id: int
    level: str
    code: str
    name: str


class CampaignRef(BaseModel):
    id: int
    name: str
    unit_id: int
    starts_on: date
    ends_on: date
    covered_threshold: int


class LabelOut(BaseModel):
    """A skill or milestone as this province words it."""

    id: str
    label_vi: str
    label_en: str


class SkillFigures(BaseModel):
    skill_id: str
    people_taught: int
    people_proficient: int


class MilestoneFigures(BaseModel):
    milestone_id: str
    people: int


class ForceFigures(BaseModel):
    """The forces deployed, from the visits counted for the campaign (all time: every visit).

    teams: teams with at least one counted visit; volunteers: people who made one; volunteer_days
    ("ngày công tình nguyện viên"): distinct (volunteer, local day) with at least one visit;
    hamlets_active: hamlets with a counted visit made for a team; hamlets: every hamlet of the unit.
    """

    teams: int = 0
    volunteers: int = 0
    volunteer_days: int = 0
    hamlets_active: int = 0
    hamlets: int = 0


class CoverageFigures(BaseModel):
    unit: UnitRef
    households: int
    households_visited: int
    visited_pct: float
    households_covered: int
    covered_pct: float
    households_covered_1: int
    households_covered_2: int
    households_to_visit: int
    households_not_home: int
    households_declined: int
    households_moved: int
    visits: int
    people: int
    people_taught: int
    people_proficient_all: int
    proficient_all_pct: float
    skills: list[SkillFigures]
    milestones: list[MilestoneFigures]
    forces: ForceFigures | None = None  # with `forces=true`, and always in the exported files


class Target(BaseModel):
    """Every household covered: at least `covered_threshold` people proficient in all five."""

    households: int
    covered_threshold: int
    people_proficient_all: int


class CoverageOut(BaseModel):
    unit: UnitRef
    ancestors: list[UnitRef]
    campaign: CampaignRef | None
    covered_threshold: int
    target: Target
    skills: list[LabelOut]
    milestones: list[LabelOut]
    totals: CoverageFigures
    child_level: str | None
    children: list[CoverageFigures]
    generated_at: datetime


class DayFigures(BaseModel):
    day: date
    visits: int
    households_visited: int
    households_covered: int
    people_proficient_all: int
    cumulative_visits: int
    cumulative_households_visited: int
    cumulative_households_covered: int
    cumulative_people_proficient_all: int
    cumulative_visited_pct: float
    cumulative_covered_pct: float


class ProgressOut(BaseModel):
    unit: UnitRef
    ancestors: list[UnitRef]
    campaign: CampaignRef | None
    covered_threshold: int
    households: int
    days: list[DayFigures]
    generated_at: datetime


class ToVisitItem(BaseModel):
    household_id: str
    hamlet: UnitRef
    head_name: str
    address: str
    member_count: int
    reason: str
    visits: int
    last_outcome: str | None
    last_visit_at: datetime | None
    proficient_people: int


class ToVisitOut(BaseModel):
    unit: UnitRef
    campaign: CampaignRef | None
    covered_threshold: int
    counts: dict[str, int]
    items: list[ToVisitItem]
    total: int
    limit: int
    offset: int
