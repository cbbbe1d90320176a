"""The definitions (DESIGN §6) every derived figure follows, over state held in memory.

Per campaign c and over all time (campaign 0):
- a visit counts for c when its campaign_id is c and its local day is inside c's dates; a visit
  flagged for review (review = "pending") counts nowhere until confirmed;
- visited_on = the first day with a `met` visit;
- the last outcome is that of the visit latest by `visited_at` (ties: the one received last);
- a person's level per skill = the maximum over the visits; proficient_on = the first day it was
  shown proficient; proficient in all five on the latest of those five days;
- covered_k_on = the day the household first had k people proficient in all five (k = 1, 2).

Both write paths share them: `app.coverage.ingest` merges a batch of visits into the state rows,
`app.coverage.rebuild` recomputes a household from its raw rows. `contribution` turns a household's
state into the counters it adds to its hamlet's aggregate rows.
"""

import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from app.models import ALL_TIME
from app.models.visits import PROFICIENT, REVIEW_PENDING

SKILL_COUNT = 5
Key = tuple[Any, ...]


def counts(visit: Any) -> bool:
    """Whether a visit (a Visit row, or the columns of one about to be written) feeds derived state."""
    review = visit.get("review") if isinstance(visit, dict) else getattr(visit, "review", None)
    return review != REVIEW_PENDING


def aware(moment: datetime | None) -> datetime | None:
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


@dataclass
class PersonState:
    levels: dict[str, int] = field(default_factory=dict)
    proficient_on: dict[str, date] = field(default_factory=dict)
    milestones: dict[str, date] = field(default_factory=dict)

    def all_five_on(self, skill_ids: list[str]) -> date | None:
        if len(skill_ids) < SKILL_COUNT or len(self.proficient_on) < len(skill_ids):
            return None
        days = [self.proficient_on.get(s) for s in skill_ids]
        if None in days:  # one of them not (yet) proficient
            return None
        return max(days)  # type: ignore[type-var]


@dataclass
class ScopeState:
    visits: int = 0
    visits_by_day: Counter[date] = field(default_factory=Counter)  # known only when computed from raw rows
    last_outcome: str | None = None
    last_visit_at: datetime | None = None
    visited_on: date | None = None
    people: dict[uuid.UUID, PersonState] = field(default_factory=dict)

    def take_visit(self, outcome: str, visited_at: datetime, visited_on: date) -> None:
        """Count one more visit, arriving after every visit already counted (so it wins a tie)."""
        self.visits += 1
        if self.last_visit_at is None or visited_at >= self.last_visit_at:
            self.last_outcome, self.last_visit_at = outcome, visited_at
        if outcome == "met" and (self.visited_on is None or visited_on < self.visited_on):
            self.visited_on = visited_on

    def take_skill(self, person_id: uuid.UUID, skill_id: str, level: int, day: date) -> bool:
        """Merge one level shown on `day`; True when the person's stored row changes."""
        p = self.people.setdefault(person_id, PersonState())
        changed = False
        if level > p.levels.get(skill_id, 0):
            p.levels[skill_id] = level
            changed = True
        if level >= PROFICIENT and (skill_id not in p.proficient_on or day < p.proficient_on[skill_id]):
            p.proficient_on[skill_id] = day
            changed = True
        return changed

    def take_milestone(self, person_id: uuid.UUID, milestone_id: str, day: date) -> bool:
        p = self.people.setdefault(person_id, PersonState())
        if milestone_id not in p.milestones or day < p.milestones[milestone_id]:
            p.milestones[milestone_id] = day
            return True
        return False


@dataclass
class HouseholdState:
    hamlet_id: int
    live: bool
    people: int
    scopes: dict[int, ScopeState]


def scopes_of(campaign_id: int | None, visited_on: date, windows: dict[int, tuple[date, date]]) -> list[int]:
    """All time, plus the visit's campaign when its day lies inside the campaign's dates."""
    window = windows.get(campaign_id) if campaign_id else None
    if window and window[0] <= visited_on <= window[1]:
        return [ALL_TIME, campaign_id]  # type: ignore[list-item]
    return [ALL_TIME]


def five_days(state: ScopeState, skill_ids: list[str]) -> list[date]:
    """The days each person of the household became proficient in all five, in order (one per such person)."""
    return sorted(d for p in state.people.values() if (d := p.all_five_on(skill_ids)) is not None)


def covered_on(state: ScopeState, skill_ids: list[str], k: int, days: list[date] | None = None) -> date | None:
    """The day the household first had k people proficient in all five."""
    days = five_days(state, skill_ids) if days is None else days
    return days[k - 1] if len(days) >= k else None


