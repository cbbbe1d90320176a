"""Issue 4, item 9: a team leader sees today's progress of the team from the data on the phone."""

import pytest
from playwright.sync_api import expect
from sqlmodel import Session

from app.models import AdminUnit
from tests import factories
from tests.e2e import pwa

pytestmark = pytest.mark.browser


def test_team_leader_sees_todays_progress_offline(server, open_browser):  # type: ignore[no-untyped-def]
    with Session(server.engine) as s:
        hamlet = s.get(AdminUnit, server.seed.hamlet_id)
        leader = factories.make_user(s, "team_leader", unit=hamlet, hamlets=[hamlet], name="Trương Văn Tổ")
        factories.make_team(s, unit=hamlet, leader=leader)
        phone = leader.phone
        s.commit()

    context = open_browser()
    page = context.pages[0] if context.pages else context.new_page()
    # A team leader's home is the team's progress; the walk list is one tap away.
    page.goto(server.url + "/")
    page.get_by_label("Số điện thoại").fill(pwa.spaced(phone))
    page.get_by_label("Mật khẩu").fill(factories.PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.get_by_test_id("team-progress")).to_be_visible()
    page.get_by_role("link", name="Danh sách hộ").click()
    expect(page.locator("[data-testid=household-list] li")).to_have_count(4, timeout=30_000)
    context.set_offline(True)
    pwa.log_all_proficient_single_person(page, "Nguyễn Văn An")
    pwa.log_not_home(page, "Trần Thị Bình")

    page.get_by_role("link", name="Tổ", exact=True).click()
    tiles = page.get_by_test_id("team-progress")
    expect(tiles.locator(".tile", has_text="Lượt thăm hôm nay").locator("dd")).to_have_text("2")
    expect(tiles.locator(".tile", has_text="Hộ gặp được hôm nay").locator("dd")).to_have_text("1")
    expect(tiles.locator(".tile", has_text="Hộ đạt").locator("dd")).to_have_text("1")
    expect(tiles.locator(".tile", has_text="Tổng số hộ").locator("dd")).to_have_text("4")
