"""Issue 4, browser scenario 2: the page is closed while a push is in flight (the server committed,
the answer never arrived); after reopening and syncing, everything is on the server exactly once."""

import threading

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, select

from app.models import SyncClient, Visit
from tests.e2e import pwa

pytestmark = pytest.mark.browser


def test_closing_mid_push_then_reopening_applies_everything_once(server, open_browser):  # type: ignore[no-untyped-def]
    context = open_browser()
    page = context.pages[0] if context.pages else context.new_page()
    pwa.login(page, server.url, server.seed.phone, households=6)
    pwa.wait_offline_ready(page)

    context.set_offline(True)
    pwa.log_not_home(page, "Trần Thị Bình")
    pwa.log_met_with_new_person(page, "Lê Văn Cường", "Lê Thị Mai")
    pwa.expect_pending(page, 3)

    # Hold the push: the request reaches the server and commits, the response is never delivered.
    reached_server = threading.Event()
    held = []

    def hold(route):  # type: ignore[no-untyped-def]
        response = route.fetch()
        held.append((route, response.status))
        reached_server.set()

    context.route("**/api/v1/sync/push", hold)
    context.set_offline(False)  # the `online` event starts a sync by itself
    deadline = 30
    while not reached_server.is_set() and deadline > 0:
        page.wait_for_timeout(200)
        deadline -= 0.2
    assert reached_server.is_set(), "the push never left the page"
    assert held[0][1] == 200
    pwa.expect_pending(page, 3)  # no answer: nothing may leave the outbox
    with Session(server.engine) as s:
        assert len(s.exec(select(Visit).where(Visit.volunteer_id == server.seed.user_id)).all()) == 2
    context.close()

    # Reopen the same profile: the outbox is still there; the next sync is answered "duplicate".
    context = open_browser()
    page = context.pages[0] if context.pages else context.new_page()
    page.goto(server.url + "/")
    pwa.expect_pending(page, 0)
    expect(page.get_by_test_id("rejected-count")).to_have_count(0)

    with Session(server.engine) as s:
        visits = s.exec(select(Visit).where(Visit.volunteer_id == server.seed.user_id)).all()
        assert len(visits) == 2
        assert len({v.id for v in visits}) == 2
        client = s.exec(select(SyncClient).where(SyncClient.user_id == server.seed.user_id)).one()
        assert client.last_seq == 3
