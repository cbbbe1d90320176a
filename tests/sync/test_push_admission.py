"""Issue 9, problem 11: the push limit was global per worker, so one user's 6 parallel pushes delayed
everyone's. Now at most one push is in flight per `client_id` (a second waits briefly, then 429 with
Retry-After), and one phone's queue holds no slot that another phone needs."""

import asyncio
from concurrent.futures import ThreadPoolExecutor

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.sync.admission import PushAdmission, PushInFlight
from tests.factories import login, make_tree, make_user
from tests.sync.helpers import household, new_client_id, numbered, push


def test_one_phones_parallel_pushes_hold_one_slot_and_never_starve_another_phone() -> None:
    async def scenario() -> None:
        admission = PushAdmission(concurrency=2, max_wait_seconds=5, client_wait_seconds=60)
        first_in = asyncio.Event()
        release = asyncio.Event()
        order: list[str] = []

        async def push_of(client_id: str, name: str) -> None:
            async with admission.slot(client_id):
                order.append(name)
                first_in.set()
                await release.wait()

        first = asyncio.create_task(push_of("phone-a", "a1"))
        await first_in.wait()
        # Phone A sends five more at once: they queue behind its first and take no slot.
        queued = [asyncio.create_task(push_of("phone-a", f"a{n}")) for n in range(2, 7)]
        await asyncio.sleep(0)
        assert admission.running == 1
        # Phone B gets the free slot at once (a global queue would make it wait for A's five, then 503).
        async with admission.slot("phone-b"):
            order.append("b1")
            assert admission.running == 2
        release.set()
        await asyncio.gather(first, *queued)
        assert order[:2] == ["a1", "b1"]
        assert sorted(order[2:]) == ["a2", "a3", "a4", "a5", "a6"]
        assert admission.running == 0 and admission._in_flight == {}

    # A thread of its own: a browser test earlier in this worker may have left an event loop running here.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, scenario()).result()


def test_a_second_push_of_the_same_phone_waits_then_gets_429_with_retry_after(
    client: TestClient, session: Session
) -> None:
    tree = make_tree(session)
    volunteer = make_user(session, "volunteer", unit=tree.commune, hamlets=[tree.hamlet])
    session.commit()
    headers = login(client, volunteer.phone)
    admission: PushAdmission = client.app.state.push_admission  # type: ignore[attr-defined]
    admission.client_wait = 0.05
    busy, other = new_client_id(), new_client_id()
    # The phone's first push is still running (its slot is taken and never released here).
    admission._in_flight[busy] = asyncio.Event()

    r = push(client, headers, busy, numbered([household(tree.hamlet.id)]))
    assert r.status_code == 429, r.text
    assert r.headers["Retry-After"] == "5"
    assert r.json()["error"]["code"] == PushInFlight.code
    assert "tự gửi lại" in r.json()["error"]["message"]
    # Another phone of the same user is not held up by it.
    r = push(client, headers, other, numbered([household(tree.hamlet.id)]))
    assert r.status_code == 200 and r.json()["results"][0]["status"] == "applied", r.text
    del admission._in_flight[busy]
