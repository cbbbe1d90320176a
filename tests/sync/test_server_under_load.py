"""A real uvicorn with a deliberately small thread pool keeps answering under 4× as many pushes as threads.

Before the fix, a push waited for a slot inside a sync dependency (holding a thread) and a request's
transaction stayed open between thread trips: with every thread waiting, nothing moved again — pushes and
`/health` unanswered for minutes. The assertion is that every request gets an answer within the client's
timeout, and that every visit is stored exactly once; no durations are asserted.
"""

import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, func, select
from sqlmodel import Session

from app.models import Visit
from tests import dbs, factories
from tests.browser import ROOT, free_port
from tests.sync.helpers import PUSH, household, person, visit

THREADS = 4
PUSHES = 4 * THREADS
CLIENT_TIMEOUT = 60.0


@pytest.fixture(params=dbs.backends())
def database(request: pytest.FixtureRequest, tmp_path: Path, worker_id: str) -> Iterator[tuple[str, Engine]]:
    name = dbs.unique_name("tungnha_load", worker_id)
    engine = dbs.migrated_engine(request.param, name, str(tmp_path))
    yield engine.url.render_as_string(hide_password=False), engine
    engine.dispose()
    if request.param == "postgresql":
        dbs.drop_postgres(name)


def _start(db_url: str, log: Path) -> tuple[subprocess.Popen, str]:  # type: ignore[type-arg]
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": db_url,
        "ENVIRONMENT": "test",
        "WORKER_THREADS": str(THREADS),
        "PUSH_CONCURRENCY": str(THREADS),
        "PYTHONUNBUFFERED": "1",
    }
    args = ["-m", "uvicorn", "app.asgi:app", "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
    process = subprocess.Popen(
        [sys.executable, *args], cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        if process.poll() is not None:
            raise RuntimeError(log.read_text()[-2000:])
        try:
            if httpx.get(f"{url}/api/v1/health", timeout=1).status_code == 200:
                return process, url
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("uvicorn did not start")


def _one_phone(url: str, token: str, hamlet_id: int) -> tuple[str, list[int]]:
    """A phone's batch (household, person, visit), resent after 503/429 as the PWA does."""
    hid = str(uuid.uuid4())
    pid = str(uuid.uuid4())
    mutations = [household(hamlet_id, hid=hid), person(hid, pid=pid), visit(hid, [pid])]
    body = {
        "client_id": uuid.uuid4().hex,
        "schema_version": 1,
        "mutations": [{**m, "seq": i + 1} for i, m in enumerate(mutations)],
    }
    answers = []
    with httpx.Client(timeout=CLIENT_TIMEOUT) as http:
        for _ in range(50):
            r = http.post(f"{url}{PUSH}", json=body, headers={"Authorization": f"Bearer {token}"})
            answers.append(r.status_code)
            if r.status_code == 200:
                assert {x["status"] for x in r.json()["results"]} <= {"applied", "duplicate"}, r.text
                break
            assert r.status_code in (429, 503), r.text
            assert r.headers.get("Retry-After"), r.headers
            time.sleep(0.2)
    return mutations[2]["id"], answers


def test_pushes_beyond_the_thread_pool_are_all_answered(database: tuple[str, Engine], tmp_path: Path) -> None:
    db_url, engine = database
    with Session(engine) as session:
        tree = factories.make_tree(session)
        volunteer = factories.make_user(session, "volunteer", unit=tree.commune, hamlets=[tree.hamlet])
        today = date.today()
        factories.make_campaign(session, unit=tree.commune, starts_on=date(2024, 10, 1), ends_on=today + timedelta(1))
        phone, hamlet_id = volunteer.phone, tree.hamlet.id
        session.commit()
    process, url = _start(db_url, tmp_path / "uvicorn.log")
    try:
        token = httpx.post(
            f"{url}/api/v1/auth/login", json={"phone": phone, "password": factories.PASSWORD}, timeout=30
        ).json()["access_token"]

        health: list[int] = []
        done = threading.Event()

        def watch_health() -> None:
            with httpx.Client(timeout=10) as http:
                while not done.is_set():
                    health.append(http.get(f"{url}/api/v1/health").status_code)
                    time.sleep(0.05)

        watcher = threading.Thread(target=watch_health)
        watcher.start()
        try:
            with ThreadPoolExecutor(PUSHES) as pool:
                results = list(pool.map(lambda _: _one_phone(url, token, hamlet_id), range(PUSHES)))
        finally:
            done.set()
            watcher.join()

        assert all(answers[-1] == 200 for _, answers in results), results
        assert health and set(health) == {200}, health
        visit_ids = [uuid.UUID(v) for v, _ in results]
        with Session(engine) as session:
            stored = session.execute(select(func.count()).where(Visit.id.in_(visit_ids))).scalar_one()  # type: ignore[attr-defined]
        assert stored == PUSHES
        ready = httpx.get(f"{url}/api/v1/health/ready", timeout=10)
        assert ready.status_code == 200, ready.text
    finally:
        process.terminate()
        process.wait(timeout=15)
