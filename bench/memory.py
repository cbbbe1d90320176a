"""Server memory under a long mixed load (issue 9, "Memory"). Not a test.

    .venv/bin/python bench/memory.py [--requests 50000] [--warmup 5000] [--clients 4]
                                     [--backend postgresql|sqlite] [--url postgresql://…] [--debug]

Creates a fresh database (PostgreSQL by default, or a SQLite file), migrates it and seeds a small
province with the app's own services: 4 hamlets of one commune, a volunteer and 150 households
(2 people each) per hamlet, a province official and a campaign. Starts `tungnha serve` on 127.0.0.1
against it, then --clients threads (one volunteer's phone each, one HTTP connection each, httpx)
send a steady mix of requests:

- 30 % sync push: 5 new visits to the volunteer's households (visited_at inside the campaign);
- 30 % sync pull: from the phone's cursor, and every 10th a first pull from scratch (one page);
- 25 % reports as the official: coverage, progress, households to visit, at every level;
- 15 % exports as the official: coverage, progress and to-visit, xlsx and csv.

The workload is steady: pushes add visits to the same households (the to-visit list and the
reports keep their size), so memory that keeps growing is retained, not needed. The server RSS (its
process and every child: /proc/<pid>/status VmRSS) is read with no request in flight after the
--warmup requests, then after each tenth of --requests (every 10,000 of 50,000), and the growth after
warm-up is compared with the target (≤ 20 MB). Exit status 1 when the target is missed or a request
failed.

Ctrl-C (SIGINT) stops sending after the requests in flight, takes a last reading and prints the figures
measured so far, marked as a shortened run.

--debug starts tracemalloc (25 frames) in the same server after the warm-up and saves a heap
snapshot at each checkpoint (SIGUSR1); at the end it prints the allocation sites that grew most
between the warm-up snapshot and the last one.
"""

import argparse
import itertools
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# The server and this script must agree on the key; ≥ 32 bytes as production requires.
os.environ.setdefault("SECRET_KEY", "bench-memory-" + uuid.uuid4().hex + uuid.uuid4().hex)
os.environ.setdefault("ENVIRONMENT", "development")

import httpx  # noqa: E402
import psycopg  # noqa: E402
from sqlmodel import Session  # noqa: E402

from app.auth import service as auth  # noqa: E402
from app.auth.scope import scope_for  # noqa: E402
from app.cli import run_migrations  # noqa: E402
from app.db import make_engine, normalize_url  # noqa: E402
from app.households import service as households  # noqa: E402
from app.households.schemas import HouseholdIn, PersonIn  # noqa: E402
from app.models import Campaign, VolunteerArea  # noqa: E402
from app.units.service import create_unit  # noqa: E402

SKILLS = ["public_services", "online_shopping", "online_payment", "online_safety", "digital_platforms"]
MILESTONES = ["vneid_level2", "public_service_account", "payment_app", "ecommerce_app"]
PASSWORD = "mat-khau-bench"
DB_NAME = "tungnha_bench_memory"
HAMLETS, HOUSEHOLDS_PER_HAMLET, VISITS_PER_PUSH = 4, 150, 5
TARGET_GROWTH_MB = 20.0
MIX = [("push", 30), ("pull", 30), ("report", 25), ("export", 15)]
# The server with tracemalloc (25 frames), started on the first SIGUSR1 (after the warm-up, so the
# imports run at full speed and only what is allocated later is traced); each SIGUSR1 saves a
# snapshot to $SNAPSHOT_DIR/<n>.trace.
DEBUG_SERVER = """
import itertools, os, signal, sys, tracemalloc
count = itertools.count()
def dump(*_):
    if not tracemalloc.is_tracing():
        tracemalloc.start(25)
    tracemalloc.take_snapshot().dump(os.path.join(os.environ["SNAPSHOT_DIR"], f"{next(count)}.trace"))
signal.signal(signal.SIGUSR1, dump)
from app.cli import app
app(sys.argv[1:])
"""


def log(msg: str) -> None:
    print(msg, flush=True)


