"""Issue 4, browser scenario 1: offline visits and a new household survive a reload, then sync once.
Run against a server on SQLite and on PostgreSQL."""

import pytest
from playwright.sync_api import expect
from sqlalchemy import func
from sqlmodel import Session, select

from app.models import Household, Person, SyncClient, Visit
from tests.browser import screenshot
from tests.e2e import pwa

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("server", ["sqlite", "postgresql"], indirect=True)
def test_offline_visits_survive_reload_and_sync_exactly_once(server, open_browser):  # type: ignore[no-untyped-def]
    context = open_browser()
    page = context.pages[0] if context.pages else context.new_page()
    suffix = "" if server.backend == "sqlite" else f"-{server.backend}"
    pwa.login(page, server.url, server.seed.phone, households=6)
    pwa.wait_offline_ready(page)
    screenshot(page, "walk-list" + suffix)

    context.set_offline(True)
    taps = pwa.log_all_proficient_single_person(
        page, "Nguyễn Văn An", screenshot=lambda: screenshot(page, "visit-form" + suffix)
    )
    assert taps <= 5, f"one-person household, all five proficient took {taps} taps"
    pwa.log_not_home(page, "Trần Thị Bình")
    pwa.log_met_with_new_person(page, "Lê Văn Cường", "Lê Thị Mai")
    pwa.add_household(page, "Hộ Mới Ngoại Tuyến", "Số 99, hẻm 7")
    pwa.expect_pending(page, 6)

    # Reload with no network at all: the shell comes from the service worker, the data from IndexedDB.
    page.reload()
    expect(page.get_by_test_id("household-list").locator("li")).to_have_count(7)
    pwa.expect_pending(page, 6)
    page.get_by_role("searchbox").fill("ho moi ngoai tuyen")
    expect(page.get_by_test_id("household-list").locator("li")).to_have_count(1)
    page.get_by_role("searchbox").fill("")
    pwa.open_household(page, "Lê Văn Cường")
    expect(page.get_by_text("Lê Thị Mai")).to_be_visible()
    expect(page.get_by_test_id("visit-history").get_by_text("chưa đồng bộ")).to_be_visible()
    screenshot(page, "household" + suffix)

    context.set_offline(False)
    pwa.sync_now(page)
    pwa.expect_pending(page, 0)
    expect(page.get_by_test_id("sync-summary")).to_contain_text("Mọi dữ liệu đã được gửi")
    screenshot(page, "sync-status" + suffix)

    assert server.engine.dialect.name == server.backend
    with Session(server.engine) as s:
        visits = s.exec(select(Visit).where(Visit.volunteer_id == server.seed.user_id)).all()
        assert len(visits) == 3
        assert len({v.id for v in visits}) == 3
        assert sorted(v.outcome for v in visits) == ["met", "met", "not_home"]
        new = s.exec(select(Household).where(Household.head_name == "Hộ Mới Ngoại Tuyến")).all()
        assert len(new) == 1
        assert s.exec(select(func.count()).select_from(Person).where(Person.full_name == "Lê Thị Mai")).one() == 1
        # The new household came with its one member, named after the head.
        assert s.exec(select(func.count()).select_from(Person).where(Person.household_id == new[0].id)).one() == 1
        client = s.exec(select(SyncClient).where(SyncClient.user_id == server.seed.user_id)).one()
        assert client.last_seq == 6
