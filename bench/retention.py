"""Retention at size: `tungnha retention apply [--dry-run]` on 20,000 households past retention (issue 15). Not a test.

    .venv/bin/python bench/retention.py [--households 20000] [--url postgresql://postgres@127.0.0.1:5432/postgres]

On PostgreSQL: creates a throw-away database, migrates it and bulk-loads a province as bench/rollup.py does
(640 hamlets, N households, 3N people, 1.5N visits of a campaign that ended on 10/10/2024), gives every
household a phone and a note, every person a name and birth year, every visit a note and every household
one earlier state in its history, then builds the derived rows through the app's coverage code. Every
household is then past retention (24 months after the campaign, counted from today).

It times, through the same service functions the CLI calls (`app.privacy.retention.plan` and `apply`,
committed as `tungnha retention apply` does):

- the dry run (what would be anonymised, with counts),
- the apply (every household, its people, visits and history blanked, one audit row per household),

beside the baseline measured in the same run on the same rows: the plain UPDATEs that blank the same
columns of the same households, people and visits (rolled back), i.e. the least any anonymisation costs.
Then it checks that no name, address, phone, note or earlier name remains anywhere, that the coverage
and progress reports of the province did not change, and that `coverage verify` finds no difference.
The database is dropped at the end unless --keep. Exit status 1 when a check fails.
"""

import argparse
import os
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import psycopg  # noqa: E402
import rollup  # noqa: E402  (the same province, the same bulk load)
from sqlmodel import Session  # noqa: E402

from app import coverage  # noqa: E402
from app.auth.scope import Scope  # noqa: E402
from app.cli import run_migrations  # noqa: E402
from app.db import make_engine  # noqa: E402
from app.privacy import retention  # noqa: E402
from app.reports import service as reports  # noqa: E402

MONTHS = 24

# What a commune's list and the phones leave on the rows: a name for everyone, a phone and a note on
# households, notes on visits, and one earlier state of each household in its history.
PERSONAL_DATA = """
UPDATE household SET phone = '+8490' || lpad((abs(hashtext(id::text)) % 10000000)::text, 7, '0'),
       note = 'Ghi chú của xã về hộ ' || head_name;
UPDATE person SET full_name = 'Người ' || substr(id::text, 25), birth_year = 1950 + (abs(hashtext(id::text)) % 50),
       sex = CASE WHEN abs(hashtext(id::text)) % 2 = 0 THEN 'female' ELSE 'male' END;
UPDATE visit SET notes = 'Hẹn quay lại, gặp ' || substr(id::text, 25) WHERE outcome <> 'met';
INSERT INTO household_history (household_id, changed_at, previous)
SELECT id, updated_at, json_build_object('hamlet_id', hamlet_id, 'address', address,
       'head_name', 'Tên cũ ' || head_name, 'phone', phone, 'member_count', member_count, 'updated_at', updated_at)
FROM household;
"""

# The least any anonymisation costs: the same columns of the same rows blanked by plain UPDATEs.
BASELINE = """
UPDATE household SET head_name = '', head_name_key = '', address = '', phone = NULL, note = '', latitude = NULL,
       longitude = NULL, erased_at = now(), updated_at = now() WHERE id = ANY(%(ids)s);
UPDATE person SET full_name = NULL, birth_year = NULL, sex = NULL, updated_at = now() WHERE household_id = ANY(%(ids)s);
UPDATE visit SET notes = '' WHERE household_id = ANY(%(ids)s);
UPDATE household_history SET previous = json_build_object('erased', true) WHERE household_id = ANY(%(ids)s);
"""

LEFT_OVER = {
    "household names, addresses, phones, notes": "SELECT count(*) FROM household WHERE head_name <> '' "
    "OR head_name_key <> '' OR address <> '' OR phone IS NOT NULL OR note <> '' OR erased_at IS NULL",
    "people's names, birth years, sex": "SELECT count(*) FROM person WHERE full_name IS NOT NULL "
    "OR birth_year IS NOT NULL OR sex IS NOT NULL",
    "visit notes": "SELECT count(*) FROM visit WHERE notes <> ''",
    "earlier names in history": "SELECT count(*) FROM household_history WHERE previous::text LIKE '%Tên cũ%' "
    "OR previous::text LIKE '%Số %'",
}


def log(msg: str) -> None:
    print(msg, flush=True)


