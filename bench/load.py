"""A province's evening sync: many phones at once against a real `tungnha serve` (issue 10). Not a test.

    .venv/bin/python bench/load.py --devices 500 --minutes 10 [--workers 2] [--think 3]
        [--database-url postgresql://postgres@127.0.0.1:5432/tungnha_load]

The database must hold the demo (`tungnha migrate && tungnha import-units && tungnha seed-demo` with that
DATABASE_URL; `--seed` does it). Starts `tungnha serve --workers W` on 127.0.0.1, logs in N distinct demo
field users (volunteers and team leaders), and runs one simulated phone per user, each with its own
`client_id`: after a think time (exponential, mean --think s) it pushes one new visit (80 %), a batch of
5–20 (15 %), or pulls a page (5 %). 503 and 429 are retried after Retry-After with jitter, as the PWA does;
a request without an answer within 30 s counts as unanswered and is retried. A monitor polls
`/api/v1/health` every second, and the server's RSS (all its processes) is sampled.

Then SIGTERM is sent while the phones are still pushing, and the time to exit is measured; the server is
started again, every phone sends what it still holds, and the database is checked: every visit the
generator created is stored exactly once. Baseline, measured in the same run before the load: one phone
alone (push latency) and /health on an idle server.

Prints visits/s, push latency p50/p95/p99, answers by status, unanswered, worst /health, peak RSS,
SIGTERM-to-exit, and the exactly-once check. Exit status 1 when a target is missed (0 unanswered, only
200/429/503 answers, worst /health ≤ 1 s, exit ≤ 10 s after SIGTERM, every visit exactly once).
"""

import argparse
import asyncio
import contextlib
import multiprocessing
import os
import random
import signal
import statistics
import subprocess
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Uuid, bindparam, create_engine, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.db import normalize_url  # noqa: E402

DEFAULT_DB = "postgresql://postgres@127.0.0.1:5432/tungnha_load"
PASSWORD = "tungnha-demo"
SKILLS = ["public_services", "online_shopping", "online_payment", "online_safety", "digital_platforms"]
LEVELS = ["taught", "proficient"]
CLIENT_TIMEOUT = 30.0
TARGET_HEALTH_S, TARGET_SIGTERM_S = 1.0, 10.0


def log(msg: str, end: str = "\n") -> None:
    print(msg, end=end, flush=True)


@dataclass
class Phone:
    phone: str
    households: list[tuple[str, list[str]]]  # household id, its people
    client_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    token: str = ""
    next_seq: int = 1
    cursor: str | None = None
    outbox: list[dict[str, Any]] = field(default_factory=list)  # sent, not yet acknowledged
    created: list[str] = field(default_factory=list)
    acked: int = 0
    pushed: bool = False  # sent at least one push during the load (a long think time may leave one idle)


@dataclass
class Stats:
    push_latency: list[float] = field(default_factory=list)
    answers: Counter[str] = field(default_factory=Counter)
    unanswered: int = 0
    visits_acked: int = 0
    health: list[float] = field(default_factory=list)
    health_failures: int = 0


