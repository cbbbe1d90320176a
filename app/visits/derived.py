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

A visit flagged for review (app.visits.plausibility) counts nothing until it is confirmed: this module's
`state_from_rows` is the one place visits feed derived state, and it leaves them out.
"""

import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam
from sqlalchemy import delete as sa_delete
from sqlalchemy import select as sa_select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
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
from app.visits import plausibility

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


@dataclass
class RawRows:
    """A household's raw rows that its derived state is computed from."""

    live_people: set[uuid.UUID] = field(default_factory=set)
    visits: list[Any] = field(
        default_factory=list
    )  # Visit rows: id, campaign_id, visited_on, received_at, visited_at, outcome
    skills: list[tuple[uuid.UUID, uuid.UUID, str, int]] = field(default_factory=list)  # visit, person, skill, level
    milestones: list[tuple[uuid.UUID, uuid.UUID, str]] = field(default_factory=list)  # visit, person, milestone


def load_raw_rows(session: Session, households: list[Household]) -> dict[uuid.UUID, RawRows]:
    """The raw rows of many households in four queries (deleted households have none)."""
    out = {h.id: RawRows() for h in households}
    live = [h.id for h in households if h.deleted_at is None]
    if not live:
        return out
    for person_id, household_id in session.exec(
        select(Person.id, Person.household_id).where(
            col(Person.household_id).in_(live), col(Person.deleted_at).is_(None)
        )
    ).all():
        out[household_id].live_people.add(person_id)
    owner: dict[uuid.UUID, uuid.UUID] = {}
    for v in session.exec(select(Visit).where(col(Visit.household_id).in_(live))).all():
        out[v.household_id].visits.append(v)
        owner[v.id] = v.household_id
    if owner:
        ids = list(owner)
        for vs in session.exec(select(VisitSkill).where(col(VisitSkill.visit_id).in_(ids))).all():
            out[owner[vs.visit_id]].skills.append((vs.visit_id, vs.person_id, vs.skill_id, vs.level))
        for vm in session.exec(select(VisitMilestone).where(col(VisitMilestone.visit_id).in_(ids))).all():
            out[owner[vm.visit_id]].milestones.append((vm.visit_id, vm.person_id, vm.milestone_id))
    return out


def compute_state(session: Session, household: Household, skill_ids: list[str]) -> HouseholdState:
    """The household's derived state from its raw visits (deleted people and households count nothing)."""
    rows = load_raw_rows(session, [household])[household.id]
    windows = campaign_windows(session, {v.campaign_id for v in rows.visits if v.campaign_id})
    return state_from_rows(household, rows, windows)


def state_from_rows(household: Household, rows: RawRows, windows: dict[int, tuple[date, date]]) -> HouseholdState:
    """compute_state without the database: the same definitions over rows already loaded."""
    live = household.deleted_at is None
    live_people = rows.live_people if live else set()
    visits = [v for v in rows.visits if plausibility.counts(v)] if live else []
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
        for visit_id, person_id, skill_id, level in rows.skills:
            if person_id not in live_people or visit_id not in days:
                continue
            day = days[visit_id]
            for s in visit_scopes[visit_id]:
                ps = scopes[s].people.setdefault(person_id, PersonState())
                ps.levels[skill_id] = max(ps.levels.get(skill_id, 0), level)
                if level >= PROFICIENT and (skill_id not in ps.proficient_on or day < ps.proficient_on[skill_id]):
                    ps.proficient_on[skill_id] = day
        for visit_id, person_id, milestone_id in rows.milestones:
            if person_id not in live_people or visit_id not in days:
                continue
            day = days[visit_id]
            for s in visit_scopes[visit_id]:
                ps = scopes[s].people.setdefault(person_id, PersonState())
                if milestone_id not in ps.milestones or day < ps.milestones[milestone_id]:
                    ps.milestones[milestone_id] = day
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
    return write_derived_many(session, [(household, state, version)], skill_ids)


