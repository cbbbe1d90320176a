"""The admin places the hamlet of a split pre-2025 commune in its 2025 commune, on a phone at 360×640.

Xã Vị Thuỷ (pre-2025) went partly into Phường Vị Thanh and partly into Xã Vị Thủy of today's Cần Thơ:
its Ấp Vị Hoà waits on the administration home until assigned, then leaves the list of those waiting
(the reports' side is in tests/reports/test_schemes.py).
"""

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, select

from app.models import AdminUnit, HamletAssignment, Household, UnitConversion
from app.units.service import create_unit
from tests import factories
from tests.browser import screenshot
from tests.e2e.test_admin_screens import SMALL_TARGETS, log_in

pytestmark = pytest.mark.browser


def test_an_admin_assigns_a_split_communes_hamlet(server, open_browser, playwright_driver) -> None:  # type: ignore[no-untyped-def]
    with Session(server.engine) as s:
        old = {u.code: u for u in s.exec(select(AdminUnit).where(AdminUnit.scheme == "vn2004")).all()}
        province = create_unit(s, scheme="vn2025", level="province", code="92", name="Thành phố Cần Thơ", parent=None)
        ward = create_unit(s, scheme="vn2025", level="commune", code="31321", name="Phường Vị Thanh", parent=province)
        commune = create_unit(s, scheme="vn2025", level="commune", code="31471", name="Xã Vị Thủy", parent=province)
        for new in (ward, commune):
            s.add(UnitConversion(old_unit_id=old["31471"].id, new_unit_id=new.id, partly_merged=True))  # type: ignore[arg-type]
        for code in ("31318", "31321"):
            s.add(UnitConversion(old_unit_id=old[code].id, new_unit_id=ward.id, partly_merged=False))  # type: ignore[arg-type]
        admin = factories.make_user(s, "admin", name="Quản Trị Viên")
        admin_phone, hamlet_id, commune_id, province_id = admin.phone, old["31471-01"].id, commune.id, province.id
        s.commit()

    context = open_browser()
    page = context.pages[0] if context.pages else context.new_page()
    log_in(page, server.url, admin_phone)
    section = page.get_by_test_id("conversion")
    expect(section).to_contain_text("1 thôn/ấp chưa phân bổ")
    row = section.locator(".admin-list > li").filter(has_text="Ấp Vị Hoà")
    expect(row).to_contain_text("Xã Vị Thuỷ cũ · Huyện Vị Thuỷ · Tỉnh Hậu Giang · 0 hộ")
    row.get_by_label("Xã, phường mới của Ấp Vị Hoà").select_option(label="Xã Vị Thủy (Thành phố Cần Thơ)")
    section.scroll_into_view_if_needed()
    assert page.evaluate(SMALL_TARGETS) == []
    screenshot(page, "admin-split-hamlets-360")
    row.get_by_role("button", name="Phân bổ").click()
    expect(section).to_contain_text("Không còn thôn/ấp nào chờ phân bổ.")
    expect(section.locator(".admin-list > li")).to_have_count(0)
    section.get_by_label("Hiện cả thôn/ấp đã phân bổ").check()
    expect(section.locator(".admin-list > li").filter(has_text="Ấp Vị Hoà")).to_contain_text("Đã phân bổ về Xã Vị Thủy")
    screenshot(page, "admin-split-hamlets-assigned-360")
    # Today's Cần Thơ on the dashboard: its 2025 communes, Phường Vị Thanh holding old Phường I's households.
    page.goto(f"{server.url}/#/dashboard/{province_id}/0")
    expect(page.get_by_test_id("breadcrumb").locator("[aria-current=page]")).to_have_text("Thành phố Cần Thơ")
    ranking = page.locator("[data-testid=ranking], [data-testid=ranking-cards]")  # a table, or cards on a phone
    expect(ranking).to_contain_text("Phường Vị Thanh")
    expect(ranking).to_contain_text("Xã Vị Thủy")
    screenshot(page, "dashboard-2025-province-360")
    with Session(server.engine) as s:
        assigned = s.get(HamletAssignment, hamlet_id)
        assert assigned is not None and assigned.commune_id == commune_id
        assert s.exec(select(Household)).first() is not None  # the seeded households stay where they are
