"""Issue 13, item 3: the team leader's day on a 360×640 phone — the team against its target, each
volunteer's figures, the households left with their reason; nothing wider than the screen, every touch
target at least 44 px, the navigation on one line."""

import re
import uuid
from datetime import datetime, timedelta

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, select

from app.models import AdminUnit, Campaign, SyncClient, SyncRejection, Team, TeamMember, User
from tests import factories
from tests.browser import ARTIFACTS, screenshot
from tests.e2e import phone, pwa
from tests.e2e.test_accessibility import serious_violations
from tests.reports.build import ALL_PROFICIENT, VIETNAM, Field

pytestmark = pytest.mark.browser


def test_team_leader_sees_each_volunteer_and_the_households_left(server, open_browser):  # type: ignore[no-untyped-def]
    now = datetime.now(VIETNAM)
    # A visit "today" an hour ago at least (never in the future, which would be flagged); just after
    # midnight it goes on the evening before, and the figure for today is then 0.
    recent = (now.date(), now.hour - 1) if now.hour >= 1 else (now.date() - timedelta(days=1), 22)
    with Session(server.engine) as s:
        hamlet = s.get(AdminUnit, server.seed.hamlet_id)
        assert hamlet is not None and hamlet.parent_id is not None
        commune = s.get(AdminUnit, hamlet.parent_id)
        volunteer = s.get(User, server.seed.user_id)
        assert volunteer is not None
        team = s.exec(select(Team).where(Team.unit_id == hamlet.parent_id)).one()
        campaign = s.exec(select(Campaign)).one()
        leader = factories.make_user(s, "team_leader", unit=commune, name="Trương Văn Tổ")
        s.add(TeamMember(team_id=team.id, user_id=leader.id, role="leader"))
        ids = [uuid.UUID(h) for h in server.seed.household_ids]
        field = Field(s, volunteer)
        field.visit(
            ids[0],
            now.date() - timedelta(days=2),
            campaign=campaign,
            skills={uuid.UUID(server.seed.single_person): ALL_PROFICIENT},
        )
        field.visit(ids[1], now.date() - timedelta(days=1), "not_home", campaign=campaign)
        field.visit(ids[2], recent[0], "declined", campaign=campaign, hour=recent[1])
        # Her phone had a mutation refused: it waits under "Cần xử lý".
        s.add(SyncClient(client_id="phone-of-hoa", user_id=volunteer.id, last_seq=1, last_push_at=now))
        s.flush()
        s.add(
            SyncRejection(
                client_id="phone-of-hoa",
                seq=1,
                record_id=uuid.uuid4(),
                code="outside_your_area",
                message_vi="Dữ liệu này nằm ngoài địa bàn của bạn.",
                message_en="This is outside your area.",
            )
        )
        s.commit()
        leader_phone = leader.phone
        window = f"({campaign.starts_on:%d/%m/%Y}–{campaign.ends_on:%d/%m/%Y})"

    context = open_browser()
    page = context.pages[0] if context.pages else context.new_page()
    page.goto(server.url + "/")
    page.get_by_label("Số điện thoại").fill(pwa.spaced(leader_phone))
    page.get_by_label("Mật khẩu").fill(factories.PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()

    # The team against its target: 1 of the 6 households of the commune's two hamlets is covered.
    target = page.get_by_test_id("team-target")
    expect(target).to_contain_text("16,7% của mục tiêu")
    expect(target).to_contain_text("1 / 6 hộ đạt")
    expect(target).to_contain_text("Đã thăm 1 / 6 hộ (16,7%)")
    expect(page.get_by_test_id("team-campaign")).to_contain_text(window)

    # One card per volunteer, the leader first.
    cards = page.get_by_test_id("volunteer-list").get_by_test_id("volunteer")
    expect(cards).to_have_count(2)
    expect(cards.nth(0)).to_contain_text("Trương Văn Tổ")
    expect(cards.nth(0)).to_contain_text("Tổ trưởng")
    hoa = cards.nth(1)
    expect(hoa).to_contain_text("Lê Thị Hoa")
    report_day = re.search(
        r"Số liệu ngày (\d\d/\d\d/\d{4})", page.get_by_test_id("volunteer-list").locator("xpath=..").inner_text()
    )
    assert report_day is not None
    today = 1 if report_day.group(1) == f"{recent[0]:%d/%m/%Y}" else 0

    def figure(key: str) -> str:
        return hoa.locator(f"[data-figure={key}] dd").inner_text()

    expect(hoa.locator("[data-figure=visits] dd")).to_have_text("3")
    assert {
        k: figure(k) for k in ("visits_today", "households_met", "people_proficient", "days_active", "attention")
    } == {
        "visits_today": str(today),
        "households_met": "1",
        "people_proficient": "1",
        "days_active": "3" if recent[0] != now.date() - timedelta(days=1) else "2",
        "attention": "1",
    }
    expect(hoa).to_contain_text("1 bị từ chối khi đồng bộ, 0 lượt thăm chờ xác nhận")
    expect(hoa).to_contain_text(f"Đồng bộ lần cuối: {now:%H:%M}, {now:%d/%m/%Y}")
    expect(hoa.get_by_role("link", name="Gọi Lê Thị Hoa")).to_have_attribute("href", re.compile(r"^tel:\+84"))

    # 360 px: nothing to scroll sideways, the navigation on one line, every target at least 44 px.
    assert phone.horizontal_overflow(page) == 0
    assert set(phone.lines_of(page, ".bottomnav a").values()) == {1}, phone.lines_of(page, ".bottomnav a")
    assert phone.small_targets(page) == []
    assert len(phone.touch_targets(page, "main")) >= 8
    screenshot(page, "team-screen")
    assert serious_violations(page) == []

    # The households left, with their reason; a filter keeps one reason.
    left = page.get_by_test_id("households-left")
    expect(left.locator("li")).to_have_count(5)
    expect(page.get_by_role("heading", name="Hộ còn lại (5)")).to_be_visible()
    filters = page.get_by_test_id("left-filter")
    for name in ("Chưa thăm (3)", "Vắng nhà — cần thăm lại (1)", "Từ chối (1)", "Đã thăm, chưa đạt (0)"):
        expect(filters.get_by_role("button", name=name)).to_be_visible()
    filters.get_by_role("button", name="Vắng nhà — cần thăm lại (1)").click()
    expect(left.locator("li")).to_have_count(1)
    expect(left.locator("li")).to_contain_text("Trần Thị Bình")
    expect(left.locator("li")).to_contain_text(f"Lần thăm cuối: {now.date() - timedelta(days=1):%d/%m/%Y}")
    filters.scroll_into_view_if_needed()
    assert phone.small_targets(page) == []
    screenshot(page, "team-screen-households-left")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "team-screen-full.png"), full_page=True)

    # A household of the list opens on the phone.
    left.get_by_role("link", name=re.compile("Trần Thị Bình")).click()
    expect(page.get_by_role("heading", name="Trần Thị Bình")).to_be_visible()

    # Offline: the per-volunteer figures need the network, and the screen says so in Vietnamese.
    page.get_by_role("link", name="Tổ", exact=True).click()
    expect(page.get_by_test_id("volunteer-list")).to_be_visible()
    context.set_offline(True)
    page.get_by_test_id("left-filter").get_by_role("button", name=re.compile("^Từ chối")).click()
    expect(page.get_by_test_id("team-problem")).to_contain_text("Không có mạng")
    expect(page.get_by_test_id("team-progress")).to_be_visible()