def write_derived_many(
    session: Session, items: list[tuple[Household, HouseholdState, int]], skill_ids: list[str]
) -> set[uuid.UUID]:
    """Derived rows for many households at once (a sync batch): three reads, then bulk statements.

    ORM copies of these rows already
    in the session are expired afterwards, so a later write_derived in the same transaction reads
    them again."""
    if not items:
        return set()
    session.flush()
    ids = [h.id for h, _, _ in items]
    ps_t, pm_t, hs_t = (_table(t) for t in (PersonSkill, PersonMilestone, HouseholdStatus))
    old_skills: dict[uuid.UUID, dict[tuple[Any, ...], int]] = {i: {} for i in ids}
    for household_id, p, c, sk, lv in session.execute(
        sa_select(col(Person.household_id), ps_t.c.person_id, ps_t.c.campaign_id, ps_t.c.skill_id, ps_t.c.level)
        .join(Person, col(Person.id) == ps_t.c.person_id)
        .where(col(Person.household_id).in_(ids))
    ).all():
        old_skills[household_id][(p, c, sk)] = lv
    old_ms: dict[uuid.UUID, dict[tuple[Any, ...], date]] = {i: {} for i in ids}
    for household_id, p, c, m, on in session.execute(
        sa_select(
            col(Person.household_id), pm_t.c.person_id, pm_t.c.campaign_id, pm_t.c.milestone_id, pm_t.c.reached_on
        )
        .join(Person, col(Person.id) == pm_t.c.person_id)
        .where(col(Person.household_id).in_(ids))
    ).all():
        old_ms[household_id][(p, c, m)] = on
    old_status = {
        (r.household_id, r.campaign_id): r
        for r in session.execute(sa_select(hs_t).where(hs_t.c.household_id.in_(ids))).all()
    }
    changed: set[uuid.UUID] = set()
    skill_upserts: list[dict[str, Any]] = []
    ms_upserts: list[dict[str, Any]] = []
    status_upserts: list[dict[str, Any]] = []
    skill_deletes: list[dict[str, Any]] = []
    ms_deletes: list[dict[str, Any]] = []
    for household, state, version in items:
        new_skills = {
            (pid, s, skill): level
            for s, st in state.scopes.items()
            for pid, p in st.people.items()
            for skill, level in p.levels.items()
        }
        new_ms = {
            (pid, s, m): day
            for s, st in state.scopes.items()
            for pid, p in st.people.items()
            for m, day in p.milestones.items()
        }
        skills_before, ms_before = old_skills[household.id], old_ms[household.id]
        for key in skills_before.keys() - new_skills.keys():
            skill_deletes.append({"p": key[0], "c": key[1], "k": key[2]})
            changed.add(key[0])
        for key, level in new_skills.items():
            if skills_before.get(key) != level:
                skill_upserts.append({"person_id": key[0], "campaign_id": key[1], "skill_id": key[2], "level": level})
                changed.add(key[0])
        for key in ms_before.keys() - new_ms.keys():
            ms_deletes.append({"p": key[0], "c": key[1], "k": key[2]})
            changed.add(key[0])
        for key, day in new_ms.items():
            if key not in ms_before:
                changed.add(key[0])
            if ms_before.get(key) != day:
                ms_upserts.append(
                    {"person_id": key[0], "campaign_id": key[1], "milestone_id": key[2], "reached_on": day}
                )
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
            old = old_status.pop((household.id, s), None)
            if old is None or any(getattr(old, k) != v for k, v in values.items()):
                status_upserts.append({"household_id": household.id, "campaign_id": s, "version": version, **values})
    _upsert_many(session, ps_t, ["person_id", "campaign_id", "skill_id"], skill_upserts)
    _upsert_many(session, pm_t, ["person_id", "campaign_id", "milestone_id"], ms_upserts)
    _upsert_many(session, hs_t, ["household_id", "campaign_id"], status_upserts)
    if skill_deletes:
        where = (
            ps_t.c.person_id == bindparam("p"),
            ps_t.c.campaign_id == bindparam("c"),
            ps_t.c.skill_id == bindparam("k"),
        )
        session.execute(sa_delete(ps_t).where(*where), skill_deletes)
    if ms_deletes:
        where = (
            pm_t.c.person_id == bindparam("p"),
            pm_t.c.campaign_id == bindparam("c"),
            pm_t.c.milestone_id == bindparam("k"),
        )
        session.execute(sa_delete(pm_t).where(*where), ms_deletes)
    if old_status:
        stale = sa_delete(hs_t).where(hs_t.c.household_id == bindparam("h"), hs_t.c.campaign_id == bindparam("c"))
        session.execute(stale, [{"h": h, "c": c} for h, c in old_status])
    for obj in list(session.identity_map.values()):
        if isinstance(obj, PersonSkill | PersonMilestone | HouseholdStatus):
            session.expire(obj)
    return changed


def _table(model: type) -> Table:
    return cast(Table, model.__table__)  # type: ignore[attr-defined]


def _upsert_many(session: Session, table: Table, keys: list[str], rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = insert(table)
    columns = [c for c in rows[0] if c not in keys]
    stmt = stmt.on_conflict_do_update(index_elements=keys, set_={c: getattr(stmt.excluded, c) for c in columns})
    session.execute(stmt, rows)
