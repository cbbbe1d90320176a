"""The same province read in the pre-2025 tree and in the 2025 tree (issue 13, item 5). Not a test.

    .venv/bin/python bench/schemes.py [--households 100000] [--url postgresql://postgres@127.0.0.1:5432/postgres]

Loads the province of `bench/rollup.py` (8 districts, 80 communes, 640 hamlets, N households, 1.5N
visits, its aggregate rows) into a fresh PostgreSQL database, then lays a 2025 tree over it: one 2025
province of 30 communes; 70 old communes go whole into one of them (two or three each), 10 are split
between two, and the hamlets of 8 of those are assigned (half to each) while 2 stay "chưa phân bổ".

Then, p50 over many runs through the service functions the API calls, side by side in the same run:
the province's coverage (vn2004 by district, vn2025 by commune), a commune's coverage by hamlet, the
province's daily progress, and the province's coverage with the forces deployed. The vn2025 figures
are checked equal to the vn2004 ones (totals, per day). Exit status 1 when they differ.
"""

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import psycopg  # noqa: E402
from rollup import admin_scope, build_aggregates, bulk_load, drop_database, fresh_database, log, make_units, timed  # noqa: E402
from sqlmodel import Session, col, select  # noqa: E402

from app.cli import run_migrations  # noqa: E402
from app.db import make_engine  # noqa: E402
from app.models import AdminUnit, HamletAssignment, UnitConversion  # noqa: E402
from app.reports import schemes  # noqa: E402
from app.units.service import create_unit  # noqa: E402

NEW_COMMUNES, SPLIT, UNASSIGNED = 30, 10, 2


def lay_2025_tree(url: str, old_commune_ids: list[int]) -> tuple[int, list[int]]:
    """The 2025 province and its communes over the loaded old province; returns their ids."""
    engine = make_engine(url)
    with Session(engine) as s:
        province = create_unit(s, scheme="vn2025", level="province", code="92", name="Thành phố Cần Thơ", parent=None)
        communes = [
            create_unit(
                s, scheme="vn2025", level="commune", code=f"{31500 + i}", name=f"Xã mới {i + 1}", parent=province
            )
            for i in range(NEW_COMMUNES)
        ]
        new_ids = [c.id or 0 for c in communes]
        split = old_commune_ids[:SPLIT]
        for n, old_id in enumerate(old_commune_ids):
            target = new_ids[n % NEW_COMMUNES]
            if old_id in split:
                pair = (target, new_ids[(n + 1) % NEW_COMMUNES])
                for new_id in pair:
                    s.add(UnitConversion(old_unit_id=old_id, new_unit_id=new_id, partly_merged=True))
                if n < SPLIT - UNASSIGNED:
                    hamlets = s.exec(
                        select(AdminUnit.id).where(AdminUnit.parent_id == old_id).order_by(col(AdminUnit.id))
                    ).all()
                    for h, hamlet_id in enumerate(hamlets):
                        s.add(HamletAssignment(hamlet_id=hamlet_id or 0, commune_id=pair[h % 2]))
            else:
                s.add(UnitConversion(old_unit_id=old_id, new_unit_id=target, partly_merged=False))
        s.commit()
        province_id = province.id or 0
    engine.dispose()
    return province_id, new_ids


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--households", type=int, default=100_000)
    parser.add_argument("--url", default="postgresql://postgres@127.0.0.1:5432/postgres", help="server to use")
    parser.add_argument("--database", default="tungnha_bench_schemes")
    parser.add_argument("--repeats", type=int, default=30, help="runs per read")
    parser.add_argument("--seed", type=int, default=93)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()

    t_start = time.perf_counter()
    url = fresh_database(args.url, args.database)
    run_migrations(url)
    tree = make_units(url)
    counts = bulk_load(url, tree, args.households, args.households * 3 // 2, args.seed)
    _, differences = build_aggregates(url)  # through the app's coverage code, checked by `verify`
    if differences:
        log(f"{differences} difference(s) between the aggregates and the raw rows")
        return 1
    new_province, new_communes = lay_2025_tree(url, tree.commune_ids)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("ANALYZE")
    log(f"Loaded {', '.join(f'{t} {c:,}' for t, c in counts.items())} in {time.perf_counter() - t_start:.0f} s")

    engine = make_engine(url)
    scope = admin_scope(engine, tree)

    def run(fn: Callable[..., Any], unit: int, **extra: Any) -> Callable[[], Any]:
        def go() -> Any:
            with Session(engine) as s:
                return fn(s, scope=scope, unit_id=unit, campaign_id=tree.campaign_id, **extra)

        return go

    cases = [
        ("province coverage", (tree.province_id, new_province), {}),
        ("a commune's coverage by hamlet", (tree.commune_ids[SPLIT], new_communes[0]), {}),
        ("province daily progress", (tree.province_id, new_province), {"progress": True}),
        ("province coverage with forces", (tree.province_id, new_province), {"with_forces": True}),
    ]
    log("")
    log(f"{'read (campaign of 10 days)':32} {'vn2004 p50':>11} {'vn2025 p50':>11}")
    results: dict[str, tuple[Any, Any]] = {}
    for name, (old_unit, new_unit), extra in cases:
        fn = schemes.progress if extra.pop("progress", False) else schemes.coverage
        old_ms, old = timed(run(fn, old_unit, **extra), args.repeats)
        new_ms, new = timed(run(fn, new_unit, **extra), args.repeats)
        results[name] = (old, new)
        log(f"{name:32} {old_ms:8.1f} ms {new_ms:8.1f} ms")
    engine.dispose()

    def totals(report: Any) -> Any:
        t = report.totals
        return (t.households, t.households_visited, t.households_covered, t.visits, t.people_proficient_all, t.skills)

    old, new = results["province coverage"]
    same = totals(old) == totals(new)
    parts = [sum(getattr(c, k) for c in new.children) for k in ("households", "households_visited", "visits")] == [
        new.totals.households,
        new.totals.households_visited,
        new.totals.visits,
    ]
    old_days, new_days = results["province daily progress"]
    same_days = old_days.days == new_days.days
    old_f, new_f = results["province coverage with forces"]
    same_forces = old_f.totals.forces == new_f.totals.forces
    unassigned = [c for c in new.children if c.unit.id == 0]
    log("")
    log(f"vn2025 province totals equal vn2004: {'yes' if same else 'NO'}; its rows add up: {'yes' if parts else 'NO'}")
    log(f"daily progress equal: {'yes' if same_days else 'NO'}; forces equal: {'yes' if same_forces else 'NO'}")
    log(f"'chưa phân bổ' row: {unassigned[0].households if unassigned else 0:,} households")
    log(f"total run {time.perf_counter() - t_start:.0f} s")
    if not args.keep:
        drop_database(args.url, args.database)
    return 0 if same and parts and same_days and same_forces else 1


if __name__ == "__main__":
    sys.exit(main())
