"""Issue 12: a new hamlet's drive set up from the PWA alone, by an admin and a commune official.

One walk through every administration screen (hamlet, household list from a messy workbook, volunteer,
team, campaign, skills), then the new volunteer's first login on a phone, then the volunteer deactivated
by the commune official and the phone saying why it stopped. Every screen is saved at 360×640 and
1280×800 under test-artifacts/, and checked for 44 px touch targets and a one-line navigation.
"""

import json
import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session, select

from app.campaigns.service import today_in_vietnam
from app.models import AdminUnit, AuditEntry
from tests import factories
from tests.browser import CHROMIUM, CHROMIUM_ARGS, screenshot
from tests.e2e import pwa
from tests.e2e.workbooks import messy_workbook

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 640}
LAPTOP = {"width": 1280, "height": 800}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# Controls a thumb must hit: at least 44 px high wherever they are visible (checkboxes sit in 44 px labels).
SMALL_TARGETS = """() => [...document.querySelectorAll(
  'main button, main .button, main select, main input:not([type=checkbox]):not([type=radio]), .tabs a, .topnav a'
)].filter((el) => {
  const r = el.getBoundingClientRect();
  return r.width > 0 && r.height > 0 && r.height < 43.5;
}).map((el) => `${el.tagName} ${el.textContent || el.getAttribute('name')} ${el.getBoundingClientRect().height}`)"""


def shots(page: Page, name: str) -> None:
    """The screen at 360×640 (touch targets and a one-line top bar checked) and at 1280×800."""
    page.set_viewport_size(PHONE)
    assert page.evaluate(SMALL_TARGETS) == [], name
    nav = page.locator(".topnav")
    if nav.count():
        assert nav.bounding_box()["height"] < 60, f"{name}: the navigation wraps at 360 px"  # type: ignore[index]
    screenshot(page, f"admin-{name}-360")
    page.set_viewport_size(LAPTOP)
    screenshot(page, f"admin-{name}-1280")
    page.set_viewport_size(PHONE)


def log_in(page: Page, url: str, phone: str, password: str = factories.PASSWORD) -> None:
    page.goto(url + "/")
    page.get_by_label("Số điện thoại").fill(pwa.spaced(phone))
    page.get_by_label("Mật khẩu").fill(password)
    page.get_by_role("button", name="Đăng nhập").click()


def item(page: Page, text: str):  # type: ignore[no-untyped-def]
    """A row of an administration list, found by the exact text of its name."""
    return page.locator(".admin-list > li").filter(has=page.get_by_text(text, exact=True))


def exported_outbox(volunteer_phone: str, hamlet_id: int) -> bytes:
    """What "Xuất dữ liệu chưa đồng bộ" writes on a phone that could not sync: one new household."""
    household = str(uuid.uuid4())
    data = {"id": household, "hamlet_id": hamlet_id, "address": "Số 40, tổ 6", "head_name": "Mai Văn Tới"}
    export = {
        "client_id": "phone-of-mai-0001",
        "user_phone": volunteer_phone,
        "exported_at": datetime.now(UTC).isoformat(),
        "schema_version": 1,
        "mutations": [{"seq": 1, "id": household, "kind": "household.upsert", "data": data}],
    }
    return json.dumps(export, ensure_ascii=False).encode()


