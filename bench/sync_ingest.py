"""Sync push ingest over real HTTP on PostgreSQL (issues 3 and 11). Not a test.

    .venv/bin/python bench/sync_ingest.py [--batch N --devices D] [--history K] [--seconds 30] [--url …]

Creates a fresh PostgreSQL database, migrates it and seeds one commune: a hamlet per device with its
volunteer, client and households (3 people each), a 500-household hamlet for the pull, one for
the history runs, and an archive hamlet holding 20,000 earlier visits (raw rows, written with COPY) so
that the visit tables are as large as a deployed server's, not empty. Starts `tungnha serve --workers 2`
on 127.0.0.1 against it (as the Dockerfile does), then prints one table, every figure from this one run:

- ingest: D devices (threads, one HTTP connection each) push batches of N `visit.create` mutations
  (3 people × 5 skills, a milestone; the visits of a batch in no particular time order) back to
  back for --seconds, a 503 answered by waiting as the phone does (5 s doubling, ±20 %): visits
  committed within those seconds per second, p50 and p95 push latency, the workers' peak RSS, and the
  mean latency any server that serves every device must have at that rate in this closed loop
  (Little's law: devices × batch / rate).
  By default batch 1 at 5 and 50 devices and batch 100 at 50 devices; --batch/--devices run one.
- history: server CPU per visit (both workers, from /proc) for single-visit pushes to households
  that already have 0, 10 and 30 visits (--history K: 0 and K), and the ratio to history 0;
- the first full pull of the 500-household hamlet (bytes on the wire with gzip, time);
- when the server's PostgreSQL runs without autovacuum (this machine's CI cluster does), the bench
  analyzes the database every 10 s in its stead (`Autovacuum`): a connection's foreign-key check
  planned on a near-empty table reads the whole table until its statistics change;
- the physical baseline: the same visit, visit_skill and visit_milestone rows written with psycopg
  `COPY` from one process, 100 visits per transaction, and the ratio of the best ingest rate to it.

Targets (issue 11): batch 1 at 50 devices ≥ 250 visits/s, p50 ≤ 200 ms; batch 100 at 50 devices
≥ 2,000 visits/s, p95 ≤ 1 s, ≥ 30 % of COPY; CPU at history 30 ≤ 1.3 × history 0; first pull
≤ 300 ms; RSS ≤ 300 MB. Printed beside each figure; the exit status is 0 whatever they are (the
figures are for reading, on a machine that may be shared).
"""

import argparse
import gzip
import http.client
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, date, datetime, timedelta
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
ARCHIVE_HOUSEHOLDS, ARCHIVE_VISITS = 1000, 20_000
TARGET_RATE, TARGET_P95_MS, TARGET_RSS_MB, TARGET_PULL_KB, TARGET_PULL_MS = 2000.0, 500.0, 300.0, 150.0, 300.0
DB_NAME = f"tungnha_bench_sync_{os.getpid()}"  # several runs on one server never share one


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
        self.history_device: dict[str, Any] = {}
        self.archive_device: dict[str, Any] = {}


def seed(url: str, devices: int, households_per_device: int, history_households: int) -> Area:
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
            ends_on=date(2024, 12, 31),
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

        for d in range(devices + 3):
            hamlet = create_unit(
                session,
                scheme="vn2004",
                level="hamlet",
                code=f"31318-{d + 1:03d}",
                name=f"Khu vực {d + 1}",
                parent=commune,
            )
            session.flush()
            pull, history, archive = d == devices, d == devices + 1, d == devices + 2
            n = (
                PULL_HOUSEHOLDS
                if pull
                else history_households
                if history
                else ARCHIVE_HOUSEHOLDS
                if archive
                else households_per_device
            )
            made = fill(hamlet.id, n)  # type: ignore[arg-type]
            user_id = volunteer(f"+8491{d:07d}", hamlet.id)  # type: ignore[arg-type]
            device = {"user_id": user_id, "client_id": uuid.uuid4().hex, "households": made, "seq": 0}
            if pull:
                area.pull_user, area.pull_device = user_id, device
            elif history:
                area.history_device = device
            elif archive:
                area.archive_device = device
            else:
                area.devices.append(device)
        session.execute(insert(table_of(Household)), households)
        session.execute(insert(table_of(Person)), people)
        session.execute(insert(table_of(AreaVersion)), [{"hamlet_id": h, "version": 1} for h in counts])
        # The seeded rows' share of the report totals, as an import would leave them (hamlet rows only).
        coverage = [{"unit_id": h, "campaign_id": 0, "households": n, "people": p} for h, (n, p) in counts.items()]
        session.execute(insert(table_of(UnitCoverage)), coverage)
        for device in [*area.devices, area.pull_device, area.history_device, area.archive_device]:
            session.add(SyncClient(client_id=device["client_id"], user_id=device["user_id"]))
        session.commit()
    engine.dispose()
    return area


