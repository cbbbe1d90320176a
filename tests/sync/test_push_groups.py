"""Pushes written together (app/sync/groups.py): several phones' pushes of visits in one transaction give
the answers and the derived rows each would have alone; a group that cannot be written together (one
push's own error, a row the database refuses) is written one push at a time; only visits are grouped,
never two pushes of one user. On SQLite and PostgreSQL, through real HTTP requests where they queue."""

import asyncio
import random
import threading
import time
import uuid
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from fastapi.testclient import TestClient
from sqlalchemy import Engine, func
from sqlmodel import Session, SQLModel, select

from app import coverage
from app.auth.scope import scope_for
from app.models import (
    ALL_TIME,
    HouseholdStatus,
    PersonMilestone,
    PersonSkill,
    SyncClient,
    UnitCoverage,
    UnitDaily,
    User,
    Visit,
)
from app.sync import service
from app.sync.groups import PushGroups
from app.sync.schemas import PushIn
from tests.factories import login, make_campaign, make_tree, make_user
from tests.reports.test_aggregates_match_raw import assert_matches
from tests.sync.helpers import household, new_client_id, numbered, person, push, statuses, visit
from tests.sync.test_concurrency import pg_engine, run_at_once  # noqa: F401 (the fixture)
from tests.sync.test_push_refused_row import MARK, _refuse_marked_visits

T = TypeVar("T")
DERIVED: list[type[SQLModel]] = [HouseholdStatus, PersonSkill, PersonMilestone, UnitCoverage, UnitDaily]


def _derived(session: Session) -> dict[str, list[tuple[Any, ...]]]:
    """Every derived row, without the area versions (a group takes a hamlet's version once, pushes alone
    once each)."""
    session.expire_all()
    out = {}
    for model in DERIVED:
        rows = [
            tuple(sorted((k, str(v)) for k, v in row.model_dump().items() if k != "version"))
            for row in session.exec(select(model)).all()
        ]
        out[model.__name__] = sorted(rows)
    return out


def _volunteer_with_a_household(client: TestClient, session: Session, hamlet: Any) -> dict[str, Any]:
    user = make_user(session, "volunteer", hamlets=[hamlet])
    session.commit()
    headers = login(client, user.phone)
    client_id = new_client_id()
    h = household(hamlet.id)
    people = [person(h["id"]) for _ in range(2)]
    assert statuses(push(client, headers, client_id, numbered([h, *people]))) == ["applied"] * 3
    return {"user": user, "headers": headers, "client_id": client_id, "household": h, "people": people}


def test_pushes_written_together_answer_and_count_as_each_alone(client: TestClient, session: Session) -> None:
    tree = make_tree(session)
    make_campaign(session, unit=tree.province)
    a = _volunteer_with_a_household(client, session, tree.hamlet)
    b = _volunteer_with_a_household(client, session, tree.hamlet)  # the same hamlet as a
    c = _volunteer_with_a_household(client, session, tree.other_hamlet)
    ha, hc = a["household"]["id"], c["household"]["id"]
    pa = [p["id"] for p in a["people"]]
    # c's first visit is in before the group: resent in it, it is a duplicate.
    first_of_c = visit(hc, [c["people"][0]["id"]], day=2)
    assert statuses(push(client, c["headers"], c["client_id"], numbered([first_of_c], start=4))) == ["applied"]
    pushes = [
        (a, numbered([visit(ha, pa, day=5), visit(ha, [str(uuid.uuid4())], day=6)], start=4)),
        # b visits a's household (its hamlet is b's too), earlier than a did and in another order.
        (b, numbered([visit(ha, [pa[1]], level="taught", day=3, outcome="met")], start=4)),
        (c, numbered([first_of_c, visit(hc, [], day=4)], start=4)),
    ]
    bodies = [
        PushIn.model_validate({"client_id": v["client_id"], "schema_version": 1, "mutations": m}) for v, m in pushes
    ]
    users = [v["user"] for v, _ in pushes]

    def answers(outs: list[Any]) -> list[list[tuple[str, str | None]]]:
        return [[(r.status, r.code) for r in out.results] for out in outs]

    alone = session.begin_nested()
    outs_alone = [
        service.push(session, actor=u, scope=scope_for(session, u), data=body)
        for u, body in zip(users, bodies, strict=True)
    ]
    derived_alone = _derived(session)
    alone.rollback()

    together = session.begin_nested()
    outs = service.push_together(
        session, [(u, scope_for(session, u), body) for u, body in zip(users, bodies, strict=True)]
    )
    session.flush()
    assert (
        answers(outs)
        == answers(outs_alone)
        == [
            [("applied", None), ("rejected", "person_not_in_household")],
            [("applied", None)],
            [("duplicate", None), ("applied", None)],
        ]
    )
    assert [o.last_seq for o in outs] == [5, 4, 5]
    assert _derived(session) == derived_alone
    assert coverage.verify(session, [tree.hamlet.id, tree.other_hamlet.id]) == []
    # Counted by hand: a's household had a's visit and b's; c's its two.
    statuses_by_household = {
        str(s.household_id): (s.visits, s.last_outcome)
        for s in session.exec(select(HouseholdStatus).where(HouseholdStatus.campaign_id == 0)).all()
    }
    assert statuses_by_household[ha] == (2, "met")  # a's (day 5) is the later one
    assert statuses_by_household[hc] == (2, "not_home")
    last = {s.client_id: s.last_seq for s in session.exec(select(SyncClient)).all()}
    assert [last[v["client_id"]] for v, _ in pushes] == [5, 4, 5]
    together.rollback()


