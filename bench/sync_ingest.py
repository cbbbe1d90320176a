"""Sync push ingest over real HTTP on PostgreSQL (issue 3, item 4). Not a test.

    .venv/bin/python bench/sync_ingest.py [--devices 50] [--batches 4] [--rate 2000] [--url postgresql://…]

Creates a fresh PostgreSQL database, migrates it and seeds one commune: a hamlet per device with its
volunteer, client and households (3 people each), and a 500-household hamlet for the pull. Starts
`uvicorn app.asgi:app --workers 2` on 127.0.0.1 against it, then N simulated devices (threads, one
HTTP connection each) push batches of 100 `visit.create` mutations (3 people × 5 skills, a
milestone) through `POST /api/v1/sync/push`:

- paced: each device sends a batch every devices×100/rate seconds (staggered), the offered load being
  --rate visits/s; prints visits committed/s and p50/p95 push latency at that load;
- saturated: every device sends its next batch as soon as the previous one is answered; prints the
  most the server commits per second, and the latency that comes with it (Little's law).

Also: the server's peak RSS (the two workers, summed, read from /proc), the first full pull of the
500-household hamlet (bytes on the wire with gzip, time, pages), and, in the same run, the baseline:
the same visit, visit-skill and visit-milestone rows inserted directly with psycopg from one process,
100 visits per transaction, with the ratio. Targets: ≥ 2,000 visits/s and p95 ≤ 500 ms at 50
devices, RSS ≤ 300 MB, first pull ≤ 150 KB and ≤ 300 ms. Exit status 1 when one is missed.
"""

import argparse
import gzip
import os
import random
import statistics
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# The server and this script must sign and check tokens with the same key.
os.environ.setdefault("SECRET_KEY", "bench-sync-ingest-" + uuid.uuid4().hex)
os.environ.setdefault("ENVIRONMENT", "development")

import httpx  # noqa: E402
import orjson  # noqa: E402
import psycopg  # noqa: E402
from sqlalchemy import insert  # noqa: E402
from sqlmodel import Session  # noqa: E402

from app.auth.security import create_token, hash_password  # noqa: E402
from app.cli import run_migrations  # noqa: E402
from app.db import make_engine, normalize_url  # noqa: E402
from app.models import AreaVersion, Campaign, Household, Person, SyncClient, UnitCoverage, User, VolunteerArea  # noqa: E402
from app.models.base import table_of  # noqa: E402
from app.units.service import create_unit  # noqa: E402

SKILLS = ["public_services", "online_shopping", "online_payment", "online_safety", "digital_platforms"]
MILESTONES = ["vneid_level2", "public_service_account", "payment_app", "ecommerce_app"]
BATCH = 100
PULL_HOUSEHOLDS = 500
TARGET_RATE, TARGET_P95_MS, TARGET_RSS_MB, TARGET_PULL_KB, TARGET_PULL_MS = 2000.0, 500.0, 300.0, 150.0, 300.0
DB_NAME = "tungnha_bench_sync"


def log(msg: str) -> None:
    print(msg, flush=True)


def fresh_database(base_url: str) -> str:
    base = base_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DB_NAME}"')
    return urlsplit(base)._replace(path=f"/{DB_NAME}").geturl()


def drop_database(base_url: str) -> None:
    base = base_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')


class Area:
    """What the seed made: per device its hamlet, user, client, households and people."""

    def __init__(self) -> None:
        self.campaign_id = 0
        self.devices: list[dict[str, Any]] = []
        self.pull_user = 0
        self.pull_device: dict[str, Any] = {}