START = datetime(2024, 10, 1, 0, 0, tzinfo=UTC)


def visit_batch(
    device: dict[str, Any], campaign_id: int, rng: random.Random, size: int = 100, households: list[int] | None = None
) -> bytes:
    """The device's next `size` visits as a push body, one per household in turn (or to the listed
    households), 20 minutes apart on the phone's clock (no run of them looks implausibly dense), the
    batch in no particular time order (a phone's backlog)."""
    mutations = []
    homes = device["households"]
    for k in range(size):
        index = households[k % len(households)] if households else device["seq"]
        hid, pids = homes[index % len(homes)]
        device["seq"] += 1
        vid = str(uuid.uuid4())
        at = START + timedelta(minutes=20 * device["seq"])
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
            "visited_at": at.isoformat(),
            "outcome": "met",
            "consent_given": True,
            "consent_notice_version": "2024-1",
            "notes": "",
            "people": people,
        }
        mutations.append({"seq": device["seq"], "id": vid, "kind": "visit.create", "data": data})
    shuffled = [m["data"] for m in mutations]
    rng.shuffle(shuffled)
    for m, data in zip(mutations, shuffled, strict=True):
        m["id"], m["data"] = data["id"], data
    return orjson.dumps({"client_id": device["client_id"], "schema_version": 1, "mutations": mutations})


class Server:
    def __init__(self, url: str, port: int, workers: int) -> None:
        env = {**os.environ, "DATABASE_URL": url}
        # As deployed (Dockerfile): `tungnha serve`, whose workers each listen on a socket of their own.
        tungnha = str(Path(sys.executable).parent / "tungnha")
        cmd = [tungnha, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]
        cmd += ["--no-access-log", "--log-level", "warning"]
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


class Phone:
    """One device's keep-alive HTTP/1.1 connection, through the standard library's `http.client`. The
    devices run on the server's own two cores here, where real phones would not: httpx spent about 3 ms
    of CPU per push on them, a fifth of what the server itself spends; this spends a fraction of that."""

    def __init__(self, base: str, headers: dict[str, str]) -> None:
        parts = urlsplit(base)
        self.conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=120)
        self.headers = headers

    def post(self, path: str, body: bytes) -> tuple[int, Any]:
        """The status and the decoded JSON answer."""
        self.conn.request("POST", path, body=body, headers=self.headers)
        answer = self.conn.getresponse()
        data = answer.read()
        if answer.getheader("Content-Encoding") == "gzip":
            data = gzip.decompress(data)
        return answer.status, orjson.loads(data)

    def close(self) -> None:
        self.conn.close()


class Autovacuum:
    """ANALYZE of the bench database every `every` seconds, when the server runs without autovacuum
    (a CI cluster may: `autovacuum = off`). PostgreSQL keeps each connection's plan of a foreign-key
    check (`SELECT 1 FROM visit WHERE id = $1`) until the table's statistics change; planned while the
    fresh table was a page or two, it reads the whole table, and every visit_skill row of every later
    push reads it again. On a deployed server autovacuum analyzes a table as it grows (and its tables
    are large and analyzed long before an evening's sync), so plans follow the tables: this stands in."""

    def __init__(self, url: str, every: float = 10.0) -> None:
        self.url, self.every = url.replace("postgresql+psycopg://", "postgresql://"), every
        self._stop = threading.Event()
        with psycopg.connect(self.url, autocommit=True) as conn:
            row = conn.execute("SHOW autovacuum").fetchone()
        self.needed = row is not None and row[0] == "off"
        self._thread = threading.Thread(target=self._run, daemon=True)
        if self.needed:
            self._thread.start()

    def _run(self) -> None:
        with psycopg.connect(self.url, autocommit=True) as conn:
            while not self._stop.wait(self.every):
                conn.execute("ANALYZE")

    def stop(self) -> None:
        self._stop.set()
        if self.needed:
            self._thread.join()


