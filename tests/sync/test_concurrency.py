"""PostgreSQL: pushes in parallel transactions, pulls between their commits: no change is ever skipped,
and one installation's retry racing its original applies nothing twice."""

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import Engine, event, func, text
from sqlmodel import Session, select

from app.auth.scope import scope_for
from app.models import User, Visit
from app.sync import pull as pull_service
from app.sync import service
from app.sync.schemas import PushIn
from tests.factories import make_tree, make_user
from tests.sync.helpers import household, numbered, person, visit

WAIT = 20


@pytest.fixture
def pg_engine(committed_engine: Engine) -> Engine:
    if committed_engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises writers with BEGIN IMMEDIATE: no parallel transactions to race")
    return committed_engine


def run_at_once(work: Callable[[int], None], count: int, what: str) -> None:
    """`count` threads run `work(n)` from one start: each must finish within the wait, and none may raise."""
    start = threading.Barrier(count)
    errors: list[BaseException] = []

    def run(n: int) -> None:
        try:
            start.wait(WAIT)
            work(n)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(n,), daemon=True) for n in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(WAIT * 3)
    assert not any(t.is_alive() for t in threads), f"{what} never finished"
    assert not errors, errors


class Push(threading.Thread):
    """One push in its own transaction: applied, then held open until told to commit."""

    def __init__(self, engine: Engine, user_id: int, client_id: str, mutations: list[dict[str, Any]]) -> None:
        super().__init__(daemon=True)
        self.engine, self.user_id, self.client_id, self.mutations = engine, user_id, client_id, mutations
        self.connected = threading.Event()
        self.backend_pid = 0
        self.pushed = threading.Event()
        self.commit = threading.Event()
        self.committed = threading.Event()
        self.result: Any = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            with Session(self.engine, expire_on_commit=False) as session:
                self.backend_pid = session.connection().exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
                self.connected.set()
                user = session.get(User, self.user_id)
                assert user is not None
                body = PushIn(client_id=self.client_id, schema_version=1, mutations=self.mutations)  # type: ignore[arg-type]
                self.result = service.push(session, actor=user, scope=scope_for(session, user), data=body)
                self.pushed.set()
                assert self.commit.wait(WAIT)
                session.commit()
                self.committed.set()
        except BaseException as exc:  # reported by the test's thread
            self.error = exc
            self.connected.set()
            self.pushed.set()
            self.committed.set()

    def finish(self) -> None:
        self.commit.set()
        assert self.committed.wait(WAIT)
        self.join(WAIT)
        if self.error:
            raise self.error


def _wait_until_blocked(engine: Engine, waiter: Push, holder: Push) -> None:
    """Until PostgreSQL reports the waiter's transaction waiting on a lock the holder's transaction holds:
    the event that proves the waiter cannot have pushed yet (no fixed pause to hope it would have)."""
    assert waiter.connected.wait(WAIT) and waiter.error is None, waiter.error
    deadline = time.monotonic() + WAIT
    with engine.connect() as conn:
        while time.monotonic() < deadline:
            blockers = conn.execute(text("SELECT pg_blocking_pids(:pid)"), {"pid": waiter.backend_pid}).scalar_one()
            conn.rollback()
            if holder.backend_pid in blockers:
                return
            assert not waiter.pushed.is_set(), f"pushed without waiting for the other transaction: {waiter.error}"
            time.sleep(0.02)
    raise AssertionError(f"backend {waiter.backend_pid} never waited on {holder.backend_pid}")


def _pull(engine: Engine, user_id: int, cursor: str | None, limit: int = 1000) -> dict[str, Any]:
    """Pages until has_more is false, as one page: {changes, cursor}."""
    changes: list[dict[str, Any]] = []
    for _ in range(100):
        with Session(engine) as session:
            user = session.get(User, user_id)
            assert user is not None
            page = pull_service.pull(session, actor=user, scope=scope_for(session, user), cursor=cursor, limit=limit)
            session.commit()
        changes += page["changes"]
        cursor = page["cursor"]
        if not page["has_more"]:
            return {"changes": changes, "cursor": cursor}
    raise AssertionError("pull never finished")


def _households(*pages: dict[str, Any]) -> set[str]:
    return {c["id"] for p in pages for c in p["changes"] if c["type"] == "household" and c["op"] == "put"}


def _setup(engine: Engine) -> tuple[Any, int, int, int]:
    with Session(engine, expire_on_commit=False) as session:
        tree = make_tree(session)
        a = make_user(session, "volunteer", hamlets=[tree.hamlet, tree.other_hamlet])
        b = make_user(session, "volunteer", hamlets=[tree.hamlet, tree.other_hamlet])
        reader = make_user(session, "volunteer", hamlets=[tree.hamlet, tree.other_hamlet])
        session.commit()
        return tree, a.id, b.id, reader.id  # type: ignore[return-value]


def _batch(hamlet_id: int, n: int) -> list[dict[str, Any]]:
    out = []
    for _ in range(n):
        h = household(hamlet_id)
        p = person(h["id"])
        out += [h, p, visit(h["id"], [p["id"]])]
    return numbered(out)