def seed(url: str, devices: int, households_per_device: int) -> Area:
    engine = make_engine(url)
    area = Area()
    password = hash_password("mat-khau-bench")  # one hash for everyone: argon2 is slow on purpose
    now = datetime.now(UTC)
    with Session(engine) as session:
        province = create_unit(
            session, scheme="vn2004", level="province", code="93", name="Tỉnh Hậu Giang", parent=None
        )
        district = create_unit(
            session, scheme="vn2004", level="district", code="930", name="TP Vị Thanh", parent=province
        )
        commune = create_unit(session, scheme="vn2004", level="commune", code="31318", name="Phường I", parent=district)
        session.flush()
        campaign = Campaign(
            name="Đi từng ngõ, gõ từng nhà",
            unit_id=province.id,
            starts_on=date(2024, 10, 1),
            ends_on=date(2024, 10, 31),
        )
        session.add(campaign)
        session.flush()
        area.campaign_id = campaign.id  # type: ignore[assignment]
        households: list[dict[str, Any]] = []
        people: list[dict[str, Any]] = []
        counts: dict[int, tuple[int, int]] = {}

        def fill(hamlet_id: int, n: int) -> list[tuple[str, list[str]]]:
            made = []
            for i in range(n):
                hid = str(uuid.uuid4())
                households.append(
                    {
                        "id": uuid.UUID(hid),
                        "hamlet_id": hamlet_id,
                        "province_code": "93",
                        "address": f"Số {i + 1}, đường {i % 17 + 1}",
                        "head_name": f"Nguyễn Văn {i}",
                        "head_name_key": f"nguyen van {i}",
                        "member_count": 3,
                        "created_at": now,
                        "updated_at": now,
                        "version": 1,
                    }
                )
                pids = [str(uuid.uuid4()) for _ in range(3)]
                for j, pid in enumerate(pids):
                    people.append(
                        {
                            "id": uuid.UUID(pid),
                            "household_id": uuid.UUID(hid),
                            "hamlet_id": hamlet_id,
                            "full_name": f"Thành viên {j}",
                            "birth_year": 1950 + (i + j * 17) % 60,
                            "created_at": now,
                            "updated_at": now,
                            "version": 1,
                        }
                    )
                made.append((hid, pids))
            counts[hamlet_id] = (n, 3 * n)
            return made

        def volunteer(phone: str, hamlet_id: int) -> int:
            user = User(phone=phone, full_name="Tổ viên", password_hash=password, role="volunteer")
            session.add(user)
            session.flush()
            session.add(VolunteerArea(user_id=user.id, hamlet_id=hamlet_id))
            return user.id  # type: ignore[return-value]

        for d in range(devices + 1):
            hamlet = create_unit(
                session,
                scheme="vn2004",
                level="hamlet",
                code=f"31318-{d + 1:03d}",
                name=f"Khu vực {d + 1}",
                parent=commune,
            )
            session.flush()
            pull = d == devices
            made = fill(hamlet.id, PULL_HOUSEHOLDS if pull else households_per_device)  # type: ignore[arg-type]
            user_id = volunteer(f"+8491{d:07d}", hamlet.id)  # type: ignore[arg-type]
            device = {"user_id": user_id, "client_id": uuid.uuid4().hex, "households": made, "seq": 0}
            if pull:
                area.pull_user, area.pull_device = user_id, device
            else:
                area.devices.append(device)
        session.execute(insert(table_of(Household)), households)
        session.execute(insert(table_of(Person)), people)
        session.execute(insert(table_of(AreaVersion)), [{"hamlet_id": h, "version": 1} for h in counts])
        # The seeded rows' share of the report totals, as an import would leave them.
        total_h = sum(h for h, _ in counts.values())
        total_p = sum(p for _, p in counts.values())
        coverage = [{"unit_id": h, "campaign_id": 0, "households": n, "people": p} for h, (n, p) in counts.items()]
        coverage += [
            {"unit_id": u.id, "campaign_id": 0, "households": total_h, "people": total_p}
            for u in (province, district, commune)
        ]
        session.execute(insert(table_of(UnitCoverage)), coverage)
        for device in [*area.devices, area.pull_device]:
            session.add(SyncClient(client_id=device["client_id"], user_id=device["user_id"]))
        session.commit()
    engine.dispose()
    return area