# --- the database --------------------------------------------------------------------------------


def fresh_database(backend: str, base_url: str, tmp: Path) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp}/memory.db"
    base = base_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DB_NAME}"')
        # This bench measures the server's memory, not durability: commits of its throw-away database
        # need not wait for the disk, so 50,000 requests fit in minutes on a shared machine.
        conn.execute(f'ALTER DATABASE "{DB_NAME}" SET synchronous_commit = off')
    return urlsplit(base)._replace(path=f"/{DB_NAME}").geturl()


def drop_database(backend: str, base_url: str) -> None:
    if backend == "postgresql":
        with psycopg.connect(base_url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')


@dataclass
class Area:
    province: int = 0
    district: int = 0
    commune: int = 0
    campaign: int = 0
    official_phone: str = ""
    # Per volunteer: phone, hamlet id, [(household id, [person ids])].
    volunteers: list[tuple[str, int, list[tuple[str, list[str]]]]] = field(default_factory=list)

    @property
    def hamlets(self) -> list[int]:
        return [h for _, h, _ in self.volunteers]


def seed(url: str) -> Area:
    """Through the services, as the API would: units, users, a campaign, households and people."""
    engine = make_engine(url)
    area = Area()
    with Session(engine) as session:
        province = create_unit(
            session, scheme="vn2004", level="province", code="93", name="Tỉnh Hậu Giang", parent=None
        )
        district = create_unit(
            session, scheme="vn2004", level="district", code="930", name="Thành phố Vị Thanh", parent=province
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
        official = auth.create_user(
            session,
            phone="0900000100",
            full_name="Trần Văn Tỉnh",
            password=PASSWORD,
            role="province_official",
            unit_id=province.id,
        )
        session.flush()
        area.province, area.district, area.commune = province.id, district.id, commune.id  # type: ignore[assignment]
        area.campaign, area.official_phone = campaign.id, official.phone  # type: ignore[assignment]
        for n in range(HAMLETS):
            hamlet = create_unit(
                session,
                scheme="vn2004",
                level="hamlet",
                code=f"31318-{n + 1:02d}",
                name=f"Khu vực {n + 1}",
                parent=commune,
            )
            session.flush()
            user = auth.create_user(
                session,
                phone=f"09000002{n:02d}",
                full_name="Lê Thị Hoa",
                password=PASSWORD,
                role="volunteer",
                unit_id=commune.id,
            )
            session.add(VolunteerArea(user_id=user.id, hamlet_id=hamlet.id))
            session.flush()
            scope = scope_for(session, user)
            made = []
            for i in range(HOUSEHOLDS_PER_HAMLET):
                hid = uuid.uuid4()
                households.upsert_household(
                    session,
                    actor=user,
                    scope=scope,
                    data=HouseholdIn(
                        id=hid,
                        hamlet_id=hamlet.id,  # type: ignore[arg-type]
                        address=f"Số {i + 1}, đường {i % 17 + 1}",
                        head_name=f"Nguyễn Văn {i}",
                        member_count=2,
                    ),
                )
                pids = []
                for j in range(2):
                    pid = uuid.uuid4()
                    households.upsert_person(
                        session,
                        actor=user,
                        scope=scope,
                        data=PersonIn(id=pid, household_id=hid, full_name=f"Thành viên {j}", birth_year=1960 + i % 40),
                    )
                    pids.append(str(pid))
                made.append((str(hid), pids))
            area.volunteers.append((user.phone, hamlet.id, made))  # type: ignore[arg-type]
        session.commit()
    engine.dispose()
    return area


# --- the server ----------------------------------------------------------------------------------


class Server:
    def __init__(self, url: str, port: int, log: Path, debug_dir: Path | None) -> None:
        env = {**os.environ, "DATABASE_URL": url, "ACCESS_TOKEN_MINUTES": "600", "PYTHONUNBUFFERED": "1"}
        args = ["serve", "--host", "127.0.0.1", "--port", str(port)]
        if debug_dir is None:
            cmd = [str(Path(sys.executable).parent / "tungnha"), *args]
        else:
            env["SNAPSHOT_DIR"] = str(debug_dir)
            cmd = [sys.executable, "-c", DEBUG_SERVER, *args]
        self.debug_dir = debug_dir
        self.log = log
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)
        self.base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"the server exited: {self.log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.base}/api/v1/health", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        raise SystemExit("the server did not start")

    def tree(self) -> list[int]:
        """The server process and its descendants (uvicorn workers, if any)."""
        parents: dict[int, int] = {}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    stat = (entry / "stat").read_text()
                except OSError:
                    continue
                parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
        found = [self.proc.pid]
        for pid in found:
            found += [child for child, parent in parents.items() if parent == pid]
        return found

    @staticmethod
    def rss_kb(pid: int) -> int:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        except OSError:
            pass
        return 0

    def rss_mb(self) -> float:
        return sum(self.rss_kb(p) for p in self.tree()) / 1024

    def snapshot(self, n: int) -> Path | None:
        """In --debug: a tracemalloc snapshot of the serving process, waited for."""
        if self.debug_dir is None:
            return None
        path = self.debug_dir / f"{n}.trace"
        self.proc.send_signal(signal.SIGUSR1)
        deadline = time.monotonic() + 300
        size = -1
        while time.monotonic() < deadline:
            if path.exists() and path.stat().st_size == size and size > 0:
                return path
            size = path.stat().st_size if path.exists() else -1
            time.sleep(1)
        raise SystemExit("no snapshot from the server")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()


# --- the clients ---------------------------------------------------------------------------------


class Phone:
    """One volunteer's phone and, on the same thread, the official's browser."""

    def __init__(self, server: Server, area: Area, n: int, seed_value: int) -> None:
        self.area = area
        self.phone, self.hamlet, self.households = area.volunteers[n % len(area.volunteers)]
        self.rng = random.Random(seed_value)
        self.http = httpx.Client(base_url=server.base + "/api/v1", timeout=300)
        self.volunteer = self._login(self.phone)
        self.official = self._login(area.official_phone)
        self.client_id = uuid.uuid4().hex
        self.seq = 0
        self.cursor: str | None = None
        self.pulls = 0
        self.sent: Counter[str] = Counter()
        self.seconds: Counter[str] = Counter()
        self.failures: list[str] = []

    def _login(self, phone: str) -> dict[str, str]:
        r = self.http.post("/auth/login", json={"phone": phone, "password": PASSWORD})
        r.raise_for_status()
        return {"Authorization": f"Bearer {r.json()['access_token']}"}

    def _check(self, kind: str, r: httpx.Response) -> None:
        self.sent[kind] += 1
        if r.status_code != 200:
            self.failures.append(f"{kind} {r.request.method} {r.request.url.path}: {r.status_code} {r.text[:200]}")

    def push(self) -> None:
        mutations = []
        for _ in range(VISITS_PER_PUSH):
            hid, pids = self.rng.choice(self.households)
            self.seq += 1
            vid = str(uuid.uuid4())
            people = [
                {
                    "person_id": pid,
                    "skills": {s: self.rng.choice(("taught", "proficient")) for s in SKILLS if self.rng.random() < 0.7},
                    "milestones": [self.rng.choice(MILESTONES)],
                }
                for pid in pids
            ]
            day, hour = self.rng.randint(1, 28), self.rng.randint(7, 18)
            minute = self.rng.randint(0, 59)
            data = {
                "id": vid,
                "household_id": hid,
                "campaign_id": self.area.campaign,
                "visited_at": f"2024-10-{day:02d}T{hour:02d}:{minute:02d}:00+07:00",
                "outcome": "met",
                "consent_given": True,
                "consent_notice_version": "2024-1",
                "people": people,
            }
            mutations.append({"seq": self.seq, "id": vid, "kind": "visit.create", "data": data})
        body = {"client_id": self.client_id, "schema_version": 1, "mutations": mutations}
        r = self.http.post("/sync/push", json=body, headers=self.volunteer)
        self._check("push", r)
        if r.status_code == 200:
            bad = [x for x in r.json()["results"] if x["status"] != "applied"]
            if bad:
                self.failures.append(f"push not applied: {bad[0]}")

    def pull(self) -> None:
        self.pulls += 1
        fresh = self.pulls % 10 == 0
        params: dict[str, Any] = {"limit": 200}
        if self.cursor and not fresh:
            params["cursor"] = self.cursor
        r = self.http.get("/sync/pull", params=params, headers={**self.volunteer, "Accept-Encoding": "gzip"})
        self._check("pull", r)
        if r.status_code == 200 and not fresh:
            self.cursor = r.json()["cursor"]

    def _unit(self) -> int:
        return self.rng.choice([self.area.province, self.area.district, self.area.commune, *self.area.hamlets])

    def report(self) -> None:
        params = {"unit_id": self._unit(), "campaign_id": self.rng.choice([0, self.area.campaign])}
        path = self.rng.choice(["/reports/coverage", "/reports/progress", "/reports/to-visit"])
        if path == "/reports/to-visit":
            params["limit"] = 50
        self._check("report", self.http.get(path, params=params, headers=self.official))

    def export(self) -> None:
        params = {"unit_id": self._unit(), "campaign_id": self.area.campaign}
        kind = self.rng.choice(["coverage", "progress", "to-visit"])
        file_format = self.rng.choice(["xlsx", "csv"])
        self._check("export", self.http.get(f"/reports/{kind}.{file_format}", params=params, headers=self.official))

    def one(self) -> None:
        kind = self.rng.choices([k for k, _ in MIX], weights=[w for _, w in MIX])[0]
        started = time.perf_counter()
        getattr(self, kind)()
        self.seconds[kind] += time.perf_counter() - started


STOP = threading.Event()


def run_phase(phones: list[Phone], requests: int) -> tuple[int, float]:
    """`requests` requests shared by the phones' threads (fewer after Ctrl-C); returns how many were
    answered and the time taken, once every answer has arrived."""
    tickets = itertools.count()
    lock = threading.Lock()
    answered = [0]

    def work(phone: Phone) -> None:
        while True:
            with lock:
                if STOP.is_set() or next(tickets) >= requests:
                    return
                answered[0] += 1
            try:
                phone.one()
            except httpx.HTTPError as exc:
                phone.failures.append(f"{type(exc).__name__}: {exc}")

    started = time.perf_counter()
    threads = [threading.Thread(target=work, args=(p,)) for p in phones]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return answered[0], time.perf_counter() - started


def top_growth(first: Path, last: Path, limit: int = 15) -> None:
    import tracemalloc

    before = tracemalloc.Snapshot.load(str(first))
    after = tracemalloc.Snapshot.load(str(last))
    ignore = [tracemalloc.Filter(False, tracemalloc.__file__)]
    before, after = before.filter_traces(ignore), after.filter_traces(ignore)
    log(f"\nAllocation sites that grew most ({first.name} → {last.name}):")
    for stat in after.compare_to(before, "traceback")[:limit]:
        log(f"  {stat.size_diff / 1024:+10.1f} KiB  {stat.count_diff:+8d} blocks")
        for line in stat.traceback.format(limit=6, most_recent_first=True):
            log(f"      {line}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=50_000, help="measured requests (after the warm-up)")
    parser.add_argument("--warmup", type=int, default=2_000)
    parser.add_argument("--clients", type=int, default=4, help="client threads, one phone each")
    parser.add_argument("--backend", choices=["postgresql", "sqlite"], default="postgresql")
    parser.add_argument(
        "--url",
        default=os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"),
        help="PostgreSQL server (a database is created on it and dropped at the end)",
    )
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--debug", action="store_true", help="tracemalloc in the server; print what grew")
    args = parser.parse_args()
    checkpoints = max(1, min(10, args.requests // 1000))
    step = args.requests // checkpoints

    began = time.perf_counter()
    log(f"Load average at start: {' '.join(f'{x:.1f}' for x in os.getloadavg())} ({os.cpu_count()} CPUs)")
    with tempfile.TemporaryDirectory(prefix="tungnha-memory-") as tmp_dir:
        tmp = Path(tmp_dir)
        url = fresh_database(args.backend, normalize_url(args.url), tmp)
        where = (
            url if args.backend == "sqlite" else urlsplit(url)._replace(netloc=urlsplit(url).hostname or "").geturl()
        )
        log(f"Database: {args.backend} ({where})")
        started = time.perf_counter()
        run_migrations(url)
        area = seed(url)
        log(
            f"Seeded {HAMLETS} hamlets × {HOUSEHOLDS_PER_HAMLET} households (2 people each), "
            f"{HAMLETS} volunteers, 1 province official in {time.perf_counter() - started:.1f} s"
        )
        server = Server(url, args.port, tmp / "server.log", tmp if args.debug else None)
        rows: list[tuple[int, float]] = []
        phones: list[Phone] = []
        try:
            log(f"Server: `tungnha serve` pid {server.proc.pid}{' under tracemalloc' if args.debug else ''}")
            log(f"Mix: {', '.join(f'{k} {w} %' for k, w in MIX)}; {args.clients} client threads")
            log(f"At start: {server.rss_mb():.1f} MB")
            phones = [Phone(server, area, n, seed_value=n) for n in range(args.clients)]
            signal.signal(signal.SIGINT, lambda *_: STOP.set())
            _, elapsed = run_phase(phones, args.warmup)
            warm = server.rss_mb()
            rows.append((0, warm))
            snapshots = [server.snapshot(0)]
            log(f"After warm-up ({args.warmup:,} requests, {args.warmup / elapsed:.0f}/s): {warm:.1f} MB")
            for phone in phones:
                phone.sent.clear()
                phone.seconds.clear()
            done = 0
            for n in range(1, checkpoints + 1):
                if STOP.is_set():
                    break
                count, elapsed = run_phase(phones, step if n < checkpoints else args.requests - done)
                done += count
                rss = server.rss_mb()
                rows.append((done, rss))
                snapshots.append(server.snapshot(n))
                log(f"  after {done:>7,} requests: {rss:7.1f} MB ({rss - warm:+6.1f} MB; {count / elapsed:.0f}/s)")
            if STOP.is_set():
                log(f"Stopped by Ctrl-C after {done:,} of {args.requests:,} measured requests: a shortened run.")
            if args.debug and snapshots[0] and snapshots[-1]:
                top_growth(snapshots[0], snapshots[-1])  # type: ignore[arg-type]
        finally:
            for phone in phones:
                phone.http.close()
            server.stop()
            drop_database(args.backend, normalize_url(args.url))

    sent: Counter[str] = sum((p.sent for p in phones), Counter())
    seconds: Counter[str] = sum((p.seconds for p in phones), Counter())
    failures = [f for p in phones for f in p.failures]
    growth = rows[-1][1] - rows[0][1]
    peak = max(r for _, r in rows)
    log(f"Sent: {', '.join(f'{k} {v:,}' for k, v in sorted(sent.items()))} (+ {args.warmup:,} warm-up)")
    log("Mean answer: " + ", ".join(f"{k} {1000 * seconds[k] / v:.0f} ms" for k, v in sorted(sent.items()) if v))
    log(f"RSS after warm-up {rows[0][1]:.1f} MB, at the end {rows[-1][1]:.1f} MB, highest checkpoint {peak:.1f} MB")
    ok = growth <= TARGET_GROWTH_MB and not failures
    log(f"Growth after warm-up: {growth:+.1f} MB (target ≤ {TARGET_GROWTH_MB:.0f} MB) {'OK' if ok else 'MISSED'}")
    if failures:
        log(f"{len(failures)} failed requests, first ones:\n  " + "\n  ".join(failures[:5]))
    log(
        f"Took {(time.perf_counter() - began) / 60:.1f} min; load average at the end: "
        f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
