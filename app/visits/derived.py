"""What a household contributes to the reports, recomputed from its own raw rows.

Every change to a household (a visit, a person added or removed, the household moved or deleted)
goes through the same three steps: contribution before, apply the change, contribution after; the
difference is added to the aggregates of every unit above the hamlet. Recomputing one household from
its raw visits is cheap (a few dozen rows) and makes every derived figure independent of the order
visits arrive in.

Definitions (DESIGN §6), per campaign c and over all time (campaign 0):
- a visit counts for c when its campaign_id is c and its local day is inside c's dates;
- visited_on = the first day with a `met` visit;
- a person's level per skill = the maximum over the visits; proficient in all five on the first day
  by which each skill had been shown proficient;
- covered_k_on = the day the household first had k people proficient in all five (k = 1, 2).
"""

import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlmodel import Session, col, select

from app.models import (
    ALL_TIME,
    Campaign,
    Household,
    HouseholdStatus,
    Person,
    PersonMilestone,
    PersonSkill,
    Visit,
    VisitMilestone,
    VisitSkill,
)
from app.models.visits import PROFICIENT

SKILL_COUNT = 5
Key = tuple[Any, ...]


@dataclass
class PersonState:
    levels: dict[str, int] = field(default_factory=dict)
    proficient_on: dict[str, date] = field(default_factory=dict)
    milestones: dict[str, date] = field(default_factory=dict)

    def all_five_on(self, skill_ids: list[str]) -> date | None:
        if len(skill_ids) < SKILL_COUNT or any(s not in self.proficient_on for s in skill_ids):
            return None
        return max(self.proficient_on[s] for s in skill_ids)


@dataclass
class ScopeState:
    visits: int = 0
    visits_by_day: Counter[date] = field(default_factory=Counter)
    last_outcome: str | None = None
    last_key: tuple[datetime, datetime, str] | None = None
    last_visit_at: datetime | None = None
    visited_on: date | None = None
    people: dict[uuid.UUID, PersonState] = field(default_factory=dict)


@dataclass
class HouseholdState:
    hamlet_id: int
    live: bool
    people: int
    scopes: dict[int, ScopeState]


def campaign_windows(session: Session, campaign_ids: set[int]) -> dict[int, tuple[date, date]]:
    if not campaign_ids:
        return {}
    rows = session.exec(select(Campaign).where(col(Campaign.id).in_(sorted(campaign_ids)))).all()
    return {c.id: (c.starts_on, c.ends_on) for c in rows if c.id is not None}


def compute_state(session: Session, household: Household, skill_ids: list[str]) -> HouseholdState:
    """The household's derived state from its raw visits (deleted people and households count nothing)."""
    live = household.deleted_at is None
    people = session.exec(
        select(Person.id).where(Person.household_id == household.id, col(Person.deleted_at).is_(None))
    ).all()
    live_people = set(people) if live else set()
    visits = session.exec(select(Visit).where(Visit.household_id == household.id)).all() if live else []
    windows = campaign_windows(session, {v.campaign_id for v in visits if v.campaign_id})
    scopes: dict[int, ScopeState] = {ALL_TIME: ScopeState()}
    visit_scopes: dict[uuid.UUID, list[int]] = {}
    for v in visits:
        in_scopes = [ALL_TIME]
        window = windows.get(v.campaign_id) if v.campaign_id else None
        if window and window[0] <= v.visited_on <= window[1]:
            in_scopes.append(v.campaign_id)  # type: ignore[arg-type]
        visit_scopes[v.id] = in_scopes
        for s in in_scopes:
            st = scopes.setdefault(s, ScopeState())
            st.visits += 1
            st.visits_by_day[v.visited_on] += 1
            # The latest visit by server receipt (phone clocks never order anything).
            key = (v.received_at, v.visited_at, str(v.id))
            if st.last_key is None or key > st.last_key:
                st.last_key = key
                st.last_outcome = v.outcome
                st.last_visit_at = v.visited_at
            if v.outcome == "met" and (st.visited_on is None or v.visited_on < st.visited_on):
                st.visited_on = v.visited_on
    days = {v.id: v.visited_on for v in visits}
    if visits:
        ids = list(days)
        for vs in session.exec(select(VisitSkill).where(col(VisitSkill.visit_id).in_(ids))).all():
            if vs.person_id not in live_people:
                continue
            day = days[vs.visit_id]
            for s in visit_scopes[vs.visit_id]:
                ps = scopes[s].people.setdefault(vs.person_id, PersonState())
                ps.levels[vs.skill_id] = max(ps.levels.get(vs.skill_id, 0), vs.level)
                if vs.level >= PROFICIENT and (
                    vs.skill_id not in ps.proficient_on or day < ps.proficient_on[vs.skill_id]
                ):
                    ps.proficient_on[vs.skill_id] = day
        for vm in session.exec(select(VisitMilestone).where(col(VisitMilestone.visit_id).in_(ids))).all():
            if vm.person_id not in live_people:
                continue
            day = days[vm.visit_id]
            for s in visit_scopes[vm.visit_id]:
                ps = scopes[s].people.setdefault(vm.person_id, PersonState())
                if vm.milestone_id not in ps.milestones or day < ps.milestones[vm.milestone_id]:
                    ps.milestones[vm.milestone_id] = day
    return HouseholdState(hamlet_id=household.hamlet_id, live=live, people=len(live_people), scopes=scopes)


