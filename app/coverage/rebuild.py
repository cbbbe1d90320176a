"""The slow exact path, from raw rows, for the rare events: a visit flagged or confirmed, a person or
household deleted or restored, a household moved to another hamlet. The repair and the check
run by `tungnha coverage rebuild` and `tungnha coverage verify` are `repair.py`.

`rebuild(session, households)` reads each household's exact contribution before the change; the
caller changes the raw rows; `finish()` recomputes, writes the derived rows and adds the difference
to the hamlets' aggregate rows (the old hamlet loses what the new one gains when it moved).
"""

import uuid
from collections import Counter
from typing import Any

from sqlalchemy import select, update
from sqlmodel import Session, col

from app.coverage import sql, store
from app.coverage.rules import HouseholdState, Key, RawRows, contribution, exact_state, status_values
from app.models import (
    ALL_TIME,
    Household,
    Person,
    Visit,
    VisitMilestone,
    VisitSkill,
)


def load_raw_rows(session: Session, households: list[Household]) -> dict[uuid.UUID, RawRows]:
    """The raw rows of many households in four queries (deleted households have none)."""
    out = {h.id: RawRows() for h in households}
    live = [h.id for h in households if h.deleted_at is None]
    if not live:
        return out
    for person_id, household_id in session.execute(
        select(col(Person.id), col(Person.household_id)).where(
            col(Person.household_id).in_(live), col(Person.deleted_at).is_(None)
        )
    ).all():
        out[household_id].live_people.add(person_id)
    owner: dict[uuid.UUID, uuid.UUID] = {}
    for v in session.execute(
        select(col(Visit.id), col(Visit.household_id), col(Visit.campaign_id), col(Visit.visited_at))
        .add_columns(col(Visit.visited_on), col(Visit.received_at), col(Visit.outcome), col(Visit.review))
        .where(col(Visit.household_id).in_(live))
    ).all():
        out[v.household_id].visits.append(v)
        owner[v.id] = v.household_id
    if owner:
        ids = list(owner)
        for i in range(0, len(ids), 5000):
            chunk = ids[i : i + 5000]
            for vid, pid, skill, level in session.execute(
                select(
                    col(VisitSkill.visit_id), col(VisitSkill.person_id), col(VisitSkill.skill_id), col(VisitSkill.level)
                ).where(col(VisitSkill.visit_id).in_(chunk))
            ).all():
                out[owner[vid]].skills.append((vid, pid, skill, level))
            for vid, pid, m in session.execute(
                select(
                    col(VisitMilestone.visit_id), col(VisitMilestone.person_id), col(VisitMilestone.milestone_id)
                ).where(col(VisitMilestone.visit_id).in_(chunk))
            ).all():
                out[owner[vid]].milestones.append((vid, pid, m))
    return out


def exact_states(session: Session, households: list[Household]) -> dict[uuid.UUID, HouseholdState]:
    raw = load_raw_rows(session, households)
    windows = store.campaign_windows(session, {v.campaign_id for r in raw.values() for v in r.visits if v.campaign_id})
    return {h.id: exact_state(h.hamlet_id, h.deleted_at is None, raw[h.id], windows) for h in households}


class Rebuild:
    """A change to some households, recomputed exactly (see the module's note)."""

    def __init__(self, session: Session, households: list[Household]) -> None:
        self.session = session
        self.households = households
        self.skills = store.skill_ids(session)
        self.before_hamlet = {h.id: h.hamlet_id for h in households}
        self.before_live = {h.id: h.deleted_at is None for h in households}
        states = exact_states(session, households)
        self.before = {h.id: contribution(states[h.id], self.skills) for h in households}

    def finish(self) -> tuple[dict[uuid.UUID, int], set[uuid.UUID]]:
        """Write derived rows and aggregate deltas; returns each household's version (of the hamlet
        it is in now) and the people whose derived rows changed."""
        session = self.session
        session.flush()
        hamlets = set(self.before_hamlet.values()) | {h.hamlet_id for h in self.households}
        versions = {hamlet: sql.bump_area_version(session, hamlet) for hamlet in sorted(hamlets)}
        states = exact_states(session, self.households)
        deltas: dict[int, Counter[Key]] = {}
        for h in self.households:
            after = contribution(states[h.id], self.skills)
            deltas.setdefault(self.before_hamlet[h.id], Counter()).subtract(self.before[h.id])
            deltas.setdefault(h.hamlet_id, Counter()).update(after)
        changed = write_exact(session, [(h, states[h.id], versions[h.hamlet_id]) for h in self.households], self.skills)
        apply_deltas(session, deltas)
        for h in self.households:
            if h.hamlet_id != self.before_hamlet[h.id] or (h.deleted_at is None) != self.before_live[h.id]:
                # Moved, deleted or restored: every status row is pulled again, changed figures or not.
                session.execute(
                    update(store.HS)
                    .where(store.HS.c.household_id == h.id)
                    .values(hamlet_id=h.hamlet_id, version=versions[h.hamlet_id])
                )
        return {h.id: versions[h.hamlet_id] for h in self.households}, changed


def rebuild(session: Session, households: list[Household]) -> Rebuild:
    """Start an exact change to these households (already locked by the caller); call `finish()`
    once the raw rows are changed."""
    return Rebuild(session, households)


