"""PostgreSQL: concurrent pushes and the coverage write path. Eight devices pushing to one hamlet at
once queue on the hamlet and never deadlock, and every count is exact; a push to another hamlet of
the same province never waits for them (only hamlet rows are written)."""

import random
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, func
from sqlmodel import Session, select

from app import coverage
from app.auth.scope import scope_for
from app.models import ALL_TIME, User, Visit
from app.sync import service
from app.sync.schemas import PushIn
from tests.factories import make_tree, make_user
from tests.reports.test_aggregates_match_raw import assert_matches
from tests.sync.helpers import SKILLS, household, numbered, person, visit
from tests.sync.test_concurrency import WAIT, Push, pg_engine, run_at_once  # noqa: F401 (the fixture)

DEVICES, BATCHES, PER_BATCH = 8, 3, 10
START = datetime.fromisoformat("2024-10-01T07:00:00+07:00")


def _setup(engine: Engine) -> tuple[Any, int, list[tuple[str, list[str]]]]:
    """A volunteer of two hamlets, and four households of two people in the first, pushed and committed."""
    with Session(engine, expire_on_commit=False) as session:
        tree = make_tree(session)
        user = make_user(session, "volunteer", hamlets=[tree.hamlet, tree.hamlet_of_other_commune])
        session.commit()
        mutations: list[dict[str, Any]] = []
        homes: list[tuple[str, list[str]]] = []
        for _ in range(4):
            h = household(tree.hamlet.id)
            people = [person(h["id"]) for _ in range(2)]
            mutations += [h, *people]
            homes.append((h["id"], [p["id"] for p in people]))
        body = PushIn(client_id="setup-device", schema_version=1, mutations=numbered(mutations))  # type: ignore[arg-type]
        service.push(session, actor=user, scope=scope_for(session, user), data=body)
        session.commit()
        return tree, user.id, homes  # type: ignore[return-value]


def _visits(device: int, batch: int, homes: list[tuple[str, list[str]]]) -> list[dict[str, Any]]:
    """Ten visits spread over the households, their hours in no particular order (a day's backlog)."""
    rng = random.Random(device * 100 + batch)
    out = []
    for k in range(PER_BATCH):
        household_id, people = homes[(device + k) % len(homes)]
        at = START + timedelta(hours=device * PER_BATCH * BATCHES + batch * PER_BATCH + k)
        met = rng.random() < 0.7
        chosen = [p for p in people if rng.random() < 0.6] if met else []
        v = visit(household_id, chosen, visited_at=at.isoformat(), outcome="met" if met else "not_home")
        for p in v["data"]["people"]:
            p["skills"] = {s: rng.choice(["taught", "proficient"]) for s in rng.sample(SKILLS, rng.randint(1, 5))}
        out.append(v)
    rng.shuffle(out)
    return out


def test_eight_devices_pushing_to_one_hamlet_never_deadlock_and_count_exactly(pg_engine: Engine) -> None:  # noqa: F811
    tree, user_id, homes = _setup(pg_engine)

    def device(n: int) -> None:
        for b in range(BATCHES):
            with Session(pg_engine, expire_on_commit=False) as session:
                user = session.get(User, user_id)
                assert user is not None
                body = PushIn(
                    client_id=f"device-{n:04d}",
                    schema_version=1,
                    mutations=numbered(_visits(n, b, homes), start=b * PER_BATCH + 1),  # type: ignore[arg-type]
                )
                out = service.push(session, actor=user, scope=scope_for(session, user), data=body)
                session.commit()
                assert [r.status for r in out.results] == ["applied"] * PER_BATCH

    run_at_once(device, DEVICES, "a push")
    with Session(pg_engine) as session:
        total = DEVICES * BATCHES * PER_BATCH
        assert session.exec(select(func.count()).select_from(Visit)).one() == total
        expected = assert_matches(session)
        assert expected["cov"][(tree.hamlet.id, ALL_TIME, "visits")] == total
        assert expected["cov"][(tree.province.id, ALL_TIME, "households_visited")] == len(homes)
        assert coverage.verify(session, [tree.hamlet.id]) == []


def test_a_push_to_another_hamlet_does_not_wait_for_an_open_one(pg_engine: Engine) -> None:  # noqa: F811
    tree, user_id, homes = _setup(pg_engine)
    household_id, people = homes[0]
    first = Push(pg_engine, user_id, "first-device", numbered([visit(household_id, people)]))
    first.start()
    assert first.pushed.wait(WAIT) and first.error is None, first.error
    # The first push holds its hamlet's rows; a household of another commune, district and province alike.
    elsewhere = household(tree.hamlet_of_other_commune.id)
    p = person(elsewhere["id"])
    second = Push(pg_engine, user_id, "second-device", numbered([elsewhere, p, visit(elsewhere["id"], [p["id"]])]))
    second.start()
    assert second.pushed.wait(WAIT), "the second push waited for the first one's transaction"
    second.finish()
    first.finish()
    with Session(pg_engine) as session:
        expected = assert_matches(session)
        assert expected["cov"][(tree.province.id, ALL_TIME, "visits")] == 2