def test_pushes_that_cannot_go_together_raise_for_each_to_be_pushed_alone(client: TestClient, session: Session) -> None:
    tree = make_tree(session)
    make_campaign(session, unit=tree.province)
    a = _volunteer_with_a_household(client, session, tree.hamlet)
    b = _volunteer_with_a_household(client, session, tree.hamlet)
    pa, pb = [p["id"] for p in a["people"]], [p["id"] for p in b["people"]]
    one_visit = visit(a["household"]["id"], pa, day=3)

    def body(v: dict[str, Any], mutations: list[dict[str, Any]]) -> PushIn:
        return PushIn.model_validate({"client_id": v["client_id"], "schema_version": 1, "mutations": mutations})

    cases = [
        # not visits only
        [
            body(a, numbered([person(a["household"]["id"])], start=4)),
            body(b, numbered([visit(b["household"]["id"], pb)], start=4)),
        ],
        # one visit in two pushes (the same visit id in two phones' outboxes)
        [body(a, numbered([one_visit], start=4)), body(b, numbered([{**one_visit}], start=4))],
    ]
    for bodies in cases:
        users = [a["user"], b["user"]]
        attempt = session.begin_nested()
        try:
            service.push_together(session, [(u, scope_for(session, u), x) for u, x in zip(users, bodies, strict=True)])
        except service.NotTogether:
            pass
        else:
            raise AssertionError("written together")
        finally:
            attempt.rollback()


class _Gate:
    """Holds the first group's write until the pushes after it have queued, so they form one group."""

    def __init__(self, groups: PushGroups) -> None:
        self.groups, self.inner, self.open = groups, groups.write, threading.Event()
        groups.write, groups.writers = self.write, 1
        self.sizes: list[int] = []

    def write(self, items: list[Any]) -> list[Any]:
        self.sizes.append(len(items))
        self.open.wait(30)
        return self.inner(items)

    def release_when_queued(self, n: int) -> None:
        deadline = time.monotonic() + 30
        while len(self.groups._queue) < n and time.monotonic() < deadline:
            time.sleep(0.01)
        self.open.set()


def _push_at_once(client: TestClient, gate: _Gate, first: tuple[Any, ...], rest: list[tuple[Any, ...]]) -> list[Any]:
    answers: list[Any] = [None] * (1 + len(rest))

    def send(k: int, args: tuple[Any, ...]) -> None:
        answers[k] = push(client, *args)

    threads = [threading.Thread(target=send, args=(0, first))]
    threads[0].start()
    while not gate.sizes:  # the first push is being written, held
        time.sleep(0.01)
    threads += [threading.Thread(target=send, args=(k + 1, args)) for k, args in enumerate(rest)]
    for t in threads[1:]:
        t.start()
    gate.release_when_queued(len(rest))
    for t in threads:
        t.join(60)
    return answers


