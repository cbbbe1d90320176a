"""The team leader's day (`GET /reports/volunteers`): one row per volunteer and the households left."""

from datetime import date, datetime

from pydantic import BaseModel

from app.reports.schemas import CampaignRef, ToVisitItem, UnitRef


class TeamRef(BaseModel):
    id: int
    name: str
    unit: UnitRef


class AttentionFigures(BaseModel):
    """What waits in "Cần xử lý" for one volunteer.

    rejected: mutations the server refused (stored sync rejections) whose record was not written
    successfully afterwards; flagged: their visits in the area kept as implausible, waiting for a team
    leader or official to confirm them (left out of every figure until then).
    """

    rejected: int = 0
    flagged: int = 0
    total: int = 0


class VolunteerFigures(BaseModel):
    """One volunteer's work inside the area, from the visits counted for the campaign (all time: every
    counted visit). visits_today: those made on `day`; households_met: households with a `met` visit by
    them; people_proficient: people their own visits show proficient in all five skills; days_active:
    local days with at least one visit; last_sync_at: their phones' latest push."""

    user_id: int
    full_name: str
    phone: str
    role: str  # the user's role (volunteer, team_leader…)
    team_role: str | None  # leader | deputy | member in the report's teams; None: not a member
    team_ids: list[int]
    visits_today: int
    visits: int
    households_met: int
    people_proficient: int
    days_active: int
    last_visit_at: datetime | None
    last_sync_at: datetime | None
    attention: AttentionFigures


class AreaTotals(BaseModel):
    """The area against the target: every household covered (at least `covered_threshold` people
    proficient in all five). Percentages 0–100 with one decimal."""

    hamlets: int
    households: int
    households_visited: int
    visited_pct: float
    households_covered: int
    covered_pct: float
    households_left: int


class HouseholdsLeft(BaseModel):
    """Households of the area still to visit or to revisit, with the reason (see reports/to-visit):
    not_visited, not_home (revisit), declined, not_covered (visited, fewer than the threshold
    proficient). `counts` covers every reason whatever the filter; `total` the filtered list."""

    counts: dict[str, int]
    items: list[ToVisitItem]
    total: int
    limit: int
    offset: int


class VolunteersOut(BaseModel):
    campaign: CampaignRef | None
    covered_threshold: int
    day: date
    unit: UnitRef | None  # the official's unit (or the one asked for); None for a team leader
    teams: list[TeamRef]
    totals: AreaTotals
    volunteers: list[VolunteerFigures]
    households_left: HouseholdsLeft
    generated_at: datetime
