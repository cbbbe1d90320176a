"""Report roll-ups on a province of 1,000,000 households (issue 5, item 6). Not a test.

    .venv/bin/python bench/rollup.py [--households 1000000] [--url postgresql://postgres@127.0.0.1:5432/postgres]

On PostgreSQL: creates a fresh database, migrates it, bulk-loads (COPY through psycopg) one province
— 8 districts, 80 communes, 640 hamlets — with N households, 3N people and 1.5N visits (the skill and
milestone rows of each visit included), then builds every derived row through the app's own
coverage code (`coverage.rebuild_hamlets`, as `tungnha coverage rebuild` does: only hamlet rows are
stored, units above are summed from them when read) and checks them with `coverage.verify` (that is
the load, not the read; it takes minutes at 1,000,000). Then it times, p50 over many runs, through the
service functions the API calls:

- the province's coverage by child unit (district),  target p50 ≤ 50 ms
- one commune's coverage (by hamlet),                  target p50 ≤ 50 ms
- the province's daily progress over the campaign,     target p50 ≤ 50 ms

and in the same run the naive baseline, warm like the aggregate side: the same figures by GROUP BY
over the raw tables (households, people, visits, visit skills), checked equal to the aggregates, and
the ratio. Last, the
time to export the province's coverage to xlsx (queries, workbook and export log). The database is
dropped at the end unless --keep. Exit status 1 when a target is missed or the figures disagree.
"""

import argparse
import os
import random
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
from sqlmodel import Session  # noqa: E402

from app import coverage  # noqa: E402
from app.auth import service as auth  # noqa: E402
from app.auth.scope import Scope  # noqa: E402
from app.cli import run_migrations  # noqa: E402
from app.db import make_engine  # noqa: E402
from app.models import Campaign  # noqa: E402
from app.reports import service as reports  # noqa: E402
from app.units.service import create_unit  # noqa: E402

SKILLS = ["public_services", "online_shopping", "online_payment", "online_safety", "digital_platforms"]
MILESTONES = ["vneid_level2", "public_service_account", "payment_app", "ecommerce_app"]
DISTRICTS, COMMUNES_PER_DISTRICT, HAMLETS_PER_COMMUNE = 8, 10, 8
PEOPLE_PATTERN = [3, 2, 4, 3, 1, 5, 3, 3, 2, 4]  # three people per household on average
STARTS, ENDS = date(2024, 10, 1), date(2024, 10, 10)
TARGET_MS = 50.0


def log(msg: str) -> None:
    print(msg, flush=True)


def uid(kind: int, n: int) -> str:
    # Ordered ids: COPY appends to the primary-key b-trees instead of splitting pages at random.
    return f"{kind:08x}-0000-4000-8000-{n:012x}"


def fresh_database(base_url: str, name: str) -> str:
    parts = urlsplit(base_url.replace("postgresql+psycopg://", "postgresql://"))
    admin = parts.geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return parts._replace(path=f"/{name}").geturl()


def drop_database(base_url: str, name: str) -> None:
    admin = urlsplit(base_url.replace("postgresql+psycopg://", "postgresql://")).geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class Tree:
    def __init__(self) -> None:
        self.province_id = 0
        self.district_ids: list[int] = []
        self.commune_ids: list[int] = []
        self.hamlet_ids: list[int] = []
        self.admin_id = 0
        self.campaign_id = 0


