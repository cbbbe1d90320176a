"""Issue 14: a volunteer's morning at 360×640 — login messages, the walk list, visits that fit one screen
within the tap budgets, a note that is never dropped, a household added with its members, lesson cards
opened with no signal, a login that expires offline and is renewed with the outbox intact, the sync
state in the header, 44 px touch targets. Screenshots of every volunteer screen."""

import re
import time

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session, select

from app.models import Household, Person, Visit
from tests.browser import screenshot
from tests.e2e import pwa
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser

EXPIRE_LOGIN = """() => new Promise((resolve, reject) => {
  const open = indexedDB.open('tungnha');
  open.onerror = reject;
  open.onsuccess = () => {
    const idb = open.result;
    const tx = idb.transaction('meta', 'readwrite');
    const meta = tx.objectStore('meta');
    const get = meta.get('session');
    get.onsuccess = () => meta.put({ ...get.result, value: { ...get.result.value, refresh_expires_at: 1 } });
    tx.oncomplete = () => { idb.close(); resolve(true); };
    tx.onerror = reject;
  };
})"""


def scrolls(page: Page) -> bool:
    return bool(page.evaluate("document.scrollingElement.scrollHeight > window.innerHeight"))


def test_a_volunteers_morning_on_a_small_phone(server, open_browser):  # type: ignore[no-untyped-def]
    context = open_browser()
    page = context.pages[0] if context.pages else context.new_page()
    small: dict[str, list[str]] = {}

    # Login: our own Vietnamese for an empty field, a wrong password, the server down, no network.
    page.goto(server.url + "/")
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.get_by_test_id("login-error")).to_have_text("Hãy điền “Số điện thoại”.")
    page.get_by_label("Số điện thoại").fill(server.seed.phone)
    page.get_by_label("Mật khẩu").fill("sai-mat-khau")
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.get_by_test_id("login-error")).to_contain_text("mật khẩu không đúng")
    page.route("**/api/v1/auth/login", lambda route: route.fulfill(status=502, body="Bad Gateway"))
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.get_by_test_id("login-error")).to_contain_text("Không kết nối được máy chủ")
    page.unroute("**/api/v1/auth/login")
    small["login"] = pwa.small_targets(page)

    # The first sync shows a progress bar with the households loaded (the first page is held back).
    held = []

    def hold_first_page(route):  # type: ignore[no-untyped-def]
        if held:
            route.continue_()
        else:
            held.append((route, route.fetch()))

    page.route("**/api/v1/sync/pull*", hold_first_page)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    first = page.get_by_test_id("first-sync")
    expect(first).to_contain_text("Đã tải 0 hộ")
    expect(first.locator("progress")).to_be_visible()
    expect(page.get_by_test_id("no-households")).to_contain_text("Đang tải danh sách hộ")
    screenshot(page, "volunteer-first-sync")
    small["first sync"] = pwa.small_targets(page)
    # The handler holds the page once its own fetch has answered, which a loaded machine may delay.
    deadline = time.monotonic() + 30
    while not held and time.monotonic() < deadline:
        page.wait_for_timeout(100)  # lets Playwright run the route handler meanwhile
    route, response = held[0]
    route.fulfill(response=response)
    expect(page.locator("[data-testid=household-list] li")).to_have_count(6)
    expect(first).to_have_count(0)
    page.unroute("**/api/v1/sync/pull*")
    pwa.wait_offline_ready(page)

    # Walk list: grouped by hamlet with what is left there, every filter chip on screen.
    heads = page.locator(".hamlet-head")
    expect(heads).to_have_count(2)
    expect(heads.first.get_by_test_id("hamlet-left")).to_have_text("còn 4 hộ")
    for chip in page.locator(".chips .chip").all():
        box = chip.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 360, chip.inner_text()
    expect(page.locator(".chips")).to_contain_text("Từ chối")
    expect(page.locator(".chips")).to_contain_text("Đạt")
    screenshot(page, "volunteer-walk-list")
    small["walk list"] = pwa.small_targets(page)

    # No signal from here on: the header says so.
    context.set_offline(True)
    expect(page.get_by_test_id("net-offline")).to_have_text("Không có mạng")

    # One person, all five proficient: ≤ 5 taps from the walk list, on one screen with no scroll.
    taps = pwa.Taps(page)
    taps.tap(page.get_by_role("link", name="Ghi lượt thăm: Nguyễn Văn An"))
    assert not scrolls(page), "the one-person visit form scrolls at 360×640"
    small["visit form"] = pwa.small_targets(page)
    taps.tap(page.get_by_label("Người dân đồng ý"))
    taps.tap(page.get_by_test_id("all-proficient"))
    expect(page.get_by_role("button", name="Gặp được")).to_have_attribute("aria-pressed", "true")
    assert not scrolls(page), "the filled one-person visit form scrolls at 360×640"
    expect(page.get_by_test_id("save-visit")).to_be_in_viewport()
    screenshot(page, "volunteer-visit-form")
    # The lesson cards open in one tap, offline (their chunk and data are on the phone).
    page.get_by_test_id("lessons-online_safety").click()
    card = page.get_by_test_id("lesson-card")
    expect(card).to_contain_text("Nhận biết cuộc gọi giả danh công an")
    assert card.locator("ol li").count() >= 3
    expect(card).to_contain_text("Lưu ý:")
    small["lessons"] = pwa.small_targets(page)
    screenshot(page, "volunteer-lessons")
    page.get_by_test_id("lessons-close").click()
    taps.tap(page.get_by_test_id("save-visit"))
    expect(page.get_by_test_id("household-list")).to_be_visible()
    assert taps.count <= 5, f"one person, all five proficient took {taps.count} taps"
    one_person_taps = taps.count

    # Not home, with a note: the form says to keep personal details out, the note is kept.
    pwa.visit_from_list(page, "Trần Thị Bình")
    page.get_by_role("button", name="Vắng nhà").click()
    expect(page.locator("label.notes")).to_contain_text("không ghi thông tin cá nhân")
    page.get_by_test_id("visit-notes").fill("Hẹn quay lại chiều thứ Bảy")
    page.get_by_test_id("save-visit").click()
    expect(page.get_by_test_id("household-list")).to_be_visible()

    # A household of four: four people to tick, renameable; the same one again is flagged.
    page.get_by_test_id("add-household").click()
    page.get_by_role("button", name="Lưu").click()
    expect(page.get_by_test_id("form-error")).to_have_text("Hãy điền “Tên chủ hộ”.")
    page.get_by_label("Tên chủ hộ").fill("Huỳnh Văn Tư")
    page.get_by_label("Địa chỉ").fill("Tổ 2, số 8, ấp Mới")
    page.get_by_label("Số nhân khẩu").fill("4")
    screenshot(page, "volunteer-add-household")
    small["add household"] = pwa.small_targets(page)
    page.get_by_role("button", name="Lưu").click()
    expect(page.get_by_role("heading", name="Huỳnh Văn Tư")).to_be_visible()
    expect(page.locator(".people > li")).to_have_count(4)
    expect(page.locator(".people")).to_contain_text("Thành viên 4")
    page.get_by_role("button", name=re.compile("Đổi tên: Thành viên 2")).click()
    page.get_by_label("Họ tên (không bắt buộc)").fill("Huỳnh Thị Năm")
    page.get_by_test_id("person-form").get_by_role("button", name="Lưu").click()
    expect(page.locator(".people")).to_contain_text("Huỳnh Thị Năm")
    screenshot(page, "volunteer-household")
    small["household"] = pwa.small_targets(page)
    pwa.back_to_list(page)
    page.get_by_test_id("add-household").click()
    page.get_by_label("Tên chủ hộ").fill("huynh van tu")
    page.get_by_label("Địa chỉ").fill("Tổ 2, Số 8, Ấp mới")
    page.get_by_role("button", name="Lưu").click()
    expect(page.get_by_test_id("lookalike")).to_contain_text("Huỳnh Văn Tư")
    pwa.back_to_list(page)

    # Four people, two learners: ≤ 9 taps from the walk list.
    taps = pwa.Taps(page)
    taps.tap(page.get_by_role("link", name="Ghi lượt thăm: Huỳnh Văn Tư"))
    expect(page.get_by_test_id("person-skills")).to_have_count(4)
    taps.tap(page.get_by_label("Người dân đồng ý"))
    taps.tap(page.get_by_test_id("person-skills").nth(0).get_by_test_id("all-proficient"))
    second = page.get_by_test_id("person-skills").nth(1)
    taps.tap(second.get_by_test_id("skill-online_payment"))  # taught
    taps.tap(second.get_by_test_id("skill-online_safety"))
    taps.tap(second.get_by_test_id("skill-online_safety"))  # taught → proficient
    expect(second.get_by_test_id("skill-online_safety")).to_have_attribute("data-level", "proficient")
    screenshot(page, "volunteer-visit-form-four-people")
    small["visit form, four people"] = pwa.small_targets(page)
    taps.tap(page.get_by_test_id("save-visit"))
    expect(page.get_by_test_id("household-list")).to_be_visible()
    assert taps.count <= 9, f"four people, two learners took {taps.count} taps"
    four_people_taps = taps.count
    pwa.expect_pending(page, 9)  # 3 visits, 1 household, 4 people and 1 rename

    # The login expires while offline: the phone asks to log in again, and says it has no network.
    page.evaluate(EXPIRE_LOGIN)
    page.reload()
    expect(page.get_by_text("Phiên đăng nhập đã hết hạn")).to_be_visible()
    page.get_by_label("Số điện thoại").fill(server.seed.phone)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.get_by_test_id("login-error")).to_contain_text("không có mạng")
    screenshot(page, "volunteer-login")

    # Back online, the server answers 502 to sync: the header says so, the outbox is intact.
    page.route("**/api/v1/sync/**", lambda route: route.fulfill(status=502, body="Bad Gateway"))
    context.set_offline(False)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.get_by_test_id("net-server")).to_have_text("Không kết nối được máy chủ")
    pwa.expect_pending(page, 9)
    page.get_by_test_id("sync-button").click()
    expect(page.get_by_test_id("sync-result")).to_contain_text("Chưa đồng bộ được: máy chủ không trả lời")
    screenshot(page, "volunteer-server-down")
    small["server down"] = pwa.small_targets(page)
    # ⟳ spins and ends with a result.
    page.unroute("**/api/v1/sync/**")
    page.get_by_test_id("sync-button").click()
    expect(page.get_by_test_id("sync-result")).to_have_text("Đồng bộ xong")
    pwa.expect_pending(page, 0)
    expect(page.get_by_test_id("last-synced")).to_have_text(re.compile(r"\d\d:\d\d, \d\d/\d\d/\d{4}"), timeout=10_000)
    page.get_by_test_id("nav-sync").click()
    expect(page.get_by_test_id("sync-summary")).to_contain_text("Mọi dữ liệu đã được gửi")
    screenshot(page, "volunteer-sync")
    small["sync"] = pwa.small_targets(page)

    assert {k: v for k, v in small.items() if v} == {}
    with Session(server.engine) as s:
        visits = s.exec(select(Visit).where(Visit.volunteer_id == server.seed.user_id)).all()
        assert sorted(v.outcome for v in visits) == ["met", "met", "not_home"]
        not_home = next(v for v in visits if v.outcome == "not_home")
        assert (not_home.consent_given, not_home.notes) == (False, "Hẹn quay lại chiều thứ Bảy")
        new = s.exec(select(Household).where(Household.head_name == "Huỳnh Văn Tư")).one()
        names = sorted(p.full_name or "" for p in s.exec(select(Person).where(Person.household_id == new.id)).all())
        assert names == ["Huỳnh Thị Năm", "Huỳnh Văn Tư", "Thành viên 3", "Thành viên 4"]
    print(f"taps: one person {one_person_taps}, four people {four_people_taps}")
