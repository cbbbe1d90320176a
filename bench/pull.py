"""Reads of issue 11 on PostgreSQL: a phone's first pull of a 500-household hamlet, and `GET /me`.
Not a test.

    .venv/bin/python bench/pull.py [--scale 1.0] [--runs 9] [--me-calls 500] [--url …] [--keep]

Creates a throw-away PostgreSQL database, migrates it and fills it through the app's own code: the
Hậu Giang demo (`seed_demo`, timed: the figure of `make run`'s seed step on PostgreSQL), then one more
hamlet in the demo commune whose volunteer creates 500 households of 3 people and visits them
(about 650 visits, a fifth of the doors closed, a third visited twice) with sync pushes, in process;
then `ANALYZE`, as autovacuum would have done on a live server.

Then it takes server time (from a request's arrival at the ASGI app to the last byte of its answer:
routing, authentication, the database, serialisation, gzip; no network), in process:
- the first full pull of that hamlet, every page from no cursor until `has_more` is false, at the
  phone's limit (500) and at 1000: the median of --runs pulls, with pages, changes and SQL
  statements per page; beside it the physical baseline, a psycopg `SELECT` of the same rows (the
  hamlet's households, people, statuses and visits, every column);
- `GET /api/v1/me` for the demo volunteer, team leader and commune official: the median of
  --me-calls calls and the SQL statements per call; beside it a psycopg round trip (`SELECT 1`).

Targets (issue 11): first pull ≤ 300 ms; `/me` ≤ 5 ms. Printed beside each figure; the exit status
is 0 whatever they are (the figures are for reading, on a machine that may be shared).
"""

import argparse
import os
import random
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("SECRET_KEY", "bench-pull-" + uuid.uuid4().hex)
os.environ.setdefault("ENVIRONMENT", "development")

import psycopg  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import event  # noqa: E402
from sqlmodel import Session, select  # noqa: E402

from app.auth.security import create_token  # noqa: E402
from app.auth.service import create_user  # noqa: E402
from app.cli import run_migrations  # noqa: E402
from app.db import make_engine, normalize_url  # noqa: E402
from app.demo import seed as demo  # noqa: E402
from app.main import create_app  # noqa: E402
from app.models import Campaign, User, VolunteerArea  # noqa: E402
from app.units.service import create_unit, get_by_code  # noqa: E402

HOUSEHOLDS = 500
SKILLS = ["public_services", "online_shopping", "online_payment", "online_safety", "digital_platforms"]
MILESTONES = ["vneid_level2", "public_service_account", "payment_app", "ecommerce_app"]
TARGET_PULL_MS, TARGET_ME_MS = 300.0, 5.0
DB_NAME = f"tungnha_bench_pull_{os.getpid()}"


def log(msg: str) -> None:
    print(msg, flush=True)


