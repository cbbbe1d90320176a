"""After random visits, re-visits, person and household deletions, undeletions and moves, every
aggregate row equals a recomputation from the raw tables (households, people, visits, visit skills
and milestones), written here from the definitions alone."""

import random
import uuid
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text
from sqlmodel import Session

from app.coverage import rollup
from app.models import UnitCoverage
from app.models.aggregates import COVERAGE_COUNTERS
from tests.factories import make_campaign, make_tree, make_user
from tests.reports.build import SKILLS, Field

MILESTONES = ["vneid_level2", "public_service_account", "payment_app", "ecommerce_app"]
OUTCOMES = ["met"] * 6 + ["not_home", "not_home", "declined", "moved"]
FIRST_DAY = date(2024, 9, 28)


def _rows(session: Session, sql: str) -> list[Any]:
    return list(session.connection().execute(text(sql)).all())


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _moment(value: Any) -> datetime:
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def recompute(session: Session) -> dict[str, Counter[tuple[Any, ...]]]:
    """The four aggregate tables as they should be, from raw rows only."""
    paths = dict(_rows(session, "SELECT id, path FROM admin_unit"))
    windows = {cid: (_day(s), _day(e)) for cid, s, e in _rows(session, "SELECT id, starts_on, ends_on FROM campaign")}
    homes = dict(_rows(session, "SELECT id, hamlet_id FROM household WHERE deleted_at IS NULL"))
    people: dict[Any, set[Any]] = defaultdict(set)
    for pid, hid in _rows(session, "SELECT id, household_id FROM person WHERE deleted_at IS NULL"):
        if hid in homes:
            people[hid].add(pid)
    visits = defaultdict(list)
    for vid, hid, cid, on, received, at, outcome in _rows(
        session,
        "SELECT id, household_id, campaign_id, visited_on, received_at, visited_at, outcome FROM visit"
        " WHERE review IS NULL OR review <> 'pending'",  # visits flagged for review count nowhere
    ):
        if hid in homes:
            # The last outcome is the latest call by the phone's clock; ties go to the one received last.
            visits[hid].append((vid, cid, _day(on), (_moment(at), _moment(received), str(vid)), outcome))
    skills_of = defaultdict(list)
    for vid, pid, skill, level in _rows(session, "SELECT visit_id, person_id, skill_id, level FROM visit_skill"):
        skills_of[vid].append((pid, skill, level))
    milestones_of = defaultdict(list)
    for vid, pid, m in _rows(session, "SELECT visit_id, person_id, milestone_id FROM visit_milestone"):
        milestones_of[vid].append((pid, m))

    cov: Counter[tuple[Any, ...]] = Counter()
    skill_rows: Counter[tuple[Any, ...]] = Counter()
    ms_rows: Counter[tuple[Any, ...]] = Counter()
    daily: Counter[tuple[Any, ...]] = Counter()
    for hid, hamlet in homes.items():
        units = [int(p) for p in paths[hamlet].strip("/").split("/")]
        live = people[hid]
        for u in units:
            cov[(u, 0, "households")] += 1
            cov[(u, 0, "people")] += len(live)
        for c in {0} | {cid for _, cid, on, _, _ in visits[hid] if cid and windows[cid][0] <= on <= windows[cid][1]}:
            counted = [v for v in visits[hid] if c == 0 or (v[1] == c and windows[c][0] <= v[2] <= windows[c][1])]
            if not counted:
                continue
            met_days = [on for _, _, on, _, outcome in counted if outcome == "met"]
            last = max(counted, key=lambda v: v[3])[4]
            level: dict[tuple[Any, str], int] = {}
            proficient_on: dict[tuple[Any, str], date] = {}
            reached: dict[tuple[Any, str], date] = {}
            for vid, _, on, _, _ in counted:
                for pid, skill, lv in skills_of[vid]:
                    if pid in live:
                        level[(pid, skill)] = max(level.get((pid, skill), 0), lv)
                        if lv >= 2:
                            proficient_on[(pid, skill)] = min(proficient_on.get((pid, skill), on), on)
                for pid, m in milestones_of[vid]:
                    if pid in live:
                        reached[(pid, m)] = min(reached.get((pid, m), on), on)
            taught = {pid for pid, _ in level}
            all_five = {
                pid: max(proficient_on[(pid, s)] for s in SKILLS)
                for pid in live
                if all((pid, s) in proficient_on for s in SKILLS)
            }
            order = sorted(all_five.values())
            for u in units:
                cov[(u, c, "visits")] += len(counted)
                for _, _, on, _, _ in counted:
                    daily[(u, c, on, "visits")] += 1
                if met_days:
                    cov[(u, c, "households_visited")] += 1
                    daily[(u, c, min(met_days), "households_visited")] += 1
                if last != "met":
                    cov[(u, c, f"households_{last}")] += 1
                for k in (1, 2):
                    if len(order) >= k:
                        cov[(u, c, f"households_covered_{k}")] += 1
                        daily[(u, c, order[k - 1], f"households_covered_{k}")] += 1
                cov[(u, c, "people_taught")] += len(taught)
                cov[(u, c, "people_proficient_all")] += len(all_five)
                for on in all_five.values():
                    daily[(u, c, on, "people_proficient_all")] += 1
                for (_, skill), lv in level.items():
                    skill_rows[(u, c, skill, "people_taught")] += 1
                    skill_rows[(u, c, skill, "people_proficient")] += lv >= 2
                for _, m in reached:
                    ms_rows[(u, c, m)] += 1
    return {"cov": +cov, "skill": +skill_rows, "ms": +ms_rows, "day": +daily}