def test_pushes_queued_at_once_are_written_as_one_group(client: TestClient, session: Session) -> None:
    tree = make_tree(session)
    make_campaign(session, unit=tree.province)
    phones = [_volunteer_with_a_household(client, session, h) for h in (tree.hamlet, tree.hamlet, tree.other_hamlet)]
    gate = _Gate(client.app.state.push_groups)  # type: ignore[attr-defined]

    def visits_of(v: dict[str, Any], day: int) -> tuple[Any, ...]:
        people = [p["id"] for p in v["people"]]
        return (v["headers"], v["client_id"], numbered([visit(v["household"]["id"], people, day=day)], start=4))

    first, *rest = [visits_of(v, 2 + k) for k, v in enumerate(phones)]
    answers = _push_at_once(client, gate, first, rest)
    assert [statuses(r) for r in answers] == [["applied"]] * 3
    assert gate.sizes == [1, 2]  # the two queued behind the first went as one
    session.expire_all()
    assert len(session.exec(select(Visit)).all()) == 3
    assert coverage.verify(session, [tree.hamlet.id, tree.other_hamlet.id]) == []


def test_a_group_with_a_refused_row_or_a_foreign_client_is_written_one_push_at_a_time(
    client: TestClient, session: Session
) -> None:
    tree = make_tree(session)
    make_campaign(session, unit=tree.province)
    a, b, c, d, e = [
        _volunteer_with_a_household(client, session, h) for h in (tree.hamlet,) * 3 + (tree.other_hamlet,) * 2
    ]
    _refuse_marked_visits(session)
    session.commit()
    gate = _Gate(client.app.state.push_groups)  # type: ignore[attr-defined]

    def one(v: dict[str, Any], client_id: str, **fields: Any) -> tuple[Any, ...]:
        people = [p["id"] for p in v["people"]]
        return (v["headers"], client_id, numbered([visit(v["household"]["id"], people, **fields)], start=4))

    answers = _push_at_once(
        client,
        gate,
        one(a, a["client_id"]),
        [
            one(b, b["client_id"], notes=MARK),  # refused by the database
            one(c, e["client_id"]),  # e's phone's client_id: c may not push for it
            one(d, d["client_id"], day=3),
        ],
    )
    assert gate.sizes == [1, 3]  # tried together, then written one at a time within the same trip
    assert statuses(answers[0]) == ["applied"]
    assert [r["code"] for r in answers[1].json()["results"]] == ["refused_by_database"]
    assert answers[2].status_code == 403
    assert answers[2].json()["error"]["code"] == "client_owned_by_other_user"
    assert statuses(answers[3]) == ["applied"]
    session.expire_all()
    stored = {str(v.household_id) for v in session.exec(select(Visit)).all()}
    assert stored == {a["household"]["id"], d["household"]["id"]}
    assert coverage.verify(session, [tree.hamlet.id, tree.other_hamlet.id]) == []


def _in_a_thread(scenario: Coroutine[Any, Any, T]) -> T:
    # A thread of its own: a browser test earlier in this worker may have left an event loop running here.
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, scenario).result()


def test_only_visits_and_one_push_per_user_go_in_a_group() -> None:
    written: list[list[str]] = []

    def write(items: list[str]) -> list[bytes | BaseException]:
        written.append(items)
        return [item.encode() for item in items]

    async def run() -> list[bytes]:
        groups = PushGroups(write, writers=1, max_mutations=5)
        # All six queue before the writer starts; it takes them oldest first.
        pushes = [
            groups.push("v1", user=1, size=1, together=True),
            groups.push("v2", user=2, size=2, together=True),
            groups.push("h3", user=3, size=1, together=False),  # not visits: alone
            groups.push("v4", user=2, size=1, together=True),  # user 2's second push: the next group
            groups.push("v5", user=5, size=3, together=True),  # over max_mutations with v2: the next group
            groups.push("v6", user=6, size=1, together=True),
        ]
        return await asyncio.gather(*pushes)

    assert _in_a_thread(run()) == [b"v1", b"v2", b"h3", b"v4", b"v5", b"v6"]
    assert written == [["v1", "v2", "v6"], ["h3"], ["v4", "v5"]]


