"""The write path of every visit: HTTP create, sync push, outbox import and the demo seed.

`ingest(session, visits)` stores a batch of visits (a single visit is a batch of one) and brings
every derived row up to date from the batch and the current state rows alone: never from the
household's earlier visits, so a visit costs the same on the tenth call as on the first. Levels
merge by maximum, first days by minimum, counts by addition, and the last outcome by `visited_at`
(the batch arrives after everything stored, so it wins a tie): the result is the same whatever
order visits arrive in, as `app.coverage.rebuild` recomputing from raw rows would give.
"""

import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from app.coverage import sql, store
from app.coverage.rules import Key, ScopeState, aware, counts, scope_contribution, scopes_of, status_values
from app.models import Household, Visit, VisitMilestone, VisitSkill
from app.models.base import table_of


@dataclass
class NewVisit:
    """A visit to store: the columns of its `visit` row (without `version`) and what it recorded."""

    row: dict[str, Any]
    skills: list[tuple[uuid.UUID, str, int]] = field(default_factory=list)  # person, skill, level
    milestones: list[tuple[uuid.UUID, str]] = field(default_factory=list)  # person, milestone


@dataclass(frozen=True)
class Catalogue:
    """What a batch's derived rows depend on besides the state rows: the skills (in order) and the
    dates of the campaigns its visits name. A caller that has read them passes them to `ingest`."""

    skills: list[str]
    windows: dict[int, tuple[date, date]]


def lock(session: Session, hamlet_ids: set[int], household_ids: set[uuid.UUID]) -> dict[int, int]:
    """The hamlets' versions first, then the households, each in id order: the order every writer
    takes them in, so concurrent writers of one hamlet queue instead of deadlocking."""
    versions = {h: sql.bump_area_version(session, h) for h in sorted(hamlet_ids)}
    if household_ids:
        session.execute(
            select(col(Household.id))
            .where(col(Household.id).in_(sorted(household_ids)))
            .order_by(col(Household.id))
            .with_for_update()
        ).all()
    return versions


def ingest(
    session: Session,
    visits: list[NewVisit],
    versions: dict[int, int] | None = None,
    catalogue: Catalogue | None = None,
) -> dict[int, int]:
    """Store the visits and everything derived from them; returns the version taken per hamlet.

    The caller has checked each visit (its household live and in scope, its people live members of
    it, no id already stored), under the locks `lock` took when it passes their `versions`."""
    if not visits:
        return {}
    if versions is None:
        versions = lock(session, {v.row["hamlet_id"] for v in visits}, {v.row["household_id"] for v in visits})
    out = sql.Writes()
    out.add(table_of(Visit), [{**v.row, "version": versions[v.row["hamlet_id"]]} for v in visits])
    out.add(
        table_of(VisitSkill),
        [
            {"visit_id": v.row["id"], "person_id": p, "skill_id": s, "level": level}
            for v in visits
            for p, s, level in v.skills
        ],
    )
    out.add(
        table_of(VisitMilestone),
        [{"visit_id": v.row["id"], "person_id": p, "milestone_id": m} for v in visits for p, m in v.milestones],
    )
    counted = [v for v in visits if counts(v.row)]
    if counted:
        _merge(session, counted, versions, out, catalogue)
    out.run(session)  # one statement on PostgreSQL
    if counted:
        store.expire_derived(session)
    return versions


def _merge(
    session: Session, visits: list[NewVisit], versions: dict[int, int], out: sql.Writes, catalogue: Catalogue | None
) -> None:
    campaigns = {c for v in visits if (c := v.row["campaign_id"])}
    if catalogue is None or not campaigns <= set(catalogue.windows):
        catalogue = Catalogue(store.skill_ids(session), store.campaign_windows(session, campaigns))
    skills, windows = catalogue.skills, catalogue.windows
    households = sorted({v.row["household_id"] for v in visits})
    state = store.load_state(session, households)
    hamlet_of = {v.row["household_id"]: v.row["hamlet_id"] for v in visits}
    before = {h: scope_contribution(state[h], skills, visits=False) for h in households}
    deltas: dict[int, Counter[Key]] = {}
    touched: set[tuple[uuid.UUID, int]] = set()
    skill_keys: set[tuple[uuid.UUID, uuid.UUID, int, str]] = set()
    milestone_keys: set[tuple[uuid.UUID, uuid.UUID, int, str]] = set()
    # In the order that decides the last outcome: by visited_at, ties by receipt.
    ordered = sorted(visits, key=lambda v: (aware(v.row["visited_at"]), aware(v.row["received_at"]), str(v.row["id"])))
    for v in ordered:
        r = v.row
        h, day = r["household_id"], r["visited_on"]
        delta = deltas.setdefault(hamlet_of[h], Counter())
        for s in scopes_of(r["campaign_id"], day, windows):
            st = state[h].setdefault(s, ScopeState())
            st.take_visit(r["outcome"], aware(r["visited_at"]), day)  # type: ignore[arg-type]
            touched.add((h, s))
            delta[("cov", s, "visits")] += 1
            delta[("day", s, day, "visits")] += 1
            for person, skill, level in v.skills:
                if st.take_skill(person, skill, level, day):
                    skill_keys.add((h, person, s, skill))
            for person, milestone in v.milestones:
                if st.take_milestone(person, milestone, day):
                    milestone_keys.add((h, person, s, milestone))
    for h in households:
        delta = deltas[hamlet_of[h]]
        get = delta.get  # not Counter arithmetic: its loops are Python's, and a push runs this per household
        for key, n in scope_contribution(state[h], skills, visits=False).items():
            delta[key] = get(key, 0) + n
        for key, n in before[h].items():
            delta[key] = get(key, 0) - n
    store.write_status(
        out,
        [
            {
                "household_id": h,
                "campaign_id": s,
                "hamlet_id": hamlet_of[h],
                "version": versions[hamlet_of[h]],
                **status_values(state[h][s], skills),
            }
            for h, s in sorted(touched, key=lambda k: (str(k[0]), k[1]))
        ],
    )
    people: dict[int, set[uuid.UUID]] = {}
    skill_rows: list[dict[str, Any]] = []
    for h, p, s, skill in sorted(skill_keys, key=_int_key):
        ps = state[h][s].people[p]
        skill_rows.append(
            {
                "person_id": p,
                "campaign_id": s,
                "skill_id": skill,
                "level": ps.levels[skill],
                "proficient_on": ps.proficient_on.get(skill),
            }
        )
        people.setdefault(versions[hamlet_of[h]], set()).add(p)
    milestone_rows: list[dict[str, Any]] = []
    for h, p, s, m in sorted(milestone_keys, key=_int_key):
        reached: date = state[h][s].people[p].milestones[m]
        milestone_rows.append({"person_id": p, "campaign_id": s, "milestone_id": m, "reached_on": reached})
        people.setdefault(versions[hamlet_of[h]], set()).add(p)
    store.write_person_rows(out, skill_rows, milestone_rows)
    store.bump_people(out, people)
    store.apply_deltas(out, deltas)


def _int_key(key: tuple[uuid.UUID, uuid.UUID, int, str]) -> tuple[int, int, int, str]:
    """A person row's key (household, person, campaign, skill or milestone), sortable in C."""
    return key[0].int, key[1].int, key[2], key[3]