def stored(session: Session) -> dict[str, Counter[tuple[Any, ...]]]:
    """The aggregate rows as stored: hamlet rows only, each added here to every unit above it."""
    paths = dict(_rows(session, "SELECT id, path FROM admin_unit"))
    levels = dict(_rows(session, "SELECT id, level FROM admin_unit"))

    def chain(unit_id: int) -> list[int]:
        assert levels[unit_id] == "hamlet", f"an aggregate row stored for the {levels[unit_id]} {unit_id}"
        return [int(p) for p in paths[unit_id].strip("/").split("/")]

    cov_cols = list(COVERAGE_COUNTERS)
    day_cols = ["visits", "households_visited", "households_covered_1", "households_covered_2", "people_proficient_all"]
    cov: Counter[tuple[Any, ...]] = Counter()
    for row in _rows(session, f"SELECT unit_id, campaign_id, {', '.join(cov_cols)} FROM unit_coverage"):
        for u in chain(row[0]):
            for name, n in zip(cov_cols, row[2:], strict=True):
                cov[(u, row[1], name)] += n
    skill_rows: Counter[tuple[Any, ...]] = Counter()
    for h, c, s, taught, proficient in _rows(
        session, "SELECT unit_id, campaign_id, skill_id, people_taught, people_proficient FROM unit_skill"
    ):
        for u in chain(h):
            skill_rows[(u, c, s, "people_taught")] += taught
            skill_rows[(u, c, s, "people_proficient")] += proficient
    ms_rows: Counter[tuple[Any, ...]] = Counter()
    for h, c, m, n in _rows(session, "SELECT unit_id, campaign_id, milestone_id, people FROM unit_milestone"):
        for u in chain(h):
            ms_rows[(u, c, m)] += n
    daily: Counter[tuple[Any, ...]] = Counter()
    for row in _rows(session, f"SELECT unit_id, campaign_id, day, {', '.join(day_cols)} FROM unit_daily"):
        for u in chain(row[0]):
            for name, n in zip(day_cols, row[3:], strict=True):
                daily[(u, row[1], _day(row[2]), name)] += n
    # A zero is the same as no row; a negative count is always a bug and stays visible.
    return {
        k: Counter({key: n for key, n in v.items() if n != 0})
        for k, v in {"cov": cov, "skill": skill_rows, "ms": ms_rows, "day": daily}.items()
    }


def read_back(session: Session) -> dict[str, Counter[tuple[Any, ...]]]:
    """The coverage rows of every unit as the reports read them (app.coverage.rollup)."""
    units = [u for (u,) in _rows(session, "SELECT id FROM admin_unit")]
    cov: Counter[tuple[Any, ...]] = Counter()
    for r in rollup.rows(session, UnitCoverage, units):
        for name in COVERAGE_COUNTERS:
            if getattr(r, name):
                cov[(r.unit_id, r.campaign_id, name)] = getattr(r, name)
    return {"cov": cov}