def write_exact(
    session: Session, items: list[tuple[Household, HouseholdState, int]], skill_ids: list[str]
) -> set[uuid.UUID]:
    """Overwrite the derived rows of these households with their exact state; return the people whose
    rows changed (their version is bumped so phones pull them again)."""
    if not items:
        return set()
    ids = [h.id for h, _, _ in items]
    ps_t, pm_t, hs_t = store.PS, store.PM, store.HS
    old_skills: dict[uuid.UUID, dict[tuple[Any, ...], tuple[int, Any]]] = {i: {} for i in ids}
    for household_id, p, c, sk, lv, on in session.execute(
        select(col(Person.household_id), ps_t.c.person_id, ps_t.c.campaign_id, ps_t.c.skill_id, ps_t.c.level)
        .add_columns(ps_t.c.proficient_on)
        .join(Person, col(Person.id) == ps_t.c.person_id)
        .where(col(Person.household_id).in_(ids))
    ).all():
        old_skills[household_id][(p, c, sk)] = (lv, on)
    old_ms: dict[uuid.UUID, dict[tuple[Any, ...], Any]] = {i: {} for i in ids}
    for household_id, p, c, m, on in session.execute(
        select(col(Person.household_id), pm_t.c.person_id, pm_t.c.campaign_id, pm_t.c.milestone_id, pm_t.c.reached_on)
        .join(Person, col(Person.id) == pm_t.c.person_id)
        .where(col(Person.household_id).in_(ids))
    ).all():
        old_ms[household_id][(p, c, m)] = on
    old_status = {
        (r.household_id, r.campaign_id): r
        for r in session.execute(select(hs_t).where(hs_t.c.household_id.in_(ids))).all()
    }
    changed: dict[int, set[uuid.UUID]] = {}
    skill_upserts: list[dict[str, Any]] = []
    ms_upserts: list[dict[str, Any]] = []
    status_upserts: list[dict[str, Any]] = []
    skill_deletes: list[tuple[Any, ...]] = []
    ms_deletes: list[tuple[Any, ...]] = []
    for household, state, version in items:
        bumped = changed.setdefault(version, set())
        new_skills = {
            (pid, s, skill): (level, p.proficient_on.get(skill))
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
            skill_deletes.append(key)
            bumped.add(key[0])
        for key, (level, on) in new_skills.items():
            if skills_before.get(key) != (level, on):
                skill_upserts.append(
                    {
                        "person_id": key[0],
                        "campaign_id": key[1],
                        "skill_id": key[2],
                        "level": level,
                        "proficient_on": on,
                    }
                )
                bumped.add(key[0])
        for key in ms_before.keys() - new_ms.keys():
            ms_deletes.append(key)
            bumped.add(key[0])
        for key, day in new_ms.items():
            if ms_before.get(key) != day:
                ms_upserts.append(
                    {"person_id": key[0], "campaign_id": key[1], "milestone_id": key[2], "reached_on": day}
                )
                bumped.add(key[0])
        for s, st in state.scopes.items():
            values = {"hamlet_id": household.hamlet_id, **status_values(st, skill_ids)}
            old = old_status.pop((household.id, s), None)
            if old is None or any(differs(getattr(old, k), v) for k, v in values.items()):
                status_upserts.append({"household_id": household.id, "campaign_id": s, "version": version, **values})
    out = sql.Writes()
    store.write_person_rows(out, skill_upserts, ms_upserts)
    store.write_status(out, status_upserts)
    store.bump_people(out, changed)
    out.run(session)
    store.delete_rows(session, skill_deletes, ms_deletes, list(old_status))
    store.expire_derived(session)
    return {p for ids_ in changed.values() for p in ids_}


def apply_deltas(session: Session, deltas: dict[int, Counter[Key]]) -> None:
    out = sql.Writes()
    store.apply_deltas(out, deltas)
    out.run(session)


def differs(old: Any, new: Any) -> bool:
    from app.coverage.rules import aware

    if hasattr(old, "tzinfo") and hasattr(new, "tzinfo"):
        return aware(old) != aware(new)
    return bool(old != new)


# --- households and people come and go ------------------------------------------------------------


def households_added(session: Session, hamlet_id: int, household_ids: list[uuid.UUID], version: int) -> None:
    """New live households without visits or people: a status row each, and the hamlet's count."""
    if not household_ids:
        return
    sql.insert_missing(
        session,
        store.HS,
        ["household_id", "campaign_id"],
        [
            {"household_id": h, "campaign_id": ALL_TIME, "hamlet_id": hamlet_id, "version": version}
            for h in household_ids
        ],
    )
    apply_deltas(session, {hamlet_id: Counter({("cov", ALL_TIME, "households"): len(household_ids)})})


def people_added(session: Session, hamlet_id: int, n: int) -> None:
    """New live people of live households (no visit names them yet)."""
    if n:
        apply_deltas(session, {hamlet_id: Counter({("cov", ALL_TIME, "people"): n})})


def resend_status(session: Session, household_ids: list[uuid.UUID], version: int) -> None:
    """The households' status rows are sent to phones again at the next pull (after an erasure:
    a phone drops them with the household)."""
    if household_ids:
        session.execute(update(store.HS).where(store.HS.c.household_id.in_(household_ids)).values(version=version))