class Server:
    def __init__(self, db_url: str, workers: int, port: int, log_path: Path) -> None:
        self.url = f"http://127.0.0.1:{port}"
        env = {**os.environ, "DATABASE_URL": db_url, "ENVIRONMENT": "development", "PYTHONUNBUFFERED": "1"}
        cmd = [str(ROOT / ".venv/bin/tungnha"), "serve", "--host", "127.0.0.1", "--port", str(port)]
        self.proc = subprocess.Popen(
            [*cmd, "--workers", str(workers)], cwd=ROOT, env=env, stdout=log_path.open("a"), stderr=subprocess.STDOUT
        )
        self.peak_rss_kb = 0

    def wait_healthy(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("the server exited")
            try:
                if httpx.get(f"{self.url}/api/v1/health/ready", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise RuntimeError("the server did not become ready")

    def pids(self) -> list[int]:
        out = subprocess.run(["pgrep", "-P", str(self.proc.pid)], capture_output=True, text=True).stdout.split()
        return [self.proc.pid, *map(int, out)]

    def sample_rss(self) -> None:
        total = 0
        for pid in self.pids():
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
            except OSError:
                pass
        self.peak_rss_kb = max(self.peak_rss_kb, total)


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def seed(db_url: str) -> None:
    env = {**os.environ, "DATABASE_URL": db_url}
    for step in (["migrate"], ["import-units"], ["seed-demo"]):
        subprocess.run([str(ROOT / ".venv/bin/tungnha"), *step], cwd=ROOT, env=env, check=True)


def load_phones(db_url: str, devices: int) -> list[Phone]:
    engine = create_engine(normalize_url(db_url))
    with engine.connect() as conn:
        users = conn.execute(
            text(
                "SELECT u.phone, min(a.hamlet_id) FROM app_user u JOIN volunteer_area a ON a.user_id = u.id"
                " WHERE u.role IN ('volunteer', 'team_leader') AND u.is_active GROUP BY u.id, u.phone"
                " ORDER BY u.phone LIMIT :n"
            ),
            {"n": devices},
        ).all()
        if len(users) < devices:
            raise SystemExit(f"the database has {len(users)} field users; --devices {devices} needs as many")
        hamlets = sorted({h for _, h in users})
        rows = conn.execute(
            text(
                "SELECT h.hamlet_id, h.id, p.id FROM household h LEFT JOIN person p ON p.household_id = h.id"
                " AND p.deleted_at IS NULL WHERE h.hamlet_id IN :hamlets AND h.deleted_at IS NULL"
            ).bindparams(bindparam("hamlets", expanding=True)),
            {"hamlets": hamlets},
        ).all()
    engine.dispose()
    by_hamlet: dict[int, dict[str, list[str]]] = {}
    for hamlet_id, hid, pid in rows:
        people = by_hamlet.setdefault(hamlet_id, {}).setdefault(str(hid), [])
        if pid is not None:
            people.append(str(pid))
    phones = []
    for phone, hamlet_id in users:
        households = [(h, p) for h, p in by_hamlet.get(hamlet_id, {}).items() if p]
        if households:
            phones.append(Phone(phone, households))
    return phones


def new_visit(phone: Phone, rng: random.Random) -> dict[str, Any]:
    hid, people = rng.choice(phone.households)
    vid = str(uuid.uuid4())
    phone.created.append(vid)
    met = people[: rng.randint(1, len(people))]
    data = {
        "id": vid,
        "household_id": hid,
        "visited_at": f"2024-10-{rng.randint(1, 10):02d}T{rng.randint(7, 18):02d}:{rng.randint(0, 59):02d}:00+07:00",
        "outcome": "met",
        "consent_given": True,
        "consent_notice_version": "2024-1",
        "people": [{"person_id": p, "skills": {s: rng.choice(LEVELS) for s in SKILLS}, "milestones": []} for p in met],
    }
    mutation = {"seq": phone.next_seq, "id": vid, "kind": "visit.create", "data": data}
    phone.next_seq += 1
    return mutation


async def login(http: httpx.AsyncClient, url: str, phone: Phone, gate: asyncio.Semaphore) -> None:
    async with gate:
        for _ in range(20):
            r = await http.post(f"{url}/api/v1/auth/login", json={"phone": phone.phone, "password": PASSWORD})
            if r.status_code == 200:
                phone.token = r.json()["access_token"]
                return
            await asyncio.sleep(float(r.headers.get("Retry-After", "1")))
        raise RuntimeError(f"login failed for {phone.phone}: {r.status_code} {r.text[:200]}")


async def send_outbox(http: httpx.AsyncClient, url: str, phone: Phone, stats: Stats, rng: random.Random) -> bool:
    """One push of what the phone holds; True when it was acknowledged."""
    body = {"client_id": phone.client_id, "schema_version": 1, "mutations": phone.outbox[:100]}
    phone.pushed = True
    started = time.monotonic()
    try:
        r = await http.post(f"{url}/api/v1/sync/push", json=body, headers={"Authorization": f"Bearer {phone.token}"})
    except httpx.TimeoutException:
        stats.unanswered += 1
        return False
    except httpx.TransportError as e:
        stats.answers[f"connection error ({type(e).__name__})"] += 1
        await asyncio.sleep(1 + rng.random())
        return False
    stats.answers[str(r.status_code)] += 1
    if r.status_code == 200:
        stats.push_latency.append(time.monotonic() - started)
        results = r.json()["results"]
        done = {x["seq"] for x in results if x["status"] in ("applied", "duplicate")}
        bad = [x for x in results if x["status"] not in ("applied", "duplicate", "retry")]
        if bad:
            raise RuntimeError(f"unexpected results: {bad[:3]}")
        stats.visits_acked += len(done)
        phone.acked += len(done)
        phone.outbox = [m for m in phone.outbox if m["seq"] not in done]
        return not phone.outbox
    wait = float(r.headers.get("Retry-After", "5")) if r.status_code in (429, 503) else 5.0
    await asyncio.sleep(wait * (0.5 + rng.random()))
    return False


async def pull_page(http: httpx.AsyncClient, url: str, phone: Phone, stats: Stats) -> None:
    params: dict[str, Any] = {"limit": 200, **({"cursor": phone.cursor} if phone.cursor else {})}
    try:
        r = await http.get(f"{url}/api/v1/sync/pull", params=params, headers={"Authorization": f"Bearer {phone.token}"})
    except httpx.TimeoutException:
        stats.unanswered += 1
        return
    except httpx.TransportError as e:
        stats.answers[f"connection error ({type(e).__name__})"] += 1
        return
    stats.answers[f"pull {r.status_code}"] += 1
    if r.status_code == 200:
        phone.cursor = r.json()["cursor"]


async def run_phone(
    http: httpx.AsyncClient, url: str, phone: Phone, stats: Stats, until: float, think: float, seed: int
) -> None:
    rng = random.Random(seed)
    await asyncio.sleep(rng.random() * think)
    while time.monotonic() < until:
        if phone.outbox:
            await send_outbox(http, url, phone, stats, rng)
            continue
        await asyncio.sleep(rng.expovariate(1 / think))
        roll = rng.random()
        if roll < 0.05:
            await pull_page(http, url, phone, stats)
            continue
        count = 1 if roll < 0.85 else rng.randint(5, 20)
        phone.outbox += [new_visit(phone, rng) for _ in range(count)]
        await send_outbox(http, url, phone, stats, rng)


def probe_health(url: str, stop: Any, out: Any) -> None:
    """In a process of its own, as an orchestrator's probe is: the generator's busy event loop must not be
    what is measured. A fresh connection each second; the latency, or None for a failure, goes to `out`."""
    while not stop.is_set():
        started = time.monotonic()
        try:
            ok = httpx.get(f"{url}/api/v1/health", timeout=5).status_code == 200
        except httpx.HTTPError:
            ok = False
        out.put(time.monotonic() - started if ok else None)
        stop.wait(max(0.0, 1 - (time.monotonic() - started)))


async def monitor(url: str, server: Server, stats: Stats, stop: asyncio.Event) -> None:
    ctx = multiprocessing.get_context("spawn")
    halt, out = ctx.Event(), ctx.Queue()
    prober = ctx.Process(target=probe_health, args=(url, halt, out), daemon=True)
    prober.start()

    def drain() -> None:
        while not out.empty():
            latency = out.get()
            if latency is None:
                stats.health_failures += 1
            else:
                stats.health.append(latency)

    while not stop.is_set():
        server.sample_rss()
        drain()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 1)
    halt.set()
    await asyncio.to_thread(prober.join, 10)
    drain()


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


async def baseline(url: str, phone: Phone) -> tuple[float, float]:
    """One phone alone: median push of one visit; median /health on the idle server."""
    stats, rng = Stats(), random.Random(0)
    async with httpx.AsyncClient(timeout=CLIENT_TIMEOUT) as http:
        health = []
        for _ in range(10):
            started = time.monotonic()
            await http.get(f"{url}/api/v1/health")
            health.append(time.monotonic() - started)
        await login(http, url, phone, asyncio.Semaphore(1))
        for _ in range(10):
            phone.outbox.append(new_visit(phone, rng))
            while phone.outbox:
                await send_outbox(http, url, phone, stats, rng)
    return statistics.median(stats.push_latency), statistics.median(health)


async def main_async(args: argparse.Namespace) -> int:
    log_path = Path(args.log)
    log_path.write_text("")
    phones = load_phones(args.database_url, args.devices + 1)
    alone, phones = phones[0], phones[1:]
    log(f"{len(phones)} phones (distinct field users), {sum(len(p.households) for p in phones)} households in reach")
    server = Server(args.database_url, args.workers, free_port(), log_path)
    server.wait_healthy()
    url = server.url
    alone_push, idle_health = await baseline(url, alone)
    log(f"baseline: one phone alone, push of one visit p50 {alone_push * 1000:.0f} ms;", end="")
    log(f" idle /health {idle_health * 1000:.1f} ms")

    stats = Stats()
    limits = httpx.Limits(max_connections=len(phones) + 10, max_keepalive_connections=len(phones) + 10)
    async with httpx.AsyncClient(timeout=CLIENT_TIMEOUT, limits=limits) as http:
        gate = asyncio.Semaphore(8)
        t0 = time.monotonic()
        await asyncio.gather(*(login(http, url, p, gate) for p in phones))
        log(f"logged in {len(phones)} phones in {time.monotonic() - t0:.0f} s; load for {args.minutes} min …")

        stop = asyncio.Event()
        watcher = asyncio.create_task(monitor(url, server, stats, stop))
        started = time.monotonic()
        until = started + args.minutes * 60 + 15  # the phones go on through the SIGTERM
        tasks = [
            asyncio.create_task(run_phone(http, url, p, stats, until, args.think, i)) for i, p in enumerate(phones)
        ]
        await asyncio.sleep(args.minutes * 60)
        stop.set()
        await watcher
        elapsed = time.monotonic() - started
        acked_during_load = stats.visits_acked
        phones_through = sum(1 for p in phones if p.acked)
        phones_pushed = sum(1 for p in phones if p.pushed)
        during_load, unanswered_during_load = Counter(stats.answers), stats.unanswered
        health_during_load, health_failures = list(stats.health), stats.health_failures
        # SIGTERM while the phones are still pushing (their requests then fail; they keep their outbox).
        term_at = time.monotonic()
        server.proc.send_signal(signal.SIGTERM)
        try:
            await asyncio.to_thread(server.proc.wait, 60)
            sigterm_s = time.monotonic() - term_at
        except subprocess.TimeoutExpired:
            sigterm_s = float("inf")
            server.proc.kill()
        await asyncio.gather(*tasks)

        # A new server; every phone sends what it still holds.
        server2 = Server(args.database_url, args.workers, int(url.rsplit(":", 1)[1]), log_path)
        server2.wait_healthy()
        flush_deadline = time.monotonic() + 180
        rng = random.Random(1)

        async def flush(p: Phone) -> None:
            while p.outbox and time.monotonic() < flush_deadline:
                await send_outbox(http, url, p, stats, rng)

        await asyncio.gather(*(flush(p) for p in phones))
        left = sum(len(p.outbox) for p in phones)
        server2.proc.send_signal(signal.SIGTERM)
        server2.proc.wait(timeout=30)

    created = [v for p in [*phones, alone] for v in p.created]
    engine = create_engine(normalize_url(args.database_url))
    with engine.connect() as conn:
        stored = distinct = 0
        for i in range(0, len(created), 5000):
            chunk = {"ids": [uuid.UUID(v) for v in created[i : i + 5000]]}
            ids = bindparam("ids", expanding=True, type_=Uuid())
            stored += conn.execute(
                text("SELECT count(*) FROM visit WHERE id IN :ids").bindparams(ids), chunk
            ).scalar_one()
            distinct += conn.execute(
                text("SELECT count(DISTINCT id) FROM visit WHERE id IN :ids").bindparams(ids), chunk
            ).scalar_one()
    engine.dispose()

    worst_health = max(health_during_load) if health_during_load else float("inf")
    lat = stats.push_latency
    after_term = stats.answers - during_load
    bad_answers = {k: v for k, v in during_load.items() if k not in ("200", "429", "503", "pull 200", "pull 503")}
    log("")
    log(f"devices {len(phones)}, {elapsed:.0f} s of load, workers {args.workers}, think {args.think} s")
    rate = acked_during_load / elapsed
    log(f"visits acknowledged during the load: {acked_during_load} = {rate:.1f} visits/s;", end="")
    log(f" phones with visits through: {phones_through} of the {phones_pushed} that pushed ({len(phones)} phones)")
    log(
        f"push latency (answered 200): p50 {pct(lat, 0.5) * 1000:.0f} ms, p95 {pct(lat, 0.95) * 1000:.0f} ms,"
        f" p99 {pct(lat, 0.99) * 1000:.0f} ms   [baseline, one phone alone: p50 {alone_push * 1000:.0f} ms;"
        f" ratio {pct(lat, 0.5) / alone_push:.1f}×]"
    )
    log(
        f"answers during the load: {dict(sorted(during_load.items()))};"
        f" unanswered within {CLIENT_TIMEOUT:.0f} s: {unanswered_during_load}"
    )
    log(f"answers after SIGTERM (stopping, restarted, phones flushing): {dict(sorted(after_term.items()))}")
    log(
        f"/health: worst {worst_health * 1000:.0f} ms, p50 {pct(health_during_load, 0.5) * 1000:.1f} ms,"
        f" failures {health_failures}   [idle baseline {idle_health * 1000:.1f} ms; target worst ≤ 1 s]"
    )
    log(f"server peak RSS (all processes): {server.peak_rss_kb / 1024:.0f} MB")
    log(f"SIGTERM under load → exit in {sigterm_s:.1f} s   [target ≤ {TARGET_SIGTERM_S:.0f} s]")
    log(f"visits created {len(created)}, stored {stored} ({distinct} distinct), left unsent after the flush {left}")

    missed = []
    if unanswered_during_load:
        missed.append("unanswered requests")
    if phones_through < phones_pushed:
        missed.append("phones that pushed but got nothing through")
    if bad_answers:
        missed.append(f"answers other than 200/429/503: {bad_answers}")
    if worst_health > TARGET_HEALTH_S or health_failures:
        missed.append("/health")
    if sigterm_s > TARGET_SIGTERM_S:
        missed.append("SIGTERM")
    if not (stored == distinct == len(created)) or left:
        missed.append("exactly once")
    log("targets: " + ("all met" if not missed else "MISSED " + "; ".join(missed)))
    return 1 if missed else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--devices", type=int, default=100)
    parser.add_argument("--minutes", type=float, default=1.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--think", type=float, default=3.0, help="mean seconds between a phone's actions")
    parser.add_argument("--database-url", default=os.environ.get("LOAD_DATABASE_URL", DEFAULT_DB))
    parser.add_argument("--seed", action="store_true", help="migrate and seed the demo first")
    parser.add_argument("--log", default="/tmp/tungnha-load-server.log")
    args = parser.parse_args()
    if args.seed:
        seed(args.database_url)
    sys.exit(asyncio.run(main_async(args)))


if __name__ == "__main__":
    main()