def assert_matches(session: Session) -> dict[str, Counter[tuple[Any, ...]]]:
    """Stored aggregates (and the roll-ups read from them) equal the recomputation; returns it."""
    expected, actual = recompute(session), stored(session)
    for table in ("cov", "skill", "ms", "day"):
        diff = {k: (actual[table].get(k, 0), n) for k, n in expected[table].items() if actual[table].get(k, 0) != n}
        diff |= {k: (n, 0) for k, n in actual[table].items() if k not in expected[table]}
        assert not diff, f"{table}: (stored, recomputed) {sorted(diff.items(), key=str)[:10]}"
    assert read_back(session)["cov"] == expected["cov"]
    return expected


@pytest.mark.parametrize("seed", [1, 2])
def test_random_field_work_keeps_every_aggregate_equal_to_the_raw_rows(session: Session, seed: int) -> None:
    rng = random.Random(seed)
    tree = make_tree(session)
    hamlets = [tree.hamlet, tree.other_hamlet, tree.hamlet_of_other_commune, tree.far_hamlet]
    admin = make_user(session, "admin")
    province_wide = make_campaign(session, unit=tree.province, threshold=1)
    district_only = make_campaign(
        session, unit=tree.district, threshold=2, starts_on=date(2024, 10, 5), ends_on=date(2024, 10, 15)
    )
    f = Field(session, admin)
    live: dict[uuid.UUID, list[uuid.UUID]] = {}
    deleted: set[uuid.UUID] = set()
    hamlet_of: dict[uuid.UUID, Any] = {}

    def new_household() -> None:
        hamlet = rng.choice(hamlets)
        hid = f.household(hamlet, head=f"Hộ {len(hamlet_of)}")
        hamlet_of[hid] = hamlet
        live[hid] = [f.person(hid) for _ in range(rng.randint(0, 3))]

    for _ in range(6):
        new_household()
    for _ in range(110):
        op = rng.random()
        hid = rng.choice(list(live)) if live else None
        if hid is None or op < 0.08:
            new_household()
        elif op < 0.14:
            live[hid].append(f.person(hid))
        elif op < 0.19 and live[hid]:
            pid = live[hid].pop(rng.randrange(len(live[hid])))
            f.delete_person(hid, pid)
        elif op < 0.23:
            f.update_household(hid, deleted=True)
            deleted.add(hid)
            del live[hid]
        elif op < 0.25 and deleted:
            back = rng.choice(sorted(deleted, key=list(hamlet_of).index))
            f.update_household(back, deleted=False)
            deleted.discard(back)
            live[back] = []  # its people are still there, but none new are tracked for visits
        elif op < 0.29:
            hamlet = rng.choice(hamlets)
            f.update_household(hid, hamlet_id=hamlet.id)
            hamlet_of[hid] = hamlet
        else:
            campaigns = [None, province_wide]
            if hamlet_of[hid].path.startswith(tree.district.path):
                campaigns.append(district_only)
            outcome = rng.choice(OUTCOMES)
            skills: dict[uuid.UUID, dict[str, str]] = {}
            milestones: dict[uuid.UUID, list[str]] = {}
            if outcome == "met":
                for pid in live[hid]:
                    kind = rng.random()
                    if kind < 0.25:
                        skills[pid] = dict.fromkeys(SKILLS, "proficient")
                    elif kind < 0.85:
                        chosen = rng.sample(SKILLS, rng.randint(1, 5))
                        skills[pid] = {s: rng.choice(["taught", "proficient", "proficient"]) for s in chosen}
                    if rng.random() < 0.3:
                        milestones[pid] = rng.sample(MILESTONES, rng.randint(1, 2))
            f.visit(
                hid,
                FIRST_DAY + timedelta(days=rng.randint(0, 20)),
                outcome,
                campaign=rng.choice(campaigns),
                skills=skills,
                milestones=milestones,
                hour=rng.randint(7, 18),
            )
    session.flush()
    expected = assert_matches(session)
    # The scenario must have exercised what it claims to.
    assert expected["cov"][(tree.province.id, province_wide.id, "households_covered_1")] > 0
    assert expected["cov"][(tree.district.id, district_only.id, "households_visited")] > 0
    assert any(k[3] == "households_covered_2" for k in expected["day"])
    assert session.connection().execute(text("SELECT count(*) FROM household WHERE deleted_at IS NOT NULL")).scalar()