def make_units(url: str) -> Tree:
    """The province, its districts, communes and hamlets, an admin and the campaign (a few hundred rows)."""
    tree = Tree()
    engine = make_engine(url)
    with Session(engine) as s:
        province = create_unit(s, scheme="vn2004", level="province", code="93", name="Tỉnh Hậu Giang", parent=None)
        tree.province_id = province.id or 0
        for d in range(DISTRICTS):
            district = create_unit(
                s, scheme="vn2004", level="district", code=f"{930 + d}", name=f"Huyện {d + 1}", parent=province
            )
            tree.district_ids.append(district.id or 0)
            for c in range(COMMUNES_PER_DISTRICT):
                code = f"{31300 + d * COMMUNES_PER_DISTRICT + c}"
                commune = create_unit(
                    s, scheme="vn2004", level="commune", code=code, name=f"Xã {d + 1}.{c + 1}", parent=district
                )
                tree.commune_ids.append(commune.id or 0)
                for h in range(HAMLETS_PER_COMMUNE):
                    hamlet = create_unit(
                        s,
                        scheme="vn2004",
                        level="hamlet",
                        code=f"{code}-{h + 1:02d}",
                        name=f"Ấp {h + 1}",
                        parent=commune,
                    )
                    tree.hamlet_ids.append(hamlet.id or 0)
        admin = auth.create_user(
            s, phone="0900000001", full_name="Quản trị", password="bench-mat-khau", role="admin", unit_id=None
        )
        tree.admin_id = admin.id or 0
        campaign = Campaign(
            name="Chiến dịch đi từng ngõ, gõ từng nhà 2024",
            unit_id=tree.province_id,
            starts_on=STARTS,
            ends_on=ENDS,
            covered_threshold=1,
        )
        s.add(campaign)
        s.flush()
        tree.campaign_id = campaign.id or 0
        s.commit()
    engine.dispose()
    return tree


COPY_COLUMNS = {
    "household": "id, hamlet_id, province_code, address, head_name, head_name_key, member_count, created_at, "
    "updated_at, version",
    "person": "id, household_id, hamlet_id, created_at, updated_at, version",
    "visit": "id, household_id, hamlet_id, volunteer_id, campaign_id, visited_at, visited_on, received_at, outcome, "
    "consent_given, notes, content_hash, version",
    "visit_skill": "visit_id, person_id, skill_id, level",
    "visit_milestone": "visit_id, person_id, milestone_id",
}
HOUSEHOLD, PERSON, VISIT, VISIT_SKILL, VISIT_MILESTONE = range(5)


