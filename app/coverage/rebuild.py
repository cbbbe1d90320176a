"""The slow exact path, from raw rows, for the rare events: a visit flagged or confirmed, a person or
household deleted or restored, a household moved to another hamlet. Also the repair and the check
run by `tungnha coverage rebuild` and `tungnha coverage verify`.

`rebuild(session, households)` reads each household's exact contribution before the change; the
caller changes the raw rows; `finish()` recomputes, writes the derived rows and adds the difference
to the hamlets' aggregate rows (the old hamlet loses what the new one gains when it moved).
"""

import uuid
from collections import Counter
from collections.abc import Iterable
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlmodel import Session, col

from app.coverage import sql, store
from app.coverage.rules import HouseholdState, Key, RawRows, contribution, exact_state, status_values
from app.models import (
    ALL_TIME,
    AdminUnit,
    Household,
    HouseholdStatus,
    Person,
    PersonMilestone,
    PersonSkill,
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
        _apply_deltas(session, deltas)
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
            if old is None or any(_differs(getattr(old, k), v) for k, v in values.items()):
                status_upserts.append({"household_id": household.id, "campaign_id": s, "version": version, **values})
    out = sql.Writes()
    store.write_person_rows(out, skill_upserts, ms_upserts)
    store.write_status(out, status_upserts)
    store.bump_people(out, changed)
    out.run(session)
    store.delete_rows(session, skill_deletes, ms_deletes, list(old_status))
    store.expire_derived(session)
    return {p for ids_ in changed.values() for p in ids_}


def _apply_deltas(session: Session, deltas: dict[int, Counter[Key]]) -> None:
    out = sql.Writes()
    store.apply_deltas(out, deltas)
    out.run(session)


def _differs(old: Any, new: Any) -> bool:
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
    _apply_deltas(session, {hamlet_id: Counter({("cov", ALL_TIME, "households"): len(household_ids)})})


def people_added(session: Session, hamlet_id: int, n: int) -> None:
    """New live people of live households (no visit names them yet)."""
    if n:
        _apply_deltas(session, {hamlet_id: Counter({("cov", ALL_TIME, "people"): n})})


# --- repair and check -----------------------------------------------------------------------------


def resend_status(session: Session, household_ids: list[uuid.UUID], version: int) -> None:
    """The households' status rows are sent to phones again at the next pull (after an erasure:
    a phone drops them with the household)."""
    if household_ids:
        session.execute(update(store.HS).where(store.HS.c.household_id.in_(household_ids)).values(version=version))


def hamlets_under(session: Session, unit_id: int | None) -> list[int]:
    stmt = select(col(AdminUnit.id)).where(col(AdminUnit.level) == "hamlet")
    if unit_id is not None:
        unit = session.get(AdminUnit, unit_id)
        if unit is None:
            return []
        stmt = stmt.where(col(AdminUnit.path).startswith(unit.path))
    return sorted(i for i in session.execute(stmt).scalars() if i is not None)


def _expected(
    session: Session, hamlet_id: int, skills: list[str]
) -> tuple[list[Household], dict[uuid.UUID, HouseholdState], Counter[Key]]:
    households = list(
        session.execute(
            select(Household).where(col(Household.hamlet_id) == hamlet_id).order_by(col(Household.id))
        ).scalars()
    )
    states = exact_states(session, households)
    total: Counter[Key] = Counter()
    for h in households:
        total.update(contribution(states[h.id], skills))
    return households, states, +total


def _stored(session: Session, hamlet_id: int) -> Counter[Key]:
    out: Counter[Key] = Counter()
    for kind, (table, key_columns) in store.AGGREGATES.items():
        counters = [c.name for c in table.columns if c.name not in key_columns]
        for row in session.execute(select(table).where(table.c.unit_id == hamlet_id)).mappings():
            for c in counters:
                if kind == "cov":
                    key: Key = ("cov", row["campaign_id"], c)
                elif kind == "ms":
                    key = ("ms", row["campaign_id"], row["milestone_id"])
                else:
                    key = (kind, row["campaign_id"], row[key_columns[2]], c)
                out[key] += row[c]
    return Counter({k: n for k, n in out.items() if n != 0})


def rebuild_hamlets(session: Session, hamlet_ids: Iterable[int]) -> int:
    """Recompute every derived row of these hamlets from the raw rows; returns the hamlets whose
    aggregate rows were wrong."""
    skills = store.skill_ids(session)
    wrong = 0
    for hamlet_id in sorted(hamlet_ids):
        version = sql.bump_area_version(session, hamlet_id)
        households, states, expected = _expected(session, hamlet_id, skills)
        write_exact(session, [(h, states[h.id], version) for h in households], skills)
        stored = _stored(session, hamlet_id)
        if stored != expected:
            wrong += 1
            for table, _ in store.AGGREGATES.values():
                session.execute(delete(table).where(table.c.unit_id == hamlet_id))
            _apply_deltas(session, {hamlet_id: expected})
    return wrong


def verify(session: Session, hamlet_ids: Iterable[int]) -> list[str]:
    """Every difference between the stored derived rows and a recomputation from raw rows."""
    skills = store.skill_ids(session)
    out: list[str] = []
    for hamlet_id in sorted(hamlet_ids):
        households, states, expected = _expected(session, hamlet_id, skills)
        stored = _stored(session, hamlet_id)
        for key in sorted(set(expected) | set(stored), key=str):
            if expected.get(key, 0) != stored.get(key, 0):
                out.append(f"hamlet {hamlet_id} {key}: stored {stored.get(key, 0)}, expected {expected.get(key, 0)}")
        out.extend(_verify_rows(session, hamlet_id, households, states, skills))
    return out


def _verify_rows(
    session: Session,
    hamlet_id: int,
    households: list[Household],
    states: dict[uuid.UUID, HouseholdState],
    skills: list[str],
) -> list[str]:
    ids = [h.id for h in households]
    if not ids:
        return []
    out: list[str] = []
    want_status = {
        (h.id, s): status_values(st, skills) for h in households for s, st in states[h.id].scopes.items() if st.visits
    }
    for r in session.execute(select(HouseholdStatus).where(col(HouseholdStatus.household_id).in_(ids))).scalars():
        want = want_status.pop((r.household_id, r.campaign_id), None)
        if want is None:
            if r.visits:
                out.append(
                    f"hamlet {hamlet_id} household {r.household_id} campaign {r.campaign_id}: status without visits"
                )
            continue
        for k, v in want.items():
            if _differs(getattr(r, k), v):
                where = f"hamlet {hamlet_id} household {r.household_id} campaign {r.campaign_id} {k}"
                out.append(f"{where}: stored {getattr(r, k)}, expected {v}")
    for (h, s), _ in want_status.items():
        out.append(f"hamlet {hamlet_id} household {h} campaign {s}: status missing")
    want_skills = {
        (pid, s, skill): (level, p.proficient_on.get(skill))
        for h in households
        for s, st in states[h.id].scopes.items()
        for pid, p in st.people.items()
        for skill, level in p.levels.items()
    }
    have_skills = {
        (r.person_id, r.campaign_id, r.skill_id): (r.level, r.proficient_on)
        for r in session.execute(
            select(PersonSkill)
            .join(Person, col(Person.id) == PersonSkill.person_id)
            .where(col(Person.household_id).in_(ids))
        ).scalars()
    }
    for key in sorted(set(want_skills) | set(have_skills), key=str):
        if want_skills.get(key) != have_skills.get(key):
            out.append(
                f"hamlet {hamlet_id} person skill {key}: stored {have_skills.get(key)}, expected {want_skills.get(key)}"
            )
    want_ms = {
        (pid, s, m): day
        for h in households
        for s, st in states[h.id].scopes.items()
        for pid, p in st.people.items()
        for m, day in p.milestones.items()
    }
    have_ms = {
        (r.person_id, r.campaign_id, r.milestone_id): r.reached_on
        for r in session.execute(
            select(PersonMilestone)
            .join(Person, col(Person.id) == PersonMilestone.person_id)
            .where(col(Person.household_id).in_(ids))
        ).scalars()
    }
    for key in sorted(set(want_ms) | set(have_ms), key=str):
        if want_ms.get(key) != have_ms.get(key):
            out.append(
                f"hamlet {hamlet_id} person milestone {key}: stored {have_ms.get(key)}, expected {want_ms.get(key)}"
            )
    return out


def live_counts(session: Session, hamlet_ids: list[int]) -> dict[int, tuple[int, int]]:
    """(live households, their live people) per hamlet, from the raw rows."""
    live = col(Household.deleted_at).is_(None)
    homes: dict[int, int] = dict(
        session.execute(
            select(col(Household.hamlet_id), func.count())
            .where(col(Household.hamlet_id).in_(hamlet_ids), live)
            .group_by(col(Household.hamlet_id))
        ).all()
    )
    people: dict[int, int] = dict(
        session.execute(
            select(col(Household.hamlet_id), func.count())
            .select_from(Person)
            .join(Household, col(Household.id) == Person.household_id)
            .where(col(Household.hamlet_id).in_(hamlet_ids), live, col(Person.deleted_at).is_(None))
            .group_by(col(Household.hamlet_id))
        ).all()
    )
    return {h: (homes.get(h, 0), people.get(h, 0)) for h in hamlet_ids}


def set_population(session: Session, hamlet_ids: list[int]) -> None:
    """Set the hamlets' household and people counts from the raw rows (after a bulk load that
    inserted households and people without visits)."""
    table = store.AGGREGATES["cov"][0]
    counters = [c.name for c in table.columns if c.name not in ("unit_id", "campaign_id")]
    # Only the two population columns are overwritten; the visit counters already there stay.
    sql.insert_missing(
        session,
        table,
        ["unit_id", "campaign_id"],
        [{**dict.fromkeys(counters, 0), "unit_id": h, "campaign_id": ALL_TIME} for h in sorted(hamlet_ids)],
    )
    sql.upsert(
        session,
        table,
        ["unit_id", "campaign_id"],
        [
            {"unit_id": h, "campaign_id": ALL_TIME, "households": n, "people": p}
            for h, (n, p) in sorted(live_counts(session, hamlet_ids).items())
        ],
    )