def test_the_same_hamlet_commits_in_version_order(pg_engine: Engine) -> None:
    tree, a, b, reader = _setup(pg_engine)
    first = Push(pg_engine, a, uuid.uuid4().hex, _batch(tree.hamlet.id, 3))
    second = Push(pg_engine, b, uuid.uuid4().hex, _batch(tree.hamlet.id, 3))
    first.start()
    assert first.pushed.wait(WAIT)
    second.start()
    # The second waits on the hamlet's version row, held by the first until it commits.
    _wait_until_blocked(pg_engine, second, first)
    assert not second.pushed.is_set()
    before = _pull(pg_engine, reader, None)
    assert _households(before) == set()
    first.finish()
    assert second.pushed.wait(WAIT)
    between = _pull(pg_engine, reader, before["cursor"])
    second.finish()
    after = _pull(pg_engine, reader, between["cursor"])
    mine = {m["id"] for m in first.mutations + second.mutations if m["kind"] == "household.upsert"}
    assert _households(between) == {m["id"] for m in first.mutations if m["kind"] == "household.upsert"}
    assert _households(before, between, after) == mine


def test_a_late_commit_in_another_hamlet_is_never_skipped(pg_engine: Engine) -> None:
    """The failure a global sequence has: the transaction that started first commits last."""
    tree, a, b, reader = _setup(pg_engine)
    existing = _batch(tree.hamlet.id, 2)
    first = Push(pg_engine, a, uuid.uuid4().hex, existing)
    first.start()
    first.finish()
    start = _pull(pg_engine, reader, None)
    # Address corrections change no figure, so the slow one holds no aggregate row and the fast one,
    # in the other hamlet, can commit first.
    edits = [{**m, "data": {**m["data"], "address": "Số 7 (sửa)"}} for m in existing if m["kind"] == "household.upsert"]
    slow = Push(pg_engine, a, uuid.uuid4().hex, numbered(edits))
    fast = Push(pg_engine, b, uuid.uuid4().hex, _batch(tree.other_hamlet.id, 2))
    slow.start()
    assert slow.pushed.wait(WAIT)
    fast.start()
    assert fast.pushed.wait(WAIT)
    fast.finish()
    between = _pull(pg_engine, reader, start["cursor"])
    assert _households(between) == {m["id"] for m in fast.mutations if m["kind"] == "household.upsert"}
    slow.finish()
    after = _pull(pg_engine, reader, between["cursor"])
    changed = {c["id"]: c["data"]["address"] for c in after["changes"] if c["type"] == "household"}
    assert changed == {m["id"]: "Số 7 (sửa)" for m in edits}


@contextmanager
def _after_statement(engine: Engine, marker: str, action: Callable[[], None]) -> Iterator[None]:
    """Run `action` once, right after this thread executes a statement containing `marker`."""
    me = threading.get_ident()
    done = False

    def hook(*args: Any) -> None:
        nonlocal done
        if not done and threading.get_ident() == me and marker in args[2]:
            done = True
            action()

    event.listen(engine, "after_cursor_execute", hook)
    try:
        yield
    finally:
        event.remove(engine, "after_cursor_execute", hook)


def test_a_commit_landing_in_the_middle_of_a_pull_is_not_skipped(pg_engine: Engine) -> None:
    """At READ COMMITTED each statement sees newer commits: one landing after the pull read the
    households but before it read the people must not move the cursor past its households."""
    tree, a, b, reader = _setup(pg_engine)
    start = _pull(pg_engine, reader, None)
    earlier = Push(pg_engine, b, uuid.uuid4().hex, _batch(tree.hamlet.id, 1))
    earlier.start()
    earlier.finish()
    late = Push(pg_engine, a, uuid.uuid4().hex, _batch(tree.hamlet.id, 3))
    late.start()
    assert late.pushed.wait(WAIT)
    with _after_statement(pg_engine, "FROM household \nWHERE", late.finish):
        # A small page: without the high-water mark it would end inside the late commit's rows.
        during = _pull(pg_engine, reader, start["cursor"], limit=6)
    assert late.committed.is_set()
    after = _pull(pg_engine, reader, during["cursor"])
    both = earlier.mutations + late.mutations
    assert _households(during, after) == {m["id"] for m in both if m["kind"] == "household.upsert"}
    people = {c["id"] for p in (during, after) for c in p["changes"] if c["type"] == "person"}
    assert people == {m["id"] for m in both if m["kind"] == "person.upsert"}


def test_a_retry_racing_its_original_applies_nothing_twice(pg_engine: Engine) -> None:
    tree, a, _, _ = _setup(pg_engine)
    client_id = uuid.uuid4().hex
    batch = _batch(tree.hamlet.id, 3)
    original = Push(pg_engine, a, client_id, batch)
    retry = Push(pg_engine, a, client_id, batch)
    original.start()
    assert original.pushed.wait(WAIT)
    retry.start()
    _wait_until_blocked(pg_engine, retry, original)  # waits on the client's row
    assert not retry.pushed.is_set()
    original.finish()
    assert retry.pushed.wait(WAIT)
    retry.finish()
    assert {r.status for r in original.result.results} == {"applied"}
    assert {r.status for r in retry.result.results} == {"duplicate"}
    with Session(pg_engine) as session:
        assert session.exec(select(func.count()).select_from(Visit)).one() == 3