def visit_batch(device: dict[str, Any], campaign_id: int, rng: random.Random, start: int = 0) -> bytes:
    """The next 100 visits of a device, one per household in turn, as a push body."""
    mutations = []
    households = device["households"]
    for k in range(BATCH):
        hid, pids = households[(start + k) % len(households)]
        device["seq"] += 1
        vid = str(uuid.uuid4())
        day = 1 + (device["seq"] % 28)
        people = [
            {
                "person_id": pid,
                "skills": {s: rng.choice(("taught", "proficient", "proficient")) for s in SKILLS},
                "milestones": [rng.choice(MILESTONES)],
            }
            for pid in pids
        ]
        data = {
            "id": vid,
            "household_id": hid,
            "campaign_id": campaign_id,
            "visited_at": f"2024-10-{day:02d}T{8 + k % 9:02d}:30:00+07:00",
            "outcome": "met",
            "consent_given": True,
            "consent_notice_version": "2024-1",
            "notes": "",
            "people": people,
        }
        mutations.append({"seq": device["seq"], "id": vid, "kind": "visit.create", "data": data})
    return orjson.dumps({"client_id": device["client_id"], "schema_version": 1, "mutations": mutations})


class Server:
    def __init__(self, url: str, port: int, workers: int) -> None:
        env = {**os.environ, "DATABASE_URL": url}
        cmd = [sys.executable, "-m", "uvicorn", "app.asgi:app", "--host", "127.0.0.1", "--port", str(port)]
        cmd += ["--workers", str(workers), "--no-access-log", "--log-level", "warning"]
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=env)
        self.base = f"http://127.0.0.1:{port}"
        self.peak_rss = 0
        self._stop = threading.Event()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.base}/api/v1/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        else:
            self.stop()
            raise SystemExit("the server did not start")
        self._sampler = threading.Thread(target=self._sample, daemon=True)
        self._sampler.start()

    def workers(self) -> list[int]:
        pids = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    stat = (entry / "stat").read_text()
                except OSError:
                    continue
                if int(stat.rsplit(")", 1)[1].split()[1]) != self.proc.pid:
                    continue
                cmdline = (entry / "cmdline").read_bytes()
                if b"resource_tracker" not in cmdline:
                    pids.append(int(entry.name))
        return pids

    @staticmethod
    def rss_kb(pid: int) -> int:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        except OSError:
            pass
        return 0

    def _sample(self) -> None:
        while not self._stop.is_set():
            # The workers (the supervisor serves no request; it is printed apart).
            total = sum(self.rss_kb(p) for p in self.workers())
            self.peak_rss = max(self.peak_rss, total)
            time.sleep(0.1)

    def supervisor_rss_kb(self) -> int:
        return self.rss_kb(self.proc.pid)

    def stop(self) -> None:
        self._stop.set()
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def run_devices(
    server: Server, area: Area, bodies: list[list[bytes]], interval: float | None
) -> tuple[float, list[float], int]:
    """Push every body; paced (a batch per `interval` s per device) or back to back (None)."""
    latencies: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()
    start = time.perf_counter() + 0.5
    done_at = [start]

    def device(d: int) -> None:
        token = create_token(area.devices[d]["user_id"], "access")
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json", "Accept-Encoding": "gzip"}
        with httpx.Client(base_url=server.base, headers=headers, timeout=120) as client:
            for k, body in enumerate(bodies[d]):
                at = start + d * interval / len(bodies) + k * interval if interval is not None else start
                pause = at - time.perf_counter()
                if pause > 0:
                    time.sleep(pause)
                t = time.perf_counter()
                r = client.post("/api/v1/sync/push", content=body)
                elapsed = time.perf_counter() - t
                ok = r.status_code == 200 and all(x["status"] == "applied" for x in r.json()["results"])
                with lock:
                    latencies.append(elapsed)
                    done_at[0] = max(done_at[0], time.perf_counter())
                    if not ok:
                        failures.append(f"device {d} batch {k}: {r.status_code} {r.text[:300]}")

    threads = [threading.Thread(target=device, args=(d,)) for d in range(len(bodies))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if failures:
        raise SystemExit("pushes failed:\n" + "\n".join(failures[:5]))
    visits = sum(len(b) for b in bodies) * BATCH
    return done_at[0] - start, latencies, visits


def first_pull(server: Server, user_id: int) -> tuple[int, float, int, int]:
    """Bytes on the wire (gzip), total time, pages and rows of a phone's first full pull."""
    token = create_token(user_id, "access")
    headers = {"Authorization": f"Bearer {token}", "Accept-Encoding": "gzip"}
    wire, elapsed, pages, rows = 0, 0.0, 0, 0
    cursor = None
    with httpx.Client(base_url=server.base, headers=headers, timeout=60) as client:
        while True:
            params = {"limit": 1000, **({"cursor": cursor} if cursor else {})}
            t = time.perf_counter()
            with client.stream("GET", "/api/v1/sync/pull", params=params) as r:
                raw = b"".join(r.iter_raw())
                elapsed += time.perf_counter() - t
                assert r.status_code == 200, r.status_code
                assert r.headers.get("content-encoding") == "gzip"
            page = orjson.loads(gzip.decompress(raw))
            wire += len(raw)
            pages += 1
            rows += len(page["changes"])
            cursor = page["cursor"]
            if not page["has_more"]:
                return wire, elapsed, pages, rows


def baseline(url: str, area: Area, batches: int, rng: random.Random) -> float:
    """The same rows straight into the tables with psycopg: visits/s from one process."""
    plain = url.replace("postgresql+psycopg://", "postgresql://")
    bodies = [
        [orjson.loads(visit_batch(dev, area.campaign_id, rng, k * BATCH)) for k in range(batches)]
        for dev in area.devices
    ]
    now = datetime.now(UTC)
    started = time.perf_counter()
    n = 0
    with psycopg.connect(plain) as conn:
        for k in range(batches):
            for d, dev in enumerate(area.devices):
                body = bodies[d][k]
                visits, skills, milestones = [], [], []
                for m in body["mutations"]:
                    v = m["data"]
                    at = datetime.fromisoformat(v["visited_at"])
                    visits.append(
                        (
                            v["id"],
                            v["household_id"],
                            dev["hamlet_id"],
                            dev["user_id"],
                            v["campaign_id"],
                            at,
                            at.date(),
                            now,
                            "met",
                            True,
                            "2024-1",
                            "",
                            uuid.uuid4().hex,
                            1,
                        )
                    )
                    for p in v["people"]:
                        for s, level in p["skills"].items():
                            skills.append((v["id"], p["person_id"], s, 2 if level == "proficient" else 1))
                        for ms in p["milestones"]:
                            milestones.append((v["id"], p["person_id"], ms))
                with conn.cursor() as cur:
                    cur.executemany(
                        "INSERT INTO visit (id, household_id, hamlet_id, volunteer_id, campaign_id, visited_at,"
                        " visited_on, received_at, outcome, consent_given, consent_notice_version, notes,"
                        " content_hash, version)"
                        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                        visits,
                    )
                    cur.executemany(
                        "INSERT INTO visit_skill (visit_id, person_id, skill_id, level) VALUES (%s, %s, %s, %s)", skills
                    )
                    cur.executemany(
                        "INSERT INTO visit_milestone (visit_id, person_id, milestone_id) VALUES (%s, %s, %s)",
                        milestones,
                    )
                conn.commit()
                n += len(visits)
    return n / (time.perf_counter() - started)


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] if len(values) > 1 else values[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--devices", type=int, default=50)
    parser.add_argument("--batches", type=int, default=4, help="batches of 100 visits per device and per run")
    parser.add_argument("--rate", type=float, default=TARGET_RATE, help="offered load of the paced run, visits/s")
    parser.add_argument("--households", type=int, default=100, help="households per device hamlet")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument(
        "--url", default=os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    )
    parser.add_argument("--keep", action="store_true", help="keep the database")
    args = parser.parse_args()
    rng = random.Random(7)

    log(
        f"database {DB_NAME}: create, migrate, seed {args.devices} device hamlets × {args.households}"
        f" households + one of {PULL_HOUSEHOLDS}"
    )
    url = normalize_url(fresh_database(args.url))
    run_migrations(url)
    t = time.perf_counter()
    area = seed(url, args.devices, args.households)
    for dev in area.devices:
        dev["hamlet_id"] = None
    engine = make_engine(url)
    with engine.connect() as conn:
        from sqlalchemy import text

        hamlets = dict(conn.execute(text("SELECT user_id, hamlet_id FROM volunteer_area")).all())
    engine.dispose()
    for dev in [*area.devices, area.pull_device]:
        dev["hamlet_id"] = hamlets[dev["user_id"]]
    log(f"  seeded in {time.perf_counter() - t:.1f} s")

    server = Server(url, args.port, args.workers)
    missed: list[str] = []
    try:
        log(f"server: uvicorn app.asgi:app --workers {args.workers} on {server.base}, pids {server.workers()}")
        # The pull hamlet gets a visit per household, through the same push path.
        pull_dev = area.pull_device
        token = create_token(area.pull_user, "access")
        with httpx.Client(
            base_url=server.base,
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            timeout=120,
        ) as client:
            for k in range(PULL_HOUSEHOLDS // BATCH):
                r = client.post("/api/v1/sync/push", content=visit_batch(pull_dev, area.campaign_id, rng, k * BATCH))
                assert r.status_code == 200, r.text

        wire, elapsed, pages, rows = first_pull(server, area.pull_user)
        log(
            f"first full pull of a {PULL_HOUSEHOLDS}-household hamlet (3 people and a visit each):"
            f" {rows} rows in {pages} page(s),"
        )
        log(
            f"  {wire / 1024:.1f} KB on the wire (gzip), {elapsed * 1000:.0f} ms"
            f"   [target ≤ {TARGET_PULL_KB:.0f} KB, ≤ {TARGET_PULL_MS:.0f} ms]"
        )
        if wire / 1024 > TARGET_PULL_KB:
            missed.append("pull size")
        if elapsed * 1000 > TARGET_PULL_MS:
            missed.append("pull time")

        interval = args.devices * BATCH / args.rate
        bodies = [
            [visit_batch(dev, area.campaign_id, rng, k * BATCH) for k in range(args.batches)] for dev in area.devices
        ]
        log(
            f"paced: {args.devices} devices, one batch of {BATCH} visits every {interval:.2f} s each"
            f" (offered {args.rate:.0f} visits/s), {args.batches} batches"
        )
        wall, lat, visits = run_devices(server, area, bodies, interval)
        rate = visits / wall
        p50, p95 = pct(lat, 50) * 1000, pct(lat, 95) * 1000
        log(
            f"  {visits} visits committed in {wall:.1f} s: {rate:.0f} visits/s;"
            f" push latency p50 {p50:.0f} ms, p95 {p95:.0f} ms"
        )

        bodies = [
            [visit_batch(dev, area.campaign_id, rng, k * BATCH) for k in range(args.batches)] for dev in area.devices
        ]
        log(f"saturated: {args.devices} devices pushing back to back, {args.batches} batches each")
        wall, lat_s, visits_s = run_devices(server, area, bodies, None)
        rate_s = visits_s / wall
        log(
            f"  {visits_s} visits committed in {wall:.1f} s: {rate_s:.0f} visits/s;"
            f" push latency p50 {pct(lat_s, 50) * 1000:.0f} ms, p95 {pct(lat_s, 95) * 1000:.0f} ms"
        )
        peak = server.peak_rss / 1024
        log(
            f"server peak RSS: {peak:.0f} MB (both workers); supervisor {server.supervisor_rss_kb() / 1024:.0f} MB"
            f"   [target ≤ {TARGET_RSS_MB:.0f} MB]"
        )
        log(f"targets: ≥ {TARGET_RATE:.0f} visits/s and p95 ≤ {TARGET_P95_MS:.0f} ms at {args.devices} devices")
        if max(rate, rate_s) < TARGET_RATE:
            missed.append("visits/s")
        if p95 > TARGET_P95_MS:
            missed.append("p95 latency")
        if peak > TARGET_RSS_MB:
            missed.append("RSS")
    finally:
        server.stop()

    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        stored = conn.execute("SELECT count(*) FROM visit").fetchone()[0]  # type: ignore[index]
    expected = PULL_HOUSEHOLDS + 2 * args.devices * args.batches * BATCH
    log(f"visits in the database: {stored} (expected {expected})")
    if stored != expected:
        missed.append("visit count")
    base = baseline(url, area, args.batches, rng)
    log(
        f"baseline: the same rows (visit, visit_skill, visit_milestone) inserted with psycopg, one process,"
        f" {BATCH} per transaction: {base:.0f} visits/s"
    )
    log(f"ratio: app {max(rate, rate_s):.0f} / baseline {base:.0f} = {max(rate, rate_s) / base:.2f}")
    if not args.keep:
        drop_database(args.url)
    if missed:
        log("MISSED: " + ", ".join(missed))
        raise SystemExit(1)


if __name__ == "__main__":
    main()
