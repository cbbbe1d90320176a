"""Issue 15: a commune official erases a household from the officials' screens; the volunteer's phone,
at its next sync, deletes its copy (the household, its person and what it knew of them)."""

import time

import pytest
from playwright.sync_api import expect
from sqlmodel import Session

from app.models import AdminUnit
from tests import factories
from tests.browser import CHROMIUM, CHROMIUM_ARGS, screenshot
from tests.e2e import pwa

pytestmark = pytest.mark.browser

LAPTOP = {"width": 1280, "height": 800}
ERASED = "Nguyễn Văn An"  # the seed's household with a person


def in_phone(page, household_id: str) -> dict[str, object]:  # type: ignore[no-untyped-def]
    h, people = pwa.household_on_phone(page, household_id)
    return {"household": h is not None, "people": len(people)}


def test_a_pull_after_erasure_deletes_the_household_on_the_phone(server, open_browser, playwright_driver):  # type: ignore[no-untyped-def]
    with Session(server.engine) as s:
        hamlet = s.get(AdminUnit, server.seed.hamlet_id)
        assert hamlet is not None and hamlet.parent_id is not None
        commune_id = hamlet.parent_id
        official = factories.make_user(s, "commune_official", unit=s.get(AdminUnit, commune_id), name="Cán Bộ Xã").phone
        s.commit()
    household_id = server.seed.single_person_household

    phone = open_browser()
    page = phone.pages[0] if phone.pages else phone.new_page()
    pwa.login(page, server.url, server.seed.phone, households=6)
    assert in_phone(page, household_id) == {"household": True, "people": 1}

    browser = playwright_driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
    try:
        desk = browser.new_context(viewport=LAPTOP, locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh").new_page()
        desk.goto(server.url + "/")
        desk.get_by_label("Số điện thoại").fill(pwa.spaced(official))
        desk.get_by_label("Mật khẩu").fill(factories.PASSWORD)
        desk.get_by_role("button", name="Đăng nhập").click()
        expect(desk.get_by_test_id("nav-manage")).to_be_visible()
        desk.goto(f"{server.url}/#/admin/{commune_id}/households")
        desk.get_by_test_id("household-search").fill("nguyen van an")
        desk.get_by_role("button", name="Tìm").click()
        rows = desk.locator("[data-testid=household-list] li")
        expect(rows).to_have_count(1)
        rows.first.locator("button.admin-item").click()
        panel = desk.get_by_test_id("household-panel")
        expect(panel).to_contain_text(ERASED)
        panel.get_by_test_id("erase").click()
        go = panel.get_by_test_id("erase-go")
        panel.get_by_test_id("erase-reason").fill("Chủ hộ yêu cầu ngày 03/12/2026")
        expect(go).to_be_disabled()  # not before the confirmation word
        panel.get_by_test_id("erase-word").fill("XÓA")
        screenshot(desk, "privacy-erase-confirm-1280")
        go.click()
        expect(desk.get_by_test_id("erase-done")).to_contain_text("1 thành viên")
        # Its name is gone: a search by it finds nothing any more.
        expect(rows).to_have_count(0)
        screenshot(desk, "privacy-erased-1280")
        desk.goto(f"{server.url}/#/admin/{commune_id}/audit")
        expect(desk.get_by_test_id("audit-table")).to_contain_text("Xóa dữ liệu cá nhân")
        expect(desk.get_by_test_id("audit-table")).not_to_contain_text(ERASED)
        screenshot(desk, "privacy-audit-1280")
    finally:
        browser.close()

    # The phone syncs: the household and its person are gone from it, the other five stay.
    page.goto(server.url + "/#/sync")
    page.get_by_test_id("sync-now").click()
    deadline = time.monotonic() + 30
    while in_phone(page, household_id)["household"] and time.monotonic() < deadline:
        time.sleep(0.2)
    assert in_phone(page, household_id) == {"household": False, "people": 0}
    page.goto(server.url + "/#/")
    expect(page.locator("[data-testid=household-list] li")).to_have_count(5)
    expect(page.get_by_test_id("household-list")).not_to_contain_text(ERASED)
    screenshot(page, "privacy-phone-after-erasure-360")