def plain(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def fresh_database(base_url: str) -> str:
    with psycopg.connect(plain(base_url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DB_NAME}"')
    return normalize_url(urlsplit(plain(base_url))._replace(path=f"/{DB_NAME}").geturl())


def drop_database(base_url: str) -> None:
    with psycopg.connect(plain(base_url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')


class ServerClock:
    """ASGI wrapper: the time from a request's arrival to the last byte of its answer."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.last = 0.0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        started = time.perf_counter()

        async def timed(message: Any) -> None:
            await send(message)
            if message["type"] == "http.response.body" and not message.get("more_body"):
                self.last = time.perf_counter() - started

        await self.app(scope, receive, timed)


class StatementCount:
    def __init__(self, engine: Any) -> None:
        self.n = 0
        event.listen(engine, "before_cursor_execute", self._count)

    def _count(self, *_: Any) -> None:
        self.n += 1


def pull_hamlet(session: Session) -> tuple[int, int, int]:
    """A 500-household hamlet in the demo commune and its volunteer: (hamlet id, user id, campaign id)."""
    commune = get_by_code(session, scheme="vn2004", level="commune", code=demo.DEMO_COMMUNE)
    hamlet = create_unit(
        session, scheme="vn2004", level="hamlet", code=f"{demo.DEMO_COMMUNE}-99", name="Khu vực 99", parent=commune
    )
    user = create_user(
        session,
        phone="0919000099",
        full_name="Tổ viên",
        password=uuid.uuid4().hex,
        role="volunteer",
        unit_id=commune.id,
    )
    session.add(VolunteerArea(user_id=user.id, hamlet_id=hamlet.id))
    campaign = session.exec(select(Campaign).where(Campaign.name == demo.CAMPAIGN_NAME)).one()
    session.commit()
    return hamlet.id, user.id, campaign.id  # type: ignore[return-value]


def fill_hamlet(client: TestClient, headers: dict[str, str], hamlet_id: int, campaign_id: int) -> int:
    """The volunteer's phone pushes 500 households, their people and the visits: mutations sent."""
    rng = random.Random(11)
    mutations: list[dict[str, Any]] = []
    homes = []
    for i in range(HOUSEHOLDS):
        hid = str(uuid.uuid4())
        data = {
            "id": hid,
            "hamlet_id": hamlet_id,
            "address": f"Số {i + 1}, đường {i % 17 + 1}",
            "head_name": f"Nguyễn Văn {i}",
        }
        data["member_count"] = 3
        mutations.append({"id": hid, "kind": "household.upsert", "data": data})
        people = []
        for j in range(3):
            pid = str(uuid.uuid4())
            person = {
                "id": pid,
                "household_id": hid,
                "full_name": f"Thành viên {j}",
                "birth_year": 1950 + (i + 17 * j) % 60,
            }
            mutations.append({"id": pid, "kind": "person.upsert", "data": person})
            people.append(pid)
        homes.append((hid, people))
    at = datetime(2024, 10, 1, 7, 0, tzinfo=UTC)
    calls = [(hid, people) for hid, people in homes] + [h for h in homes if rng.random() < 0.33]
    for hid, people in calls:
        at += timedelta(minutes=15)
        met = rng.random() < 0.8
        people_met = [
            {
                "person_id": pid,
                "skills": {s: rng.choice(("taught", "proficient")) for s in SKILLS if rng.random() < 0.7},
                "milestones": [m for m in MILESTONES if rng.random() < 0.2],
            }
            for pid in people
            if met and rng.random() < 0.8
        ]
        vid = str(uuid.uuid4())
        data = {
            "id": vid,
            "household_id": hid,
            "campaign_id": campaign_id,
            "visited_at": at.isoformat(),
            "outcome": "met" if met else "not_home",
            "consent_given": met,
            "consent_notice_version": demo.NOTICE_VERSION if met else None,
            "notes": "",
            "people": people_met,
        }
        mutations.append({"id": vid, "kind": "visit.create", "data": data})
    client_id = uuid.uuid4().hex
    for start in range(0, len(mutations), 100):
        batch = [{**m, "seq": start + k + 1} for k, m in enumerate(mutations[start : start + 100])]
        r = client.post(
            "/api/v1/sync/push", json={"client_id": client_id, "schema_version": 1, "mutations": batch}, headers=headers
        )
        assert r.status_code == 200, r.text
        refused = [x for x in r.json()["results"] if x["status"] != "applied"]
        assert not refused, refused[:3]
    return len(mutations)


def first_pull(
    client: TestClient, clock: ServerClock, count: StatementCount, headers: dict[str, str], limit: int
) -> dict[str, Any]:
    """Every page from no cursor: server seconds, pages, rows and SQL statements."""
    cursor, seconds, pages, rows, statements = None, 0.0, 0, 0, 0
    while True:
        params: dict[str, Any] = {"limit": limit, **({"cursor": cursor} if cursor else {})}
        before = count.n
        r = client.get("/api/v1/sync/pull", params=params, headers=headers)
        statements += count.n - before
        seconds += clock.last
        assert r.status_code == 200, r.text
        page = r.json()
        pages += 1
        rows += len(page["changes"])
        cursor = page["cursor"]
        if not page["has_more"]:
            return {"seconds": seconds, "pages": pages, "rows": rows, "statements": statements}


def baseline_select(url: str, hamlet_id: int) -> float:
    """The same rows read with psycopg: the hamlet's households, people, statuses and visits."""
    started = time.perf_counter()
    with psycopg.connect(plain(url)) as conn:
        for table in ("household", "person", "household_status", "visit"):
            conn.execute(f"SELECT * FROM {table} WHERE hamlet_id = %s", (hamlet_id,)).fetchall()
    return time.perf_counter() - started


def median_of(runs: int, measure: Callable[[], float]) -> float:
    return statistics.median(measure() for _ in range(runs))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0, help="demo size (1.0: ~20,000 households)")
    parser.add_argument("--runs", type=int, default=9, help="first pulls timed per limit")
    parser.add_argument("--me-calls", type=int, default=500, help="GET /me calls timed per account")
    parser.add_argument(
        "--url", default=os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    )
    parser.add_argument("--keep", action="store_true", help="keep the database")
    args = parser.parse_args()

    log(f"database {DB_NAME}: create, migrate, seed the demo at scale {args.scale}")
    url = fresh_database(args.url)
    try:
        run_migrations(url)
        engine = make_engine(url)
        started = time.perf_counter()
        with Session(engine) as session:
            demo.seed_demo(session, scale=args.scale)
            session.commit()
        seed_seconds = time.perf_counter() - started
        log(f"  demo seeded in {seed_seconds:.1f} s")
        with Session(engine) as session:
            hamlet_id, user_id, campaign_id = pull_hamlet(session)
            accounts = {
                role: session.exec(select(User).where(User.phone == "+84" + phone[1:])).one()
                for phone, role, *_ in demo.DEMO_ACCOUNTS[:3]
            }
            tokens = {role: create_token(u.id, "access", u.credential_version) for role, u in accounts.items()}  # type: ignore[arg-type]

        app = create_app(engine=engine)
        clock = ServerClock(app)
        count = StatementCount(engine)
        rows_out: list[tuple[str, str, str]] = []
        with TestClient(clock, raise_server_exceptions=True) as client:  # type: ignore[arg-type]
            headers = {"Authorization": f"Bearer {create_token(user_id, 'access')}", "Accept-Encoding": "gzip"}
            t = time.perf_counter()
            sent = fill_hamlet(client, headers, hamlet_id, campaign_id)
            log(f"  hamlet {hamlet_id}: {sent} mutations pushed in {time.perf_counter() - t:.1f} s")
            # Planner statistics, as autovacuum keeps them on a live server (it may be off here).
            with psycopg.connect(plain(url), autocommit=True) as conn:
                conn.execute("ANALYZE")
            log(f"  load average before timing: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")

            for limit in (500, 1000):
                first_pull(client, clock, count, headers, limit)  # warm
                results = [first_pull(client, clock, count, headers, limit) for _ in range(args.runs)]
                ms = statistics.median(r["seconds"] for r in results) * 1000
                last = results[-1]
                per_page = last["statements"] / last["pages"]
                rows_out.append(
                    (
                        f"first pull, limit {limit}",
                        f"{ms:6.0f} ms  {last['pages']} pages, {last['rows']} changes, {per_page:.1f} statements/page",
                        f"≤ {TARGET_PULL_MS:.0f} ms",
                    )
                )
                log(f"  {rows_out[-1][0]}: {rows_out[-1][1]}")
            base = median_of(args.runs, lambda: baseline_select(url, hamlet_id)) * 1000
            rows_out.append(("  baseline: psycopg SELECT *", f"{base:6.0f} ms  (one connection, four queries)", ""))

            for role, token in tokens.items():
                me_headers = {"Authorization": f"Bearer {token}"}

                def me() -> float:
                    r = client.get("/api/v1/me", headers=me_headers)  # noqa: B023
                    assert r.status_code == 200, r.text
                    return clock.last

                for _ in range(20):
                    me()
                before = count.n
                ms = median_of(args.me_calls, me) * 1000
                statements = (count.n - before) / args.me_calls
                rows_out.append(
                    (f"GET /me, {role}", f"{ms:6.2f} ms  {statements:.1f} statements", f"≤ {TARGET_ME_MS:.0f} ms")
                )
                log(f"  {rows_out[-1][0]}: {rows_out[-1][1]}")
            with psycopg.connect(plain(url)) as conn:

                def ping() -> float:
                    t = time.perf_counter()
                    conn.execute("SELECT 1").fetchall()
                    return time.perf_counter() - t

                rtt = median_of(args.me_calls, ping) * 1000
            rows_out.append(("  baseline: psycopg SELECT 1", f"{rtt:6.2f} ms  (one round trip)", ""))
        engine.dispose()
    finally:
        if not args.keep:
            drop_database(args.url)
    rows_out.insert(0, (f"demo seed (scale {args.scale})", f"{seed_seconds:6.1f} s   in process", "≤ 60 s"))
    log(f"  load average after: {os.getloadavg()[0]:.1f}")
    log("")
    log(f"{'':34} {'measured':62} target")
    for label, figure, target in rows_out:
        log(f"{label:34} {figure:62} {target}")


if __name__ == "__main__":
    main()
