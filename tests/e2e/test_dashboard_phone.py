"""Issue 13, item 4: the officials' dashboard on a 360×640 phone — the ranking as cards with every figure,
44 px touch targets, skill bars against the people of the unit, a fixed chart legend, and a unit outside
the official's scope refused at once with "không có quyền xem"."""

import uuid
from datetime import datetime, timedelta

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, select

from app.auth.scope import scope_for
from app.models import AdminUnit, Campaign, User
from app.reports import service as reports
from tests import factories
from tests.browser import ARTIFACTS, screenshot
from tests.e2e import phone, pwa
from tests.e2e.test_accessibility import serious_violations
from tests.reports.build import ALL_PROFICIENT, VIETNAM, Field

pytestmark = pytest.mark.browser


def vi_pct(value: float) -> str:
    return f"{value:.1f}".replace(".", ",") + "%"


def test_commune_official_reads_the_dashboard_on_a_phone(server, open_browser):  # type: ignore[no-untyped-def]
    yesterday = datetime.now(VIETNAM).date() - timedelta(days=1)
    with Session(server.engine) as s:
        hamlet = s.get(AdminUnit, server.seed.hamlet_id)
        assert hamlet is not None and hamlet.parent_id is not None
        commune = s.get(AdminUnit, hamlet.parent_id)
        assert commune is not None and commune.parent_id is not None
        district_id = commune.parent_id
        other_commune = s.exec(
            select(AdminUnit).where(AdminUnit.level == "commune", AdminUnit.id != commune.id)
        ).first()
        assert other_commune is not None
        volunteer = s.get(User, server.seed.user_id)
        campaign = s.exec(select(Campaign)).one()
        ids = [uuid.UUID(h) for h in server.seed.household_ids]
        field = Field(s, volunteer)  # type: ignore[arg-type]
        person = uuid.UUID(server.seed.single_person)
        field.visit(ids[0], yesterday, campaign=campaign, skills={person: ALL_PROFICIENT})
        field.visit(ids[1], yesterday, "not_home", campaign=campaign)
        field.visit(ids[4], yesterday, campaign=campaign)
        official = factories.make_user(s, "commune_official", unit=commune, name="Cán bộ xã")
        s.commit()
        expected = reports.coverage(s, scope=scope_for(s, official), unit_id=commune.id, campaign_id=campaign.id or 0)
        official_phone, other_commune_id = official.phone, other_commune.id
    assert len(expected.children) == 2 and expected.totals.people > 0

    context = open_browser()
    page = context.pages[0] if context.pages else context.new_page()
    page.goto(server.url + "/")
    page.get_by_label("Số điện thoại").fill(pwa.spaced(official_phone))
    page.get_by_label("Mật khẩu").fill(factories.PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.get_by_test_id("breadcrumb").locator("[aria-current=page]")).to_have_text("Phường I")

    # Below 600 px the ranking is one card per hamlet, every figure visible; the table is not shown.
    cards = page.get_by_test_id("ranking-cards").locator("li")
    expect(cards).to_have_count(2)
    expect(page.get_by_test_id("ranking")).to_be_hidden()
    for child in expected.children:
        card = cards.filter(has_text=child.unit.name)
        figures = card.locator("dd")
        expect(figures).to_have_count(5)
        expect(figures).to_have_text(
            [
                str(child.households),
                vi_pct(child.visited_pct),
                vi_pct(child.covered_pct),
                str(child.people_proficient_all),
                str(child.visits),
            ]
        )
        for dd in figures.all():
            box = dd.bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 360, child.unit.name
    # The best covered first; the sort picker re-ranks by visits.
    best = max(expected.children, key=lambda c: (c.covered_pct, -int(c.unit.code.replace("-", ""))))
    expect(cards.first).to_contain_text(best.unit.name)

    # Skill bars against the people of the unit, with their legend; the chart's legend is fixed.
    people = expected.totals.people
    expect(page.get_by_test_id("skills-base")).to_have_text(f"Mỗi thanh so với {people} người của đơn vị.")
    skill = page.get_by_test_id("skills").locator("li[data-skill=public_services]")
    bar = skill.locator(".bar").nth(1)
    fill = bar.locator("span").bounding_box()
    whole = bar.bounding_box()
    assert fill is not None and whole is not None
    proficient = next(f.people_proficient for f in expected.totals.skills if f.skill_id == "public_services")
    assert proficient == 1
    assert abs(fill["width"] - max(3, (whole["width"] - 2) * proficient / people)) < 1.5, (fill, whole, people)
    expect(skill).to_contain_text(f"Thành thạo: 1 ({vi_pct(round(100 * proficient / people, 1))})")
    legend = page.get_by_test_id("chart-legend")
    expect(legend).to_contain_text(f"Lũy kế % hộ đã thăm: {vi_pct(expected.totals.visited_pct)}")
    expect(legend).to_contain_text(f"Lũy kế % hộ đạt: {vi_pct(expected.totals.covered_pct)}")
    expect(page.locator(".u-legend")).to_have_count(0)

    # 360 px: nothing to scroll sideways; every link, button and field at least 44×44.
    assert phone.horizontal_overflow(page) == 0
    assert phone.small_targets(page) == []
    assert len(phone.touch_targets(page, "main")) >= 10
    screenshot(page, "dashboard-phone")
    assert serious_violations(page) == []
    page.get_by_test_id("ranking-cards").scroll_into_view_if_needed()
    screenshot(page, "dashboard-phone-ranking")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "dashboard-phone-full.png"), full_page=True)

    page.get_by_label("Sắp xếp theo").select_option("visits")
    most = max(expected.children, key=lambda c: c.visits)
    expect(cards.first).to_contain_text(most.unit.name)

    # A unit outside the official's unit answers at once, in Vietnamese: the district above, and a
    # commune beside (whose campaigns cannot even be listed).
    for unit_id in (district_id, other_commune_id):
        page.goto(f"{server.url}/#/dashboard/{unit_id}")
        forbidden = page.get_by_test_id("forbidden")
        expect(forbidden).to_contain_text("Bạn không có quyền xem đơn vị này.")
        expect(page.locator("[aria-busy=true]")).to_have_count(0)
        assert phone.small_targets(page) == []
    screenshot(page, "dashboard-phone-out-of-scope")
    page.get_by_role("link", name="Về đơn vị của tôi").click()
    expect(page.get_by_test_id("breadcrumb").locator("[aria-current=page]")).to_have_text("Phường I")
