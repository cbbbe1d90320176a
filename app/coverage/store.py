"""Reading and writing the derived rows: household status, person skills and milestones, and the
hamlet's aggregate rows. Only `app.coverage` calls this module."""

import uuid
from collections import Counter
from datetime import date
from functools import lru_cache
from typing import Any

from sqlalchemy import String, bindparam, cast, delete, literal, null, select
from sqlmodel import Session, col

from app.coverage import sql
from app.coverage.rules import Key, PersonState, ScopeState, aware
from app.models import (
    Campaign,
    HouseholdStatus,
    Person,
    PersonMilestone,
    PersonSkill,
    Skill,
    UnitCoverage,
    UnitDaily,
    UnitMilestone,
    UnitSkill,
)
from app.models.base import table_of

AGGREGATES: dict[str, tuple[Any, tuple[str, ...]]] = {
    "cov": (table_of(UnitCoverage), ("unit_id", "campaign_id")),
    "skill": (table_of(UnitSkill), ("unit_id", "campaign_id", "skill_id")),
    "ms": (table_of(UnitMilestone), ("unit_id", "campaign_id", "milestone_id")),
    "day": (table_of(UnitDaily), ("unit_id", "campaign_id", "day")),
}
PS, PM, HS = table_of(PersonSkill), table_of(PersonMilestone), table_of(HouseholdStatus)


def skill_ids(session: Session) -> list[str]:
    """The skills, in catalogue order: "proficient in all five" is over these."""
    return list(session.execute(select(col(Skill.id)).order_by(col(Skill.position))).scalars())


def campaign_windows(session: Session, campaign_ids: set[int]) -> dict[int, tuple[date, date]]:
    if not campaign_ids:
        return {}
    rows = session.execute(
        select(col(Campaign.id), col(Campaign.starts_on), col(Campaign.ends_on)).where(
            col(Campaign.id).in_(sorted(campaign_ids))
        )
    ).all()
    return {i: (s, e) for i, s, e in rows}


@lru_cache(maxsize=2)
def _state_query(postgresql: bool) -> Any:
    """Rows of (kind, household, campaign, person, key, number, day, moment) of the households
    `:households` (the ids as text: `load_state`), where kind is
    h: a status row (key: last outcome, number: visits, day: visited_on, moment: last visit);
    s: a person's skill (key: skill, number: level, day: proficient_on);
    m: a person's milestone (key: milestone, day: reached_on)."""

    def inside(column: Any) -> Any:  # on PostgreSQL the same SQL for any number of households
        return sql.in_named(column, "households", postgresql)

    no_person, no_moment = cast(null(), String), cast(null(), HS.c.last_visit_at.type)
    people = table_of(Person)
    members = people.alias("members")
    listed = select(members.c.id).where(inside(members.c.household_id))
    status = select(
        literal("h"),
        cast(HS.c.household_id, String),
        HS.c.campaign_id,
        no_person,
        HS.c.last_outcome,
        HS.c.visits,
        HS.c.visited_on,
        HS.c.last_visit_at,
    ).where(inside(HS.c.household_id))
    skills = (
        select(
            literal("s"),
            cast(people.c.household_id, String),
            PS.c.campaign_id,
            cast(PS.c.person_id, String),
            PS.c.skill_id,
            PS.c.level,
            PS.c.proficient_on,
            no_moment,
        )
        .join(people, people.c.id == PS.c.person_id)
        .where(inside(people.c.household_id), sql.in_rows_of(PS.c.person_id, listed, postgresql))
    )
    milestones = (
        select(
            literal("m"),
            cast(people.c.household_id, String),
            PM.c.campaign_id,
            cast(PM.c.person_id, String),
            PM.c.milestone_id,
            literal(0),
            PM.c.reached_on,
            no_moment,
        )
        .join(people, people.c.id == PM.c.person_id)
        .where(inside(people.c.household_id), sql.in_rows_of(PM.c.person_id, listed, postgresql))
    )
    return status.union_all(skills, milestones)