def covered_on(state: ScopeState, skill_ids: list[str], k: int) -> date | None:
    days = sorted(d for p in state.people.values() if (d := p.all_five_on(skill_ids)) is not None)
    return days[k - 1] if len(days) >= k else None


def contribution(state: HouseholdState, skill_ids: list[str]) -> Counter[Key]:
    """The counters this household adds to each unit above it (see UnitCoverage and friends)."""
    out: Counter[Key] = Counter()
    if not state.live:
        return out
    out[("cov", ALL_TIME, "households")] += 1
    out[("cov", ALL_TIME, "people")] += state.people
    for s, st in state.scopes.items():
        if st.visits:
            out[("cov", s, "visits")] += st.visits
            for day, n in st.visits_by_day.items():
                out[("day", s, day, "visits")] += n
        if st.visited_on:
            out[("cov", s, "households_visited")] += 1
            out[("day", s, st.visited_on, "households_visited")] += 1
        if st.last_outcome in ("not_home", "declined", "moved"):
            out[("cov", s, f"households_{st.last_outcome}")] += 1
        for k in (1, 2):
            if (d := covered_on(st, skill_ids, k)) is not None:
                out[("cov", s, f"households_covered_{k}")] += 1
                out[("day", s, d, f"households_covered_{k}")] += 1
        for p in st.people.values():
            if p.levels:
                out[("cov", s, "people_taught")] += 1
            if (d := p.all_five_on(skill_ids)) is not None:
                out[("cov", s, "people_proficient_all")] += 1
                out[("day", s, d, "people_proficient_all")] += 1
            for skill, level in p.levels.items():
                out[("skill", s, skill, "people_taught")] += 1
                if level >= PROFICIENT:
                    out[("skill", s, skill, "people_proficient")] += 1
            for milestone in p.milestones:
                out[("ms", s, milestone)] += 1
    return +out  # drop zeros


def write_derived(
    session: Session, household: Household, state: HouseholdState, skill_ids: list[str], version: int
) -> set[uuid.UUID]:
    """Store the per-person levels and the household status; return the people whose levels changed."""
    changed: set[uuid.UUID] = set()
    old_skills = {
        (r.person_id, r.campaign_id, r.skill_id): r
        for r in session.exec(
            select(PersonSkill)
            .join(Person, col(Person.id) == PersonSkill.person_id)
            .where(Person.household_id == household.id)
        ).all()
    }
    new_skills = {
        (pid, s, skill): level
        for s, st in state.scopes.items()
        for pid, p in st.people.items()
        for skill, level in p.levels.items()
    }
    for key, row in old_skills.items():
        if key not in new_skills:
            session.delete(row)
            changed.add(key[0])
        elif row.level != new_skills[key]:
            row.level = new_skills[key]
            session.add(row)
            changed.add(key[0])
    for key, level in new_skills.items():
        if key not in old_skills:
            session.add(PersonSkill(person_id=key[0], campaign_id=key[1], skill_id=key[2], level=level))
            changed.add(key[0])
    old_ms = {
        (r.person_id, r.campaign_id, r.milestone_id): r
        for r in session.exec(
            select(PersonMilestone)
            .join(Person, col(Person.id) == PersonMilestone.person_id)
            .where(Person.household_id == household.id)
        ).all()
    }
    new_ms = {
        (pid, s, m): day
        for s, st in state.scopes.items()
        for pid, p in st.people.items()
        for m, day in p.milestones.items()
    }
    for key, ms_row in old_ms.items():
        if key not in new_ms:
            session.delete(ms_row)
            changed.add(key[0])
        elif ms_row.reached_on != new_ms[key]:
            ms_row.reached_on = new_ms[key]
            session.add(ms_row)
    for key, day in new_ms.items():
        if key not in old_ms:
            session.add(PersonMilestone(person_id=key[0], campaign_id=key[1], milestone_id=key[2], reached_on=day))
            changed.add(key[0])
    old_status = {
        r.campaign_id: r
        for r in session.exec(select(HouseholdStatus).where(HouseholdStatus.household_id == household.id)).all()
    }
    for s, st in state.scopes.items():
        values: dict[str, Any] = {
            "hamlet_id": household.hamlet_id,
            "visits": st.visits,
            "last_outcome": st.last_outcome,
            "last_visit_at": st.last_visit_at,
            "visited_on": st.visited_on,
            "proficient_people": sum(1 for p in st.people.values() if p.all_five_on(skill_ids)),
            "covered_1_on": covered_on(st, skill_ids, 1),
            "covered_2_on": covered_on(st, skill_ids, 2),
        }
        status = old_status.pop(s, None)
        if status is None:
            status = HouseholdStatus(household_id=household.id, campaign_id=s, version=version, **values)
        elif any(getattr(status, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(status, k, v)
            status.version = version
        session.add(status)
    for stale in old_status.values():
        session.delete(stale)
    return changed