def test_a_hamlets_drive_set_up_without_a_terminal(server, open_browser, playwright_driver) -> None:  # type: ignore[no-untyped-def]
    with Session(server.engine) as s:
        hamlet = s.get(AdminUnit, server.seed.hamlet_id)
        commune = s.get(AdminUnit, hamlet.parent_id)  # type: ignore[union-attr]
        admin = factories.make_user(s, "admin", name="Quản Trị Viên")
        official = factories.make_user(s, "commune_official", unit=commune, name="Cán Bộ Xã")
        admin_phone, official_phone = admin.phone, official.phone
        s.commit()

    context = open_browser()
    page = context.pages[0] if context.pages else context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())

    # The admin lands on the administration home, not on a dead end.
    log_in(page, server.url, admin_phone)
    expect(page.get_by_role("heading", name="Trang quản trị")).to_be_visible()
    expect(page.get_by_text("chưa được gán đơn vị")).to_have_count(0)
    shots(page, "home")
    page.locator(".admin-item", has=page.get_by_text("Tỉnh Hậu Giang", exact=True)).click()
    page.locator(".admin-item", has=page.get_by_text("Thành phố Vị Thanh", exact=True)).click()
    page.locator(".admin-item", has=page.get_by_text("Phường I", exact=True)).click()

    # 1. The hamlet.
    page.get_by_label("Tên thôn/ấp").fill("Ấp Thạnh Hòa")
    page.get_by_role("button", name="Thêm thôn/ấp").click()
    expect(item(page, "Ấp Thạnh Hòa")).to_contain_text("0 hộ")
    shots(page, "hamlets")

    # 2. The household list, as the commune keeps it; the commune is read from its title.
    page.get_by_test_id("tab-import").click()
    page.get_by_label("Để tệp tự ghi xã/phường").check()
    page.locator("input[name=file]").set_input_files(
        {"name": "danh-sach-ho.xlsx", "mimeType": XLSX, "buffer": messy_workbook("Ấp Thạnh Hòa", "Khu vực 2")}
    )
    page.get_by_role("button", name="Xem trước").click()
    preview = page.get_by_test_id("import-preview")
    expect(preview).to_contain_text("Phường I")
    expect(page.get_by_test_id("count-new")).to_have_text(re.compile(r"Mới: 9$"))
    expect(page.get_by_test_id("count-duplicate")).to_have_text(re.compile(r"Trùng trong tệp: 1$"))
    expect(page.get_by_test_id("count-error")).to_have_text(re.compile(r"Lỗi: 0$"))
    rows = page.get_by_test_id("import-rows").locator("tbody tr")
    expect(rows.filter(has_text="Nguyễn Văn An")).to_have_count(2)  # ALL CAPS written in title case
    expect(rows.filter(has_text="Phạm Thị Dung")).to_contain_text("0907000000")
    expect(preview.get_by_text("Dòng bỏ qua (trống, tổng cộng…): 2")).to_be_visible()
    shots(page, "import-preview")
    page.get_by_test_id("count-warnings").click()
    shots(page, "import-warnings")
    page.get_by_test_id("count-all").click()
    rows.filter(has_text="Huỳnh Văn Giàu").get_by_role("checkbox").uncheck()  # left for later
    expect(page.get_by_test_id("selected-count")).to_have_text("Đã chọn 8 dòng để nhập")
    page.get_by_test_id("import-commit").click()
    expect(page.get_by_test_id("import-result")).to_contain_text("Đã nhập 8 hộ mới; 0 hộ đã có")
    with page.expect_download() as report:
        page.get_by_role("button", name="Tải báo cáo lỗi (.xlsx)").click()
    assert report.value.suggested_filename.endswith(".xlsx")
    shots(page, "import-done")
    page.get_by_test_id("tab-hamlets").click()
    expect(item(page, "Ấp Thạnh Hòa")).to_contain_text("6 hộ")

    # 3. The volunteer, with the hamlet; the temporary password is shown once.
    page.get_by_test_id("tab-people").click()
    page.get_by_test_id("add-person").click()
    page.get_by_label("Số điện thoại (dùng để đăng nhập)").fill("0987 654 321")
    page.get_by_label("Họ và tên").fill("Nguyễn Thị Mai")
    page.get_by_label("Ấp Thạnh Hòa").check()
    page.get_by_role("button", name="Tạo tài khoản").click()
    temporary = page.get_by_test_id("temporary-password-value").inner_text().strip()
    assert len(temporary) >= 8
    expect(item(page, "Nguyễn Thị Mai")).to_contain_text("chưa đổi mật khẩu tạm")
    shots(page, "people")

    # 4. The team covering the hamlet.
    page.get_by_test_id("tab-teams").click()
    page.get_by_label("Tên tổ").fill("Tổ CNSCĐ Ấp Thạnh Hòa")
    page.get_by_label("Địa bàn của tổ").select_option(label="Ấp Thạnh Hòa")
    page.get_by_role("button", name="Lập tổ").click()
    expect(page.get_by_role("heading", name="Tổ CNSCĐ Ấp Thạnh Hòa")).to_be_visible()
    page.locator("select[name=member]").select_option(label="Nguyễn Thị Mai (Tổ viên)")
    page.get_by_role("button", name="Thêm thành viên").click()
    expect(page.get_by_test_id("member-list")).to_contain_text("Nguyễn Thị Mai")
    shots(page, "team")

    # 5. The campaign, running from yesterday, two proficient people per household.
    today = today_in_vietnam()
    page.get_by_test_id("tab-campaigns").click()
    page.get_by_label("Tên chiến dịch").fill("Đi từng ngõ Ấp Thạnh Hòa")
    page.get_by_label("Ngày bắt đầu").fill(f"{today - timedelta(days=1):%d/%m/%Y}")
    page.get_by_label("Ngày kết thúc").fill(f"{today + timedelta(days=9):%d/%m/%Y}")
    page.get_by_label("2 người thành thạo đủ 5 kỹ năng").check()
    page.get_by_test_id("campaign-form").get_by_label("Ấp Thạnh Hòa").check()
    page.get_by_role("button", name="Tạo chiến dịch").click()
    campaign = item(page, "Đi từng ngõ Ấp Thạnh Hòa")
    expect(campaign).to_contain_text("Đang diễn ra")
    expect(campaign).to_contain_text(f"{today - timedelta(days=1):%d/%m/%Y} – {today + timedelta(days=9):%d/%m/%Y}")
    shots(page, "campaigns")

    # 6. Skills and milestones of the province: a milestone added, then retired (it stays listed).
    page.get_by_role("link", name="Tỉnh Hậu Giang").click()
    page.get_by_test_id("tab-skills").click()
    page.locator("input[name=milestone_vi]").fill("Cài ứng dụng Hậu Giang Số")
    page.get_by_role("button", name="Thêm mốc").click()
    milestone = page.get_by_test_id("milestone-list").locator("li", has_text="Cài ứng dụng Hậu Giang Số")
    milestone.get_by_role("button", name="Ngừng dùng").click()
    expect(milestone).to_contain_text("Đã ngừng dùng")
    shots(page, "skills")
    page.get_by_test_id("tab-outbox").click()
    expect(page.get_by_role("heading", name="Nạp tệp dữ liệu từ điện thoại")).to_be_visible()
    shots(page, "outbox")
    page.get_by_role("button", name="Đăng xuất").click()
    expect(page.get_by_role("button", name="Đăng nhập")).to_be_visible()

    # The volunteer's first login: the password first, then the hamlet's households.
    log_in(page, server.url, "0987654321", temporary)
    expect(page.get_by_role("heading", name="Đổi mật khẩu")).to_be_visible()
    shots(page, "change-password")
    page.get_by_role("button", name="Đổi mật khẩu").click()
    expect(page.get_by_test_id("password-error")).to_have_text("Hãy điền “Mật khẩu hiện tại (mật khẩu tạm)”.")
    page.get_by_label("Mật khẩu hiện tại").fill(temporary)
    page.get_by_label("Mật khẩu mới (ít nhất 8 ký tự)").fill("mai-rieng-2024")
    page.get_by_label("Nhập lại mật khẩu mới").fill("mai-rieng-2024")
    page.get_by_role("button", name="Đổi mật khẩu").click()
    expect(page.locator("[data-testid=household-list] li")).to_have_count(6, timeout=30_000)
    expect(page.get_by_text("Nguyễn Văn An")).to_be_visible()
    shots(page, "volunteer-walk-list")

    # The commune official (dashboard plus "Quản lý") deactivates the volunteer from a laptop.
    browser = playwright_driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
    try:
        desk = browser.new_context(viewport=LAPTOP, locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh").new_page()
        desk.on("dialog", lambda dialog: dialog.accept())
        log_in(desk, server.url, official_phone)
        expect(desk.get_by_test_id("nav-manage")).to_be_visible()
        expect(desk.get_by_role("link", name="Báo cáo")).to_have_attribute("aria-current", "page")
        shots(desk, "official-dashboard")
        desk.get_by_test_id("nav-manage").click()

        # A phone that could not sync: its exported file is loaded once, twice changes nothing.
        with Session(server.engine) as s:
            new_hamlet = s.exec(select(AdminUnit).where(AdminUnit.name == "Ấp Thạnh Hòa")).one()
        outbox = {"name": "tungnha-chua-dong-bo.json", "mimeType": "application/json"}
        outbox["buffer"] = exported_outbox("0987654321", new_hamlet.id)  # type: ignore[assignment,arg-type]
        desk.get_by_test_id("tab-outbox").click()
        for applied in ("Đã xử lý: 1 ghi mới, 0 đã có", "Đã xử lý: 0 ghi mới, 1 đã có"):
            desk.locator("input[name=outbox]").set_input_files(outbox)  # type: ignore[arg-type]
            desk.get_by_role("button", name="Xem trước").click()
            expect(desk.get_by_test_id("outbox-preview")).to_contain_text("Tệp của Nguyễn Thị Mai (0987654321)")
            desk.get_by_role("button", name="Ghi vào hệ thống").click()
            expect(desk.get_by_test_id("outbox-result")).to_contain_text(applied)
        shots(desk, "official-outbox")
        desk.get_by_test_id("tab-people").click()
        desk.get_by_placeholder("Tìm theo tên hoặc số điện thoại").fill("mai")
        desk.get_by_role("button", name="Tìm", exact=True).click()
        volunteer = item(desk, "Nguyễn Thị Mai")
        volunteer.get_by_role("button", name="Vô hiệu hóa").click()
        expect(volunteer).to_contain_text("Đã vô hiệu hóa")
        shots(desk, "official-people")
    finally:
        browser.close()

    # The phone stops syncing and says why; what it holds stays.
    page.get_by_role("button", name="Đồng bộ ngay").click()
    expect(page.get_by_test_id("deactivated")).to_contain_text("Tài khoản của bạn đã bị vô hiệu hóa")
    expect(page.locator("[data-testid=household-list] li")).to_have_count(6)
    shots(page, "volunteer-deactivated")


def test_an_official_above_the_commune_looks_households_up_one_at_a_time(server, open_browser) -> None:  # type: ignore[no-untyped-def]
    """Issue 15, need-to-know: a district official gets a search box and why, never a list of names to
    page through; the commune official keeps the commune's list. Every lookup is in the audit log."""
    with Session(server.engine) as s:
        hamlet = s.get(AdminUnit, server.seed.hamlet_id)
        commune = s.get(AdminUnit, hamlet.parent_id)  # type: ignore[union-attr]
        district = s.get(AdminUnit, commune.parent_id)  # type: ignore[union-attr]
        assert district is not None and district.level == "district"
        district_id, commune_id = district.id, commune.id  # type: ignore[union-attr]
        official = factories.make_user(s, "district_official", unit=district, name="Cán Bộ Huyện")
        commune_official = factories.make_user(s, "commune_official", unit=commune, name="Cán Bộ Xã")
        official_id, phones = official.id, (official.phone, commune_official.phone)
        s.commit()

    def lookups() -> list[tuple[str, str, int, int | None]]:
        with Session(server.engine) as s:
            rows = s.exec(
                select(AuditEntry).where(AuditEntry.user_id == official_id, AuditEntry.category == "named_read")
            )
            return [(e.kind, e.category, e.row_count, e.unit_id) for e in rows]

    context = open_browser()
    page = context.pages[0] if context.pages else context.new_page()
    log_in(page, server.url, phones[0])
    expect(page.get_by_test_id("nav-manage")).to_be_visible()
    page.goto(f"{server.url}/#/admin/{district_id}/households")
    section = page.get_by_test_id("households")
    expect(section).to_have_attribute("data-search-only", "true")
    expect(page.get_by_test_id("search-only-help")).to_contain_text("chỉ xem tên hộ khi cần cho một việc cụ thể")
    expect(page.get_by_test_id("household-list")).to_have_count(0)  # no list before a search
    shots(page, "households-search-only")
    assert lookups() == []  # nothing named was read to draw the screen

    page.get_by_test_id("household-search").fill("An")
    page.get_by_role("button", name="Tìm", exact=True).click()
    expect(page.get_by_test_id("search-too-short")).to_contain_text("ít nhất 3 ký tự")
    expect(page.get_by_test_id("household-list")).to_have_count(0)

    page.get_by_test_id("household-search").fill("nguyen van an")
    page.get_by_role("button", name="Tìm", exact=True).click()
    rows = page.locator("[data-testid=household-list] li")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Nguyễn Văn An")
    expect(page.get_by_test_id("household-count")).to_have_text("Tìm thấy 1 hộ, hiện 1 hộ")
    expect(page.get_by_role("button", name="Trang sau")).to_have_count(0)  # no next page
    shots(page, "households-search-result")
    assert lookups() == [("household_search", "named_read", 1, district_id)]
    page.get_by_role("button", name="Đăng xuất").click()
    expect(page.get_by_role("button", name="Đăng nhập")).to_be_visible()

    # The commune official of the commune still has the commune's list, page by page.
    log_in(page, server.url, phones[1])
    expect(page.get_by_test_id("nav-manage")).to_be_visible()
    page.goto(f"{server.url}/#/admin/{commune_id}/households")
    expect(page.get_by_test_id("households")).to_have_attribute("data-search-only", "false")
    expect(page.locator("[data-testid=household-list] li")).to_have_count(6)
    shots(page, "households-commune-list")