def test_a_group_whose_write_fails_answers_each_push_with_the_error() -> None:
    def write(items: list[str]) -> list[bytes | BaseException]:
        raise RuntimeError("defect")

    async def run() -> list[Any]:
        groups = PushGroups(write, writers=1)
        return await asyncio.gather(
            groups.push("a", user=1, size=1, together=True),
            groups.push("b", user=2, size=1, together=True),
            return_exceptions=True,
        )

    answers = _in_a_thread(run())
    assert [type(a) for a in answers] == [RuntimeError, RuntimeError]


def test_a_push_whose_phone_went_away_while_it_waited_is_not_written() -> None:
    written: list[list[str]] = []

    def write(items: list[str]) -> list[bytes | BaseException]:
        written.append(items)
        return [item.encode() for item in items]

    async def run() -> bytes:
        groups = PushGroups(write, writers=1)
        kept = asyncio.create_task(groups.push("kept", user=1, size=1, together=True))
        gone = asyncio.create_task(groups.push("gone", user=2, size=1, together=True))
        await asyncio.sleep(0)  # both queued; the writer has not started
        gone.cancel()
        return await kept

    assert _in_a_thread(run()) == b"kept"
    assert written == [["kept"]]


def test_groups_writing_the_same_hamlets_at_once_never_deadlock_and_count_exactly(pg_engine: Engine) -> None:  # noqa: F811
    """PostgreSQL: three workers each write groups of two phones' pushes, every push visiting households
    of both hamlets in no particular order: the group takes clients, then hamlets, then households in id
    order, so they queue instead of deadlocking, and every count is exact."""
    workers, groups, per_push = 3, 3, 4
    with Session(pg_engine, expire_on_commit=False) as session:
        tree = make_tree(session)
        users = [make_user(session, "volunteer", hamlets=[tree.hamlet, tree.other_hamlet]) for _ in range(2 * workers)]
        session.commit()
        homes: list[tuple[str, list[str]]] = []
        mutations: list[dict[str, Any]] = []
        for hamlet in [tree.hamlet, tree.other_hamlet] * 3:
            h = household(hamlet.id)
            people = [person(h["id"]) for _ in range(2)]
            mutations += [h, *people]
            homes.append((h["id"], [p["id"] for p in people]))
        body = PushIn(client_id="setup-device", schema_version=1, mutations=numbered(mutations))  # type: ignore[arg-type]
        service.push(session, actor=users[0], scope=scope_for(session, users[0]), data=body)
        session.commit()

    def worker(w: int) -> None:
        rng = random.Random(w)
        for g in range(groups):
            with Session(pg_engine, expire_on_commit=False) as session:
                pushes = []
                for u in (2 * w, 2 * w + 1):
                    user = session.get(User, users[u].id)
                    assert user is not None
                    chosen = rng.sample(homes, per_push)
                    day = 1 + (u * groups + g) % 27
                    at = [f"2024-10-{day:02d}T{7 + k:02d}:{rng.randint(0, 59):02d}:00+07:00" for k in range(per_push)]
                    visits = [visit(h, people, visited_at=t) for (h, people), t in zip(chosen, at, strict=True)]
                    mutations = numbered(visits, start=g * per_push + 1)
                    data = PushIn(client_id=f"device-{u:04d}", schema_version=1, mutations=mutations)  # type: ignore[arg-type]
                    pushes.append((user, scope_for(session, user), data))
                outs = service.push_together(session, pushes)
                session.commit()
                assert [r.status for out in outs for r in out.results] == ["applied"] * 2 * per_push

    run_at_once(worker, workers, "a group")
    with Session(pg_engine) as session:
        total = workers * groups * 2 * per_push
        assert session.exec(select(func.count()).select_from(Visit)).one() == total
        expected = assert_matches(session)
        assert (
            expected["cov"][(tree.hamlet.id, ALL_TIME, "visits")]
            + expected["cov"][(tree.other_hamlet.id, ALL_TIME, "visits")]
            == total
        )
        assert coverage.verify(session, [tree.hamlet.id, tree.other_hamlet.id]) == []