def generate(
    tree: Tree, households: int, visits_target: int, seed: int, emit: Callable[[list[list[str]]], None]
) -> None:
    """COPY text for every raw row, household by household, handed to `emit` in chunks (one list per table).

    85% of households get a first visit (80% met), the rest of the visits are revisits spread at random;
    90% of visited households are visited in the campaign's window, 10% only before it (no campaign).
    At a met visit the first one or two people are taught all five skills (sometimes three), each
    proficient with probability 0.55 on a first visit and 0.8 on a revisit.
    """
    rng = random.Random(seed)
    rand = rng.random
    hamlets = tree.hamlet_ids
    visited = [i for i in range(households) if rand() < 0.85]
    revisits = Counter(rng.choices(visited, k=max(visits_target - len(visited), 0)))
    visited_set = set(visited)
    person_no = visit_no = 0
    now = "2024-10-11 00:00:00+00"
    admin, campaign_id = tree.admin_id, tree.campaign_id
    out: list[list[str]] = [[] for _ in range(5)]
    for i in range(households):
        hamlet = hamlets[i * len(hamlets) // households]
        hid = uid(1, i)
        n_people = PEOPLE_PATTERN[i % len(PEOPLE_PATTERN)]
        out[HOUSEHOLD].append(
            f"{hid}\t{hamlet}\t93\tSố {i % 400 + 1}, ấp {hamlet}\tHộ {i}\tho {i}\t{n_people}\t{now}\t{now}\t0\n"
        )
        people = [uid(2, person_no + k) for k in range(n_people)]
        person_no += n_people
        out[PERSON].append("".join(f"{pid}\t{hid}\t{hamlet}\t{now}\t{now}\t0\n" for pid in people))
        if i in visited_set:
            count = 1 + revisits.get(i, 0)
            if rand() < 0.9:
                first_day = rng.randint(1, 7)
                days = [(10, first_day), *sorted((10, rng.randint(first_day, 10)) for _ in range(count - 1))]
                campaign = str(campaign_id)
            else:
                first_day = rng.randint(10, 25)
                days = sorted((9, rng.randint(first_day, 30)) for _ in range(count))
                campaign = "\\N"
            for n, (month, day) in enumerate(days):
                vid = uid(3, visit_no)
                visit_no += 1
                r = rand()
                if n == 0:
                    outcome = "met" if r < 0.8 else "not_home" if r < 0.95 else "declined"
                else:
                    outcome = "met" if r < 0.85 else "not_home" if r < 0.95 else "declined" if r < 0.98 else "moved"
                minute = rng.randint(0, 599)
                hh, mm = 8 + minute // 60, minute % 60
                on = f"2024-{month:02d}-{day:02d}"
                out[VISIT].append(
                    f"{vid}\t{hid}\t{hamlet}\t{admin}\t{campaign}\t{on} {hh:02d}:{mm:02d}:00+07\t{on}\t"
                    f"{on} {hh + 1:02d}:{mm:02d}:{n:02d}+07\t{outcome}\tt\t\tbench\t0\n"
                )
                if outcome != "met" or not people:
                    continue
                taught = people[:2] if (n > 0 or rand() < 0.25) else people[:1]
                p_proficient = 0.8 if n > 0 else 0.55
                for pid in taught:
                    skills = SKILLS if rand() < 0.8 else rng.sample(SKILLS, 3)
                    out[VISIT_SKILL].append(
                        "".join(f"{vid}\t{pid}\t{skill}\t{2 if rand() < p_proficient else 1}\n" for skill in skills)
                    )
                    if rand() < 0.3:
                        out[VISIT_MILESTONE].append(f"{vid}\t{pid}\t{rng.choice(MILESTONES)}\n")
        if i % 20_000 == 19_999:
            emit(out)
            out = [[] for _ in range(5)]
    emit(out)


def bulk_load(url: str, tree: Tree, households: int, visits: int, seed: int) -> dict[str, int]:
    """One connection and one COPY per table, all open at once, fed by a single pass of the generator:
    the server parses and indexes while Python generates (two cores busy)."""
    tables = list(COPY_COLUMNS)
    conns = [psycopg.connect(url) for _ in tables]
    counts = dict.fromkeys(tables, 0)
    copies = []
    try:
        for conn in conns:
            # The rows are consistent by construction: skip the per-row foreign-key triggers (superuser).
            conn.execute("SET session_replication_role = replica")
        for table, conn in zip(tables, conns, strict=True):
            copies.append(conn.cursor().copy(f"COPY {table} ({COPY_COLUMNS[table]}) FROM STDIN"))
        writers = [c.__enter__() for c in copies]

        def emit(chunks: list[list[str]]) -> None:
            for table, writer, chunk in zip(tables, writers, chunks, strict=True):
                if chunk:
                    text = "".join(chunk)
                    counts[table] += text.count("\n")
                    writer.write(text)

        generate(tree, households, visits, seed, emit)
        for copy, conn in zip(copies, conns, strict=True):
            copy.__exit__(None, None, None)
            conn.commit()
    finally:
        for conn in conns:
            conn.close()
    return counts


# The aggregate rows, computed once at load time from the raw rows. Every household and person of
# the bench is live and there is one campaign ({c}), so each GROUP BY computes all time (scope 0) and the
# campaign side by side and unpivots only once the rows are few (per household, per hamlet).
def build_aggregates(url: str) -> tuple[int, int]:
    """Every derived row (person skills and milestones, household status, the hamlets' aggregate rows)
    through the app's own coverage code, as `tungnha coverage rebuild` does; then `verify` checks them
    against a second recomputation. Returns (hamlets rebuilt, differences found)."""
    engine = make_engine(url)
    with Session(engine) as session:
        hamlets = coverage.hamlets_under(session, None)
        coverage.rebuild_hamlets(session, hamlets)
        session.commit()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("ANALYZE")
    with Session(engine) as session:
        differences = coverage.verify(session, hamlets)
    engine.dispose()
    for line in differences[:10]:
        log(f"  {line}")
    return len(hamlets), len(differences)


# The naive baseline: the same figures straight from the raw rows, at request time.
NAIVE_COVERAGE = """
WITH ch AS (SELECT id, path FROM admin_unit WHERE parent_id = %(unit)s),
hm AS (SELECT h.id AS hamlet_id, ch.id AS child_id
       FROM admin_unit h JOIN ch ON h.path LIKE ch.path || '%%' WHERE h.level = 'hamlet'),
hh AS (SELECT h.id, hm.child_id FROM household h JOIN hm ON h.hamlet_id = hm.hamlet_id WHERE h.deleted_at IS NULL),
v AS (SELECT v.id, v.household_id, v.outcome FROM visit v JOIN hh ON hh.id = v.household_id
      WHERE v.campaign_id = %(campaign)s AND v.visited_on BETWEEN %(starts)s AND %(ends)s),
ps AS (SELECT vs.person_id, vs.skill_id, max(vs.level) AS level
       FROM visit_skill vs JOIN v ON v.id = vs.visit_id GROUP BY 1, 2),
pp AS (SELECT person_id, count(*) FILTER (WHERE level = 2) = 5 AS all5 FROM ps GROUP BY 1),
hp AS (SELECT p.household_id, count(*) AS taught, count(*) FILTER (WHERE pp.all5) AS proficient
       FROM pp JOIN person p ON p.id = pp.person_id AND p.deleted_at IS NULL GROUP BY 1),
hv AS (SELECT household_id, count(*) AS visits, bool_or(outcome = 'met') AS visited FROM v GROUP BY 1)
SELECT hh.child_id, count(*) AS households,
       count(*) FILTER (WHERE hv.visited) AS visited,
       count(*) FILTER (WHERE hp.proficient >= %(threshold)s) AS covered,
       coalesce(sum(hv.visits), 0) AS visits,
       coalesce(sum(hp.taught), 0) AS people_taught,
       coalesce(sum(hp.proficient), 0) AS people_proficient_all
FROM hh LEFT JOIN hv ON hv.household_id = hh.id LEFT JOIN hp ON hp.household_id = hh.id
GROUP BY 1 ORDER BY 1
"""
NAIVE_SKILLS = """
WITH hm AS (SELECT h.id AS hamlet_id FROM admin_unit h, admin_unit u
            WHERE u.id = %(unit)s AND h.path LIKE u.path || '%%' AND h.level = 'hamlet'),
v AS (SELECT v.id FROM visit v JOIN household h ON h.id = v.household_id JOIN hm ON hm.hamlet_id = h.hamlet_id
      WHERE h.deleted_at IS NULL AND v.campaign_id = %(campaign)s AND v.visited_on BETWEEN %(starts)s AND %(ends)s),
ps AS (SELECT vs.person_id, vs.skill_id, max(vs.level) AS level
       FROM visit_skill vs JOIN v ON v.id = vs.visit_id GROUP BY 1, 2)
SELECT skill_id, count(*), count(*) FILTER (WHERE level = 2) FROM ps GROUP BY 1 ORDER BY 1
"""
NAIVE_PROGRESS = """
WITH hm AS (SELECT h.id AS hamlet_id FROM admin_unit h, admin_unit u
            WHERE u.id = %(unit)s AND h.path LIKE u.path || '%%' AND h.level = 'hamlet'),
v AS (SELECT v.id, v.household_id, v.visited_on, v.outcome
      FROM visit v JOIN household h ON h.id = v.household_id JOIN hm ON hm.hamlet_id = h.hamlet_id
      WHERE h.deleted_at IS NULL AND v.campaign_id = %(campaign)s AND v.visited_on BETWEEN %(starts)s AND %(ends)s),
first_met AS (SELECT household_id, min(visited_on) AS day FROM v WHERE outcome = 'met' GROUP BY 1),
pd AS (SELECT vs.person_id, vs.skill_id, min(v.visited_on) FILTER (WHERE vs.level = 2) AS day
       FROM visit_skill vs JOIN v ON v.id = vs.visit_id GROUP BY 1, 2),
p5 AS (SELECT person_id, max(day) AS day FROM pd GROUP BY 1 HAVING count(day) = 5),
hc AS (SELECT p.household_id, (array_agg(p5.day ORDER BY p5.day))[%(threshold)s::int] AS day
       FROM p5 JOIN person p ON p.id = p5.person_id GROUP BY 1)
SELECT d::date AS day, coalesce(a.n, 0), coalesce(b.n, 0), coalesce(c.n, 0), coalesce(e.n, 0)
FROM generate_series(%(starts)s::date, %(ends)s::date, interval '1 day') AS d
LEFT JOIN (SELECT visited_on AS day, count(*) AS n FROM v GROUP BY 1) a ON a.day = d::date
LEFT JOIN (SELECT day, count(*) AS n FROM first_met GROUP BY 1) b ON b.day = d::date
LEFT JOIN (SELECT day, count(*) AS n FROM hc WHERE day IS NOT NULL GROUP BY 1) c ON c.day = d::date
LEFT JOIN (SELECT day, count(*) AS n FROM p5 GROUP BY 1) e ON e.day = d::date
ORDER BY 1
"""


def admin_scope(engine: Any, tree: Tree) -> Scope:
    """The scope of the tree's administrator, who reads every unit (its user detached from any session)."""
    from app.models import User

    with Session(engine) as s:
        admin = s.get(User, tree.admin_id)
        assert admin is not None
        s.expunge(admin)
    return Scope(user=admin, is_admin=True)


def timed(fn: Callable[[], Any], repeats: int, warmup: int = 2) -> tuple[float, Any]:
    """p50 in milliseconds, and the last result."""
    result = None
    for _ in range(warmup):
        result = fn()
    samples = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = fn()
        samples.append((time.perf_counter() - t0) * 1000)
    return statistics.median(samples), result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--households", type=int, default=1_000_000)
    parser.add_argument("--url", default="postgresql://postgres@127.0.0.1:5432/postgres", help="server to use")
    parser.add_argument("--database", default=f"tungnha_bench_rollup_{os.getpid()}")
    parser.add_argument("--repeats", type=int, default=50, help="runs per aggregate read")
    parser.add_argument(
        "--naive-repeats", type=int, default=1, help="runs per naive province read (tens of seconds each)"
    )
    parser.add_argument("--seed", type=int, default=93)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument(
        "--verify", action="store_true", help="also compare every aggregate row with the tests' recomputation (small N)"
    )
    args = parser.parse_args()
    n = args.households
    visits_target = n * 3 // 2

    t_start = time.perf_counter()
    url = fresh_database(args.url, args.database)
    run_migrations(url)
    tree = make_units(url)
    t0 = time.perf_counter()
    counts = bulk_load(url, tree, n, visits_target, args.seed)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("ANALYZE")
    t_copy = time.perf_counter() - t0
    t0 = time.perf_counter()
    hamlets, differences = build_aggregates(url)
    t_aggregates = time.perf_counter() - t0
    log(f"Loaded {', '.join(f'{t} {c:,}' for t, c in counts.items())}")
    log(
        f"  COPY of raw rows: {t_copy:.1f} s; derived rows of {hamlets} hamlets by coverage rebuild + verify:"
        f" {t_aggregates:.1f} s, {differences} difference(s)"
    )
    if differences:
        return 1

    engine = make_engine(url)
    if args.verify:
        from tests.reports.test_aggregates_match_raw import recompute, stored

        with Session(engine) as s:
            same = recompute(s) == stored(s)
        log(f"  every aggregate row equals the recomputation from raw rows: {'yes' if same else 'NO'}")
        if not same:
            return 1
    scope = admin_scope(engine, tree)
    campaign_id, province, commune = tree.campaign_id, tree.province_id, tree.commune_ids[0]

    def via_service(fn: Callable[..., Any], unit: int) -> Callable[[], Any]:
        def run() -> Any:
            with Session(engine) as s:
                return fn(s, scope=scope, unit_id=unit, campaign_id=campaign_id)

        return run

    cases = [
        ("province coverage by district", reports.coverage, province),
        ("one commune's coverage by hamlet", reports.coverage, commune),
        ("province daily progress", reports.progress, province),
    ]
    fast: dict[str, tuple[float, Any]] = {}
    for name, fn, unit in cases:
        fast[name] = timed(via_service(fn, unit), args.repeats)

    params = {"campaign": campaign_id, "starts": STARTS, "ends": ENDS, "threshold": 1}
    naive_conn = psycopg.connect(url, autocommit=True)
    naive_conn.execute("SET work_mem = '64MB'")

    def naive_coverage(unit: int) -> Callable[[], Any]:
        def run() -> Any:
            rows = naive_conn.execute(NAIVE_COVERAGE, {**params, "unit": unit}).fetchall()
            skills = naive_conn.execute(NAIVE_SKILLS, {**params, "unit": unit}).fetchall()
            return rows, skills

        return run

    def naive_progress(unit: int) -> Callable[[], Any]:
        return lambda: naive_conn.execute(NAIVE_PROGRESS, {**params, "unit": unit}).fetchall()

    naive = {
        # Warm, as the aggregate reads are: one run first fills the caches.
        "province coverage by district": timed(naive_coverage(province), args.naive_repeats, warmup=1),
        "one commune's coverage by hamlet": timed(naive_coverage(commune), max(3, args.naive_repeats), warmup=1),
        "province daily progress": timed(naive_progress(province), args.naive_repeats, warmup=1),
    }
    naive_conn.close()

    agree = check_agreement(fast, naive)

    def export() -> int:
        with Session(engine) as s:
            f = reports.export(
                s,
                actor=scope.user,
                scope=scope,
                kind="coverage",
                file_format="xlsx",
                unit_id=province,
                campaign_id=campaign_id,
            )
            s.rollback()
            return len(f.content)

    export_ms, size = timed(export, 5, warmup=1)
    engine.dispose()

    log("")
    log(f"{'read (campaign of 10 days)':36} {'aggregates p50':>15} {'naive p50':>12} {'ratio':>8}  target")
    ok = agree
    for name, _, _ in cases:
        fast_ms, naive_ms = fast[name][0], naive[name][0]
        met = fast_ms <= TARGET_MS
        ok &= met
        log(
            f"{name:36} {fast_ms:12.1f} ms {naive_ms:9.0f} ms {naive_ms / fast_ms:7.0f}×  "
            f"≤ {TARGET_MS:.0f} ms {'ok' if met else 'MISSED'}"
        )
    log(f"province coverage to xlsx (4 sheets, {size / 1024:.0f} KB): p50 {export_ms:.0f} ms")
    log(f"aggregates and naive GROUP BYs agree: {'yes' if agree else 'NO'}")
    log(f"total run {time.perf_counter() - t_start:.0f} s")
    if not args.keep:
        drop_database(args.url, args.database)
    return 0 if ok else 1


def check_agreement(fast: dict[str, tuple[float, Any]], naive: dict[str, tuple[float, Any]]) -> bool:
    ok = True
    for name in ("province coverage by district", "one commune's coverage by hamlet"):
        report = fast[name][1]
        rows, skills = naive[name][1]
        mine = [
            (
                c.unit.id,
                c.households,
                c.households_visited,
                c.households_covered,
                c.visits,
                c.people_taught,
                c.people_proficient_all,
            )
            for c in report.children
            if c.households
        ]
        if mine != [tuple(r) for r in rows]:
            log(f"DISAGREE {name}: {mine[:2]} vs {rows[:2]}")
            ok = False
        mine_skills = sorted((s.skill_id, s.people_taught, s.people_proficient) for s in report.totals.skills)
        if mine_skills != [tuple(r) for r in skills]:
            log(f"DISAGREE {name} skills: {mine_skills} vs {skills}")
            ok = False
    progress = fast["province daily progress"][1]
    mine_days = [
        (d.day, d.visits, d.households_visited, d.households_covered, d.people_proficient_all) for d in progress.days
    ]
    if mine_days != [tuple(r) for r in naive["province daily progress"][1]]:
        log(f"DISAGREE progress: {mine_days[:3]} vs {naive['province daily progress'][1][:3]}")
        ok = False
    return ok


if __name__ == "__main__":
    sys.exit(main())