def status_values(state: ScopeState, skill_ids: list[str]) -> dict[str, Any]:
    """The columns of the household's `household_status` row for one scope."""
    days = five_days(state, skill_ids)
    return {
        "visits": state.visits,
        "last_outcome": state.last_outcome,
        "last_visit_at": state.last_visit_at,
        "visited_on": state.visited_on,
        "proficient_people": len(days),
        "covered_1_on": covered_on(state, skill_ids, 1, days),
        "covered_2_on": covered_on(state, skill_ids, 2, days),
    }


def scope_contribution(scopes: dict[int, ScopeState], skill_ids: list[str], *, visits: bool) -> Counter[Key]:
    """What the household's visits add to its hamlet's counters; without the visit counts when
    `visits` is False (the ingest path adds those per visit itself). Run twice per household a push
    touches: counted in a plain dict (a Counter's missing key costs a Python call)."""
    out: dict[Key, int] = {}
    get = out.get
    key: Key
    for s, st in scopes.items():
        if visits and st.visits:
            out[("cov", s, "visits")] = st.visits
            for day, n in st.visits_by_day.items():
                out[("day", s, day, "visits")] = n
        if st.visited_on:
            out[("cov", s, "households_visited")] = 1
            out[("day", s, st.visited_on, "households_visited")] = 1
        if st.last_outcome in ("not_home", "declined", "moved"):
            out[("cov", s, f"households_{st.last_outcome}")] = 1
        days = five_days(st, skill_ids)
        for k in (1, 2):
            if (d := covered_on(st, skill_ids, k, days)) is not None:
                out[("cov", s, f"households_covered_{k}")] = 1
                out[("day", s, d, f"households_covered_{k}")] = 1
        if days:
            out[("cov", s, "people_proficient_all")] = len(days)
            for d in days:
                key = ("day", s, d, "people_proficient_all")
                out[key] = get(key, 0) + 1
        taught = 0
        for p in st.people.values():
            if p.levels:
                taught += 1
            for skill, level in p.levels.items():
                key = ("skill", s, skill, "people_taught")
                out[key] = get(key, 0) + 1
                if level >= PROFICIENT:
                    key = ("skill", s, skill, "people_proficient")
                    out[key] = get(key, 0) + 1
            for milestone in p.milestones:
                key = ("ms", s, milestone)
                out[key] = get(key, 0) + 1
        if taught:
            out[("cov", s, "people_taught")] = taught
    return Counter(out)


def contribution(state: HouseholdState, skill_ids: list[str]) -> Counter[Key]:
    """Everything a household adds to its hamlet's aggregate rows (nothing once deleted)."""
    out: Counter[Key] = Counter()
    if not state.live:
        return out
    out[("cov", ALL_TIME, "households")] += 1
    out[("cov", ALL_TIME, "people")] += state.people
    out.update(scope_contribution(state.scopes, skill_ids, visits=True))
    return +out


@dataclass
class RawRows:
    """A household's raw rows that its exact state is computed from."""

    live_people: set[uuid.UUID] = field(default_factory=set)
    visits: list[Any] = field(default_factory=list)  # Visit rows
    skills: list[tuple[uuid.UUID, uuid.UUID, str, int]] = field(default_factory=list)  # visit, person, skill, level
    milestones: list[tuple[uuid.UUID, uuid.UUID, str]] = field(default_factory=list)  # visit, person, milestone


def exact_state(hamlet_id: int, live: bool, rows: RawRows, windows: dict[int, tuple[date, date]]) -> HouseholdState:
    """A household's state from its raw rows (deleted people and households count nothing)."""
    live_people = rows.live_people if live else set()
    visits = [v for v in rows.visits if counts(v)] if live else []
    # In the order that decides the last outcome: by visited_at, ties by receipt.
    visits.sort(key=lambda v: (aware(v.visited_at), aware(v.received_at), str(v.id)))
    scopes: dict[int, ScopeState] = {ALL_TIME: ScopeState()}
    visit_scopes: dict[uuid.UUID, list[int]] = {}
    for v in visits:
        visit_scopes[v.id] = scopes_of(v.campaign_id, v.visited_on, windows)
        for s in visit_scopes[v.id]:
            st = scopes.setdefault(s, ScopeState())
            st.take_visit(v.outcome, aware(v.visited_at), v.visited_on)  # type: ignore[arg-type]
            st.visits_by_day[v.visited_on] += 1
    days = {v.id: v.visited_on for v in visits}
    for visit_id, person_id, skill_id, level in rows.skills:
        if person_id in live_people and visit_id in days:
            for s in visit_scopes[visit_id]:
                scopes[s].take_skill(person_id, skill_id, level, days[visit_id])
    for visit_id, person_id, milestone_id in rows.milestones:
        if person_id in live_people and visit_id in days:
            for s in visit_scopes[visit_id]:
                scopes[s].take_milestone(person_id, milestone_id, days[visit_id])
    return HouseholdState(hamlet_id=hamlet_id, live=live, people=len(live_people), scopes=scopes)