def figures(engine: Any, scope: Scope, tree: rollup.Tree) -> list[Any]:
    """The province's coverage and daily progress, and one commune's coverage, without their timestamps."""
    out = []
    with Session(engine) as s:
        for fn, unit in (
            (reports.coverage, tree.province_id),
            (reports.coverage, tree.commune_ids[0]),
            (reports.progress, tree.province_id),
        ):
            report = fn(s, scope=scope, unit_id=unit, campaign_id=tree.campaign_id)
            dumped = report.model_dump() if hasattr(report, "model_dump") else dict(report)
            dumped.pop("generated_at", None)
            out.append(dumped)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--households", type=int, default=20_000)
    parser.add_argument("--url", default="postgresql://postgres@127.0.0.1:5432/postgres", help="server to use")
    parser.add_argument("--database", default=f"tungnha_bench_retention_{os.getpid()}")
    parser.add_argument("--seed", type=int, default=93)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()
    n = args.households

    url = rollup.fresh_database(args.url, args.database)
    try:
        return run(url, n, args.seed)
    finally:
        if not args.keep:
            rollup.drop_database(args.url, args.database)


def run(url: str, n: int, seed: int) -> int:
    t0 = time.perf_counter()
    run_migrations(url)
    tree = rollup.make_units(url)
    counts = rollup.bulk_load(url, tree, n, n * 3 // 2, seed)
    with psycopg.connect(url) as conn:
        conn.execute(PERSONAL_DATA)
        conn.commit()
    hamlets, differences = rollup.build_aggregates(url)
    log(f"Loaded {', '.join(f'{t} {c:,}' for t, c in counts.items())}, derived rows of {hamlets} hamlets")
    log(f"  in {time.perf_counter() - t0:.1f} s; {differences} difference(s) before retention")
    if differences:
        return 1

    engine = make_engine(url)
    scope = rollup.admin_scope(engine, tree)
    before = figures(engine, scope, tree)
    today = date.today()

    # The dry run, as `tungnha retention apply --dry-run` (read only, rolled back).
    t0 = time.perf_counter()
    with Session(engine) as s:
        plan = retention.plan(s, months=MONTHS, today=today)
        s.rollback()
    t_dry = time.perf_counter() - t0
    ids = plan.household_ids
    log(
        f"Past retention ({MONTHS} months, cut-off {plan.cutoff:%d/%m/%Y}): {len(ids):,} households, "
        f"{plan.people:,} people, {plan.visits:,} visits, in {len(plan.by_commune)} communes"
    )
    if len(ids) != n:
        log(f"  expected all {n:,} households past retention")
        return 1

    # The baseline: the plain UPDATEs of the same rows, rolled back.
    with psycopg.connect(url) as conn:
        t0 = time.perf_counter()
        for statement in filter(str.strip, BASELINE.split(";")):
            conn.execute(statement, {"ids": ids})
        t_base = time.perf_counter() - t0
        conn.rollback()

    # The apply, as `tungnha retention apply` (one transaction, committed).
    t0 = time.perf_counter()
    with Session(engine) as s:
        done = retention.apply(s, months=MONTHS, today=today)
        s.commit()
    t_apply = time.perf_counter() - t0

    log("")
    log(f"{'':34}{'seconds':>10}{'per 1,000 households':>24}")
    for name, seconds in (
        ("dry run (plan)", t_dry),
        ("apply (plan + anonymise + audit)", t_apply),
        ("baseline: plain UPDATEs, same rows", t_base),
    ):
        log(f"{name:34}{seconds:>10.2f}{seconds / n * 1000:>24.3f}")
    log(f"apply / baseline: ×{t_apply / t_base:.1f}")

    ok = len(done.household_ids) == n
    with psycopg.connect(url) as conn:
        for what, sql in LEFT_OVER.items():
            left = conn.execute(sql).fetchone()[0]  # type: ignore[index]
            ok = ok and left == 0
            log(f"  left after apply — {what}: {left}")
        audit = conn.execute("SELECT count(*) FROM audit_log WHERE kind = 'retention'").fetchone()[0]  # type: ignore[index]
        log(f"  audit rows of kind retention: {audit:,}")
        ok = ok and audit == n
    after = figures(engine, scope, tree)
    log(f"  reports unchanged (province and commune coverage, province progress): {'yes' if after == before else 'NO'}")
    with Session(engine) as s:
        differences = len(coverage.verify(s, coverage.hamlets_under(s, None)))
    log(f"  coverage verify after apply: {differences} difference(s)")
    # Again: nothing left to do.
    with Session(engine) as s:
        again = retention.plan(s, months=MONTHS, today=today)
    log(f"  a second dry run finds {len(again.household_ids)} household(s)")
    engine.dispose()
    return 0 if ok and after == before and differences == 0 and not again.household_ids else 1


if __name__ == "__main__":
    sys.exit(main())