def backoff(failures: int, rng: random.Random) -> float:
    """Seconds a phone waits before it sends again after its `failures`-th failure in a row: 5 s doubling
    to 60 s, ±20 % (`backoffDelay` in frontend/src/sync/engine.ts)."""
    return min(60.0, 5.0 * 2 ** (failures - 1)) * (0.8 + 0.4 * rng.random())


def run_devices(
    server: Server, area: Area, devices: int, size: int, seconds: float, rng: random.Random
) -> tuple[float, list[float], int]:
    """`devices` devices push batches of `size` back to back for `seconds`: (seconds, latencies, visits
    committed within them). A push still waiting when the time is up (queued, or in a phone's backoff
    after a 503) is finished and checked but not counted: dividing by the time the last one took
    instead would make the rate depend on how long the unluckiest device waited."""
    latencies: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()
    start = time.perf_counter() + 0.5
    stop_at = start + seconds
    counted = [0]
    busy = [0]
    codes: dict[str, int] = {}

    def device(d: int) -> None:
        token = create_token(area.devices[d]["user_id"], "access")
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json", "Accept-Encoding": "gzip"}
        phone = Phone(server.base, headers)
        pause = start - time.perf_counter()
        if pause > 0:
            time.sleep(pause)
        own = random.Random(rng.random() + d)
        k = 0
        while time.perf_counter() < stop_at:
            body = visit_batch(area.devices[d], area.campaign_id, own, size)
            k += 1
            t = time.perf_counter()
            status, answer = phone.post("/api/v1/sync/push", body)
            tries = 0
            while status == 503:  # the server sheds load (issue 10): resent later, as a phone does
                tries += 1
                with lock:
                    busy[0] += 1
                    codes[answer["error"]["code"]] = codes.get(answer["error"]["code"], 0) + 1
                time.sleep(backoff(tries, own))
                status, answer = phone.post("/api/v1/sync/push", body)
            elapsed = time.perf_counter() - t
            ok = status == 200 and all(x["status"] == "applied" for x in answer["results"])
            with lock:
                latencies.append(elapsed)
                counted[0] += size if ok and time.perf_counter() <= stop_at else 0
                if not ok:
                    failures.append(f"device {d} batch {k}: {status} {str(answer)[:300]}")
        phone.close()

    threads = [threading.Thread(target=device, args=(d,)) for d in range(devices)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if failures:
        raise SystemExit("pushes failed:\n" + "\n".join(failures[:5]))
    if busy[0]:
        log(f"  ({busy[0]} answers 503 {codes}, each resent after the phone's backoff; the latency includes the waits)")
    return seconds, latencies, counted[0]


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU of these processes so far."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / ticks


def history_cpu(server: Server, area: Area, levels: list[int], per_level: int, rng: random.Random) -> dict[int, float]:
    """Server CPU (ms) per single-visit push to households that already have `level` visits."""
    device = area.history_device
    token = create_token(device["user_id"], "access")
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    out: dict[int, float] = {}
    with httpx.Client(base_url=server.base, headers=headers, timeout=120) as client:
        for i, level in enumerate(levels):
            homes = list(range(i * per_level, (i + 1) * per_level))
            for _ in range(level):  # the earlier visits, pushed as one batch per round
                r = client.post(
                    "/api/v1/sync/push", content=visit_batch(device, area.campaign_id, rng, per_level, homes)
                )
                assert r.status_code == 200, r.text
            bodies = [visit_batch(device, area.campaign_id, rng, 1, [h]) for h in homes]
            for body in bodies[:5]:  # warm up the connection and the workers' caches
                client.post("/api/v1/sync/push", content=body)
            pids = server.workers()
            before = cpu_seconds(pids)
            for body in bodies[5:]:
                r = client.post("/api/v1/sync/push", content=body)
                assert r.status_code == 200, r.text
            out[level] = (cpu_seconds(pids) - before) * 1000 / (len(bodies) - 5)
    return out


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
    """The same rows written with psycopg COPY from one process, 100 visits per transaction: visits/s."""
    devices = area.devices[: max(1, min(len(area.devices), 10))]
    bodies = [(dev, visit_batch(dev, area.campaign_id, rng, BATCH)) for _ in range(batches) for dev in devices]
    started = time.perf_counter()
    n = copy_visits(url, bodies)
    return n / (time.perf_counter() - started)


def earlier_visits(url: str, area: Area, rng: random.Random) -> int:
    """The visits a deployed server already holds (`ARCHIVE_VISITS`, raw rows in an archive hamlet the runs
    never touch), so the visit tables are as large as an evening's sync finds them: PostgreSQL plans a
    foreign-key check on a fresh table as a sequential scan and keeps that plan until the next ANALYZE."""
    dev = area.archive_device
    return copy_visits(
        url, [(dev, visit_batch(dev, area.campaign_id, rng, BATCH)) for _ in range(ARCHIVE_VISITS // BATCH)]
    )


def copy_visits(url: str, batches: list[tuple[dict[str, Any], bytes]]) -> int:
    """Write each push body's visit, visit_skill and visit_milestone rows with COPY, a transaction each."""
    now = datetime.now(UTC)
    n = 0
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        for dev, body in batches:
            visits, skills, milestones = [], [], []
            for m in orjson.loads(body)["mutations"]:
                v = m["data"]
                at = datetime.fromisoformat(v["visited_at"])
                head = (v["id"], v["household_id"], dev["hamlet_id"], dev["user_id"], v["campaign_id"])
                visits.append((*head, at, at.date(), now, "met", True, "2024-1", "", uuid.uuid4().hex, 1))
                for p in v["people"]:
                    for s, level in p["skills"].items():
                        skills.append((v["id"], p["person_id"], s, 2 if level == "proficient" else 1))
                    for ms in p["milestones"]:
                        milestones.append((v["id"], p["person_id"], ms))
            with conn.cursor() as cur:
                with cur.copy(
                    "COPY visit (id, household_id, hamlet_id, volunteer_id, campaign_id, visited_at, visited_on,"
                    " received_at, outcome, consent_given, consent_notice_version, notes, content_hash, version)"
                    " FROM STDIN"
                ) as copy:
                    for row in visits:
                        copy.write_row(row)
                with cur.copy("COPY visit_skill (visit_id, person_id, skill_id, level) FROM STDIN") as copy:
                    for row in skills:
                        copy.write_row(row)
                with cur.copy("COPY visit_milestone (visit_id, person_id, milestone_id) FROM STDIN") as copy:
                    for row in milestones:
                        copy.write_row(row)
            conn.commit()
            n += len(visits)
    return n


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] if len(values) > 1 else values[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batch", type=int, help="visits per push (with --devices: run only that case)")
    parser.add_argument("--devices", type=int, help="devices pushing at once")
    parser.add_argument("--history", type=int, help="earlier visits per household for the CPU run (besides 0)")
    parser.add_argument("--seconds", type=float, default=30.0, help="length of each ingest run (as issue 11 measured)")
    parser.add_argument("--households", type=int, default=100, help="households per device hamlet")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=0, help="0: a free one")
    parser.add_argument(
        "--url", default=os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    )
    parser.add_argument("--keep", action="store_true", help="keep the database")
    args = parser.parse_args()
    rng = random.Random(7)
    if args.batch or args.devices:
        cases = [(args.batch or BATCH, args.devices or 50)]
    else:
        cases = [(1, 5), (1, 50), (BATCH, 50)]
    levels = [0, args.history] if args.history is not None else [0, 10, 30]
    per_level = 40
    devices = max(d for _, d in cases)

    log(
        f"database {DB_NAME}: create, migrate, seed {devices} device hamlets × {args.households} households"
        f" and {ARCHIVE_VISITS} earlier visits"
    )
    url = normalize_url(fresh_database(args.url))
    run_migrations(url)
    t = time.perf_counter()
    area = seed(url, devices, args.households, per_level * len(levels))
    engine = make_engine(url)
    with engine.connect() as conn:
        from sqlalchemy import text

        hamlets: dict[int, int] = dict(conn.execute(text("SELECT user_id, hamlet_id FROM volunteer_area")).all())  # type: ignore[arg-type]
    for dev in [*area.devices, area.pull_device, area.history_device, area.archive_device]:
        dev["hamlet_id"] = hamlets[dev["user_id"]]
    earlier_visits(url, area, rng)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        # Statistics of the bulk-loaded tables, as autovacuum would soon gather them on a real server.
        conn.execute(text("ANALYZE"))
    engine.dispose()
    log(f"  seeded in {time.perf_counter() - t:.1f} s")

    if not args.port:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            args.port = probe.getsockname()[1]
    server = Server(url, args.port, args.workers)
    autovacuum = Autovacuum(url)
    rows_out: list[tuple[str, str, str]] = []
    best = 0.0
    try:
        log(f"server: tungnha serve --workers {args.workers} on {server.base}, pids {server.workers()}")
        if autovacuum.needed:
            log(f"  autovacuum is off on this server: the bench analyzes the database every {autovacuum.every:.0f} s")
        for size, n in cases:
            server.peak_rss = 0
            seconds, lat, visits = run_devices(server, area, n, size, args.seconds, rng)
            rate = visits / seconds
            best = max(best, rate)
            p50, p95 = pct(lat, 50) * 1000, pct(lat, 95) * 1000
            target = (
                "≥ 250/s, p50 ≤ 200 ms" if size == 1 and n == 50 else "≥ 2,000/s, p95 ≤ 1 s" if size == BATCH else ""
            )
            rows_out.append(
                (
                    f"batch {size:>3}, {n:>2} devices",
                    f"{rate:7.0f} visits/s  p50 {p50:6.0f} ms  p95 {p95:6.0f} ms  RSS {server.peak_rss / 1024:4.0f} MB",
                    target,
                )
            )
            log(f"  {rows_out[-1][0]}: {rows_out[-1][1]}")
            if rate:
                # A closed loop: n pushes of `size` visits always in flight, so by Little's law the mean
                # latency is n × size / rate, whatever the server does, as long as it serves every phone.
                rows_out.append(
                    ("  closed-loop mean latency", f"{n * size / rate * 1000:7.0f} ms  (= {n} × {size} / rate)", "")
                )
        cpu = history_cpu(server, area, levels, per_level, rng)
        for level in levels:
            rows_out.append(
                (
                    f"CPU per visit, history {level:>2}",
                    f"{cpu[level]:7.1f} ms  ({cpu[level] / cpu[levels[0]]:.2f} × history 0)",
                    "≤ 1.3 ×" if level else "",
                )
            )
            log(f"  {rows_out[-1][0]}: {rows_out[-1][1]}")
        pull_dev = area.pull_device
        token = create_token(area.pull_user, "access")
        with httpx.Client(
            base_url=server.base,
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            timeout=120,
        ) as client:
            for _ in range(PULL_HOUSEHOLDS // BATCH):
                r = client.post("/api/v1/sync/push", content=visit_batch(pull_dev, area.campaign_id, rng, BATCH))
                assert r.status_code == 200, r.text
        wire, elapsed, pages, rows = first_pull(server, area.pull_user)
        rows_out.append(
            (
                f"first pull, {PULL_HOUSEHOLDS} households",
                f"{elapsed * 1000:7.0f} ms  {wire / 1024:.0f} KB gzip, {rows} rows, {pages} page(s)",
                "≤ 300 ms",
            )
        )
    finally:
        autovacuum.stop()
        server.stop()
    copy_rate = baseline(url, area, 5, rng)
    rows_out.append(("psycopg COPY, same rows", f"{copy_rate:7.0f} visits/s  (one process, 100 per transaction)", ""))
    rows_out.append(("best ingest / COPY", f"{best / copy_rate:7.2f}", "≥ 0.30"))
    log("")
    log(f"{'':32} {'measured':60} target")
    for label, figure, target in rows_out:
        log(f"{label:32} {figure:60} {target}")
    if not args.keep:
        drop_database(args.url)


if __name__ == "__main__":
    main()