def load_state(session: Session, household_ids: list[uuid.UUID]) -> dict[uuid.UUID, dict[int, ScopeState]]:
    """The current state rows of some households, in one query and none over visits (`_state_query`)."""
    out: dict[uuid.UUID, dict[int, ScopeState]] = {h: {} for h in household_ids}
    if not household_ids:
        return out
    # Ids arrive as text (read in C); each distinct one becomes a UUID once.
    ids: dict[str, uuid.UUID] = {}

    def as_uuid(text: str) -> uuid.UUID:
        found = ids.get(text)
        if found is None:
            found = ids[text] = uuid.UUID(text)
        return found

    query = _state_query(sql.is_postgresql(session))
    for kind, hid, c, pid, key, number, day, moment in sql.fetch(session, query, {"households": household_ids}):
        scopes = out[as_uuid(hid)]
        scope = scopes.get(c)  # made only when missing: thousands of rows a push, most of them for a known one
        if scope is None:
            scope = scopes[c] = ScopeState()
        if kind == "h":
            scope.visits, scope.last_outcome, scope.visited_on = number, key, day
            scope.last_visit_at = aware(moment)
            continue
        person_id = as_uuid(pid)
        p = scope.people.get(person_id)
        if p is None:
            p = scope.people[person_id] = PersonState()
        if kind == "m":
            p.milestones[key] = day
            continue
        p.levels[key] = number
        if day is not None:
            p.proficient_on[key] = day
    return out


def write_status(out: sql.Writes, rows: list[dict[str, Any]]) -> None:
    out.add(HS, rows, ["household_id", "campaign_id"], "overwrite")


def write_person_rows(out: sql.Writes, skills: list[dict[str, Any]], milestones: list[dict[str, Any]]) -> None:
    out.add(PS, skills, ["person_id", "campaign_id", "skill_id"], "overwrite")
    out.add(PM, milestones, ["person_id", "campaign_id", "milestone_id"], "overwrite")


def delete_rows(
    session: Session,
    skills: list[tuple[Any, ...]],
    milestones: list[tuple[Any, ...]],
    statuses: list[tuple[Any, ...]],
) -> None:
    if skills:
        where_ps = (
            PS.c.person_id == bindparam("p"),
            PS.c.campaign_id == bindparam("c"),
            PS.c.skill_id == bindparam("k"),
        )
        session.execute(delete(PS).where(*where_ps), [{"p": p, "c": c, "k": k} for p, c, k in skills])
    if milestones:
        where = (
            PM.c.person_id == bindparam("p"),
            PM.c.campaign_id == bindparam("c"),
            PM.c.milestone_id == bindparam("k"),
        )
        session.execute(delete(PM).where(*where), [{"p": p, "c": c, "k": k} for p, c, k in milestones])
    if statuses:
        where_hs = (HS.c.household_id == bindparam("h"), HS.c.campaign_id == bindparam("c"))
        session.execute(delete(HS).where(*where_hs), [{"h": h, "c": c} for h, c in statuses])


def bump_people(out: sql.Writes, by_version: dict[int, set[uuid.UUID]]) -> None:
    """People whose derived rows changed are sent to phones again at the next pull."""
    versions = {p: version for version, ids in sorted(by_version.items()) for p in ids}
    out.add(table_of(Person), [{"id": p, "version": versions[p]} for p in sorted(versions)], ["id"], "update")


def expire_derived(session: Session) -> None:
    """ORM copies of derived rows in the session are stale after the bulk statements: read them again."""
    for obj in list(session.identity_map.values()):
        if isinstance(obj, PersonSkill | PersonMilestone | HouseholdStatus):
            session.expire(obj)


def _row_key(unit_id: int, key: Key) -> tuple[tuple[Any, ...], str]:
    """(the aggregate row's primary key, the counter column) for one delta."""
    kind = key[0]
    if kind == "cov":
        return (kind, unit_id, key[1]), key[2]
    if kind == "ms":
        return (kind, unit_id, key[1], key[2]), "people"
    return (kind, unit_id, key[1], key[2]), key[3]


def apply_deltas(out: sql.Writes, deltas: dict[int, Counter[Key]]) -> None:
    """Add counter deltas to hamlets' aggregate rows: one statement per table, rows in key order so
    that two writers of one hamlet take the row locks in the same order. Only hamlet rows are
    written: the units above are summed from them when read (`app.coverage.rollup`)."""
    rows: dict[tuple[Any, ...], dict[str, int]] = {}
    for hamlet_id, delta in deltas.items():
        for key, n in delta.items():
            if n:
                row_key, column = _row_key(hamlet_id, key)
                rows.setdefault(row_key, {})[column] = rows.get(row_key, {}).get(column, 0) + n
    for kind, (table, key_columns) in AGGREGATES.items():
        keys = sorted((k for k in rows if k[0] == kind), key=lambda k: k[1:])
        if not keys:
            continue
        counters = [c.name for c in table.columns if c.name not in key_columns]
        params = [
            {**dict(zip(key_columns, k[1:], strict=True)), **{c: rows[k].get(c, 0) for c in counters}} for k in keys
        ]
        out.add(table, params, key_columns, "add")
