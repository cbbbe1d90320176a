"""The repair and the check behind `tungnha coverage rebuild` and `tungnha coverage verify`: every
household of some hamlets recomputed from raw rows (`exact_states`), written, and compared with what is
stored; and the hamlets' household and people counts set from the live rows."""

import uuid
from collections import Counter
from collections.abc import Iterable

from sqlalchemy import delete, func, select
from sqlmodel import Session, col

from app.coverage import sql, store
from app.coverage.rebuild import apply_deltas, differs, exact_states, write_exact
from app.coverage.rules import HouseholdState, Key, contribution, status_values
from app.models import (
    ALL_TIME,
    AdminUnit,
    Household,
    HouseholdStatus,
    Person,
    PersonMilestone,
    PersonSkill,
)


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
            apply_deltas(session, {hamlet_id: expected})
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
            if differs(getattr(r, k), v):
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
