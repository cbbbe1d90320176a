"""Browser tests: a real uvicorn on 127.0.0.1 with its own database, the built PWA, Debian's Chromium.

The `server` fixture runs on a fresh SQLite file; a test asks for a fresh PostgreSQL database with
`@pytest.mark.parametrize("server", ["postgresql"], indirect=True)` (or both backends).

The PWA is built once per run (or taken from frontend/dist when it is newer than the sources, as
`make frontend` leaves it); each test gets its own copy of it so a test can "deploy" a new build.
"""

import contextlib
import fcntl
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from app.auth.scope import scope_for
from app.households import service as households
from app.households.schemas import HouseholdIn, PersonIn
from tests import dbs, factories

ROOT = Path(__file__).resolve().parents[1]
FRONTEND = ROOT / "frontend"
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE_VIEWPORT = {"width": 360, "height": 640}


def _newest_source_mtime() -> float:
    paths = [FRONTEND / "index.html", FRONTEND / "vite.config.ts", FRONTEND / "package.json"]
    paths += [p for p in (FRONTEND / "src").rglob("*") if p.is_file()]
    paths += [p for p in (FRONTEND / "public").rglob("*") if p.is_file()]
    return max(p.stat().st_mtime for p in paths)


def build_frontend(out_dir: Path | None = None, build_id: str | None = None) -> Path:
    env = {**os.environ, "TUNGNHA_BUILD_ID": build_id or uuid.uuid4().hex}
    cmd = ["npm", "run", "build", "--silent"]
    if out_dir is not None:
        cmd += ["--", "--outDir", str(out_dir), "--emptyOutDir"]
    subprocess.run(cmd, cwd=FRONTEND, env=env, check=True, stdout=subprocess.DEVNULL)
    return out_dir or FRONTEND / "dist"


@pytest.fixture(scope="session")
def built_dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dist = FRONTEND / "dist"
    index = dist / "index.html"
    # xdist workers share frontend/dist: one builds, the others wait for it.
    with (tmp_path_factory.getbasetemp().parent / "tungnha-frontend-build.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not index.exists() or index.stat().st_mtime < _newest_source_mtime():
            if not (FRONTEND / "node_modules").exists():
                subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=FRONTEND, check=True)
            build_frontend()
    return dist


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Seed:
    phone: str
    user_id: int
    hamlet_id: int
    other_hamlet_id: int
    household_ids: list[str] = field(default_factory=list)
    single_person_household: str = ""
    single_person: str = ""


def seed(engine: Engine) -> Seed:
    with Session(engine) as session:
        tree = factories.make_tree(session)
        volunteer = factories.make_user(
            session, "volunteer", unit=tree.commune, hamlets=[tree.hamlet, tree.other_hamlet], name="Lê Thị Hoa"
        )
        factories.make_team(session, unit=tree.commune, members=[volunteer])
        today = date.today()
        factories.make_campaign(
            session, unit=tree.commune, starts_on=today - timedelta(days=3), ends_on=today + timedelta(days=7)
        )
        scope = scope_for(session, volunteer)
        result = Seed(volunteer.phone, volunteer.id, tree.hamlet.id, tree.other_hamlet.id)  # type: ignore[arg-type]
        names = ["Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường", "Phạm Thị Dung", "Đặng Văn Em", "Võ Thị Phương"]
        for i, name in enumerate(names):
            hamlet = tree.hamlet if i < 4 else tree.other_hamlet
            hid = uuid.uuid4()
            households.upsert_household(
                session,
                actor=volunteer,
                scope=scope,
                data=HouseholdIn(
                    id=hid, hamlet_id=hamlet.id, address=f"Số {i + 1}, đường 30/4", head_name=name, member_count=1
                ),
            )
            result.household_ids.append(str(hid))
            if i == 0:
                pid = uuid.uuid4()
                households.upsert_person(
                    session,
                    actor=volunteer,
                    scope=scope,
                    data=PersonIn(id=pid, household_id=hid, full_name=name, birth_year=1968, sex="male"),
                )
                result.single_person_household, result.single_person = str(hid), str(pid)
        session.commit()
        return result


@dataclass
class Server:
    url: str
    engine: Engine
    seed: Seed
    dist: Path
    process: subprocess.Popen  # type: ignore[type-arg]
    backend: str = "sqlite"


def start_server(db_url: str, dist: Path, log: Path) -> subprocess.Popen:  # type: ignore[type-arg]
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": db_url,
        "FRONTEND_DIST": str(dist),
        "ENVIRONMENT": "test",
        "SECRET_KEY": "e2e-secret-" + uuid.uuid4().hex,
        "PYTHONUNBUFFERED": "1",
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "app.asgi:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90  # a loaded CI machine can take most of a minute to import the app
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"uvicorn exited: {log.read_text()[-2000:]}")
        try:
            if httpx.get(f"{url}/api/v1/health", timeout=1).status_code == 200:
                process.url = url  # type: ignore[attr-defined]
                return process
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    process.terminate()
    raise RuntimeError("uvicorn did not start")


def stop_server(process: subprocess.Popen) -> None:  # type: ignore[type-arg]
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextlib.contextmanager
def database(backend: str, prefix: str, tmp_path: Path, worker_id: str) -> Iterator[Engine]:
    """A fresh migrated database (SQLite file or PostgreSQL database), dropped afterwards."""
    if backend == "postgresql" and dbs.postgres_base_url() is None:
        pytest.skip("TEST_SKIP_POSTGRES=1: no PostgreSQL for this test")
    name = dbs.unique_name(prefix, worker_id)
    engine = dbs.migrated_engine(backend, name, str(tmp_path))
    try:
        yield engine
    finally:
        engine.dispose()
        if backend == "postgresql":
            dbs.drop_postgres(name)


def database_url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


@pytest.fixture
def server(request: pytest.FixtureRequest, tmp_path: Path, built_dist: Path, worker_id: str) -> Iterator[Server]:
    backend = getattr(request, "param", "sqlite")
    with database(backend, "tungnha_e2e", tmp_path, worker_id) as engine:
        seeded = seed(engine)
        dist = tmp_path / "dist"
        shutil.copytree(built_dist, dist)
        process = start_server(database_url(engine), dist, tmp_path / "uvicorn.log")
        try:
            yield Server(process.url, engine, seeded, dist, process, backend)  # type: ignore[attr-defined]
        finally:
            stop_server(process)


@pytest.fixture(scope="session")
def playwright_driver() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


@pytest.fixture
def open_browser(playwright_driver, tmp_path: Path):  # type: ignore[no-untyped-def]
    """Open (or reopen) a persistent Chromium profile: its IndexedDB and service worker survive a close."""
    contexts = []
    profile = tmp_path / "profile"

    def launch():  # type: ignore[no-untyped-def]
        context = playwright_driver.chromium.launch_persistent_context(  # type: ignore[attr-defined]
            str(profile),
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport=PHONE_VIEWPORT,
            device_scale_factor=2,
            is_mobile=True,
            has_touch=True,
            locale="vi-VN",
            timezone_id="Asia/Ho_Chi_Minh",
            service_workers="allow",
            accept_downloads=True,
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context

    yield launch
    for context in contexts:
        with contextlib.suppress(Exception):
            context.close()


def screenshot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=False)
