"""Issue 4, quality: when the phone's storage is full the save aborts as a whole, the volunteer is told
so plainly, the form keeps what was typed, and what was saved before is untouched."""

import pytest
from playwright.sync_api import expect

from tests.e2e import pwa

pytestmark = pytest.mark.browser

# IndexedDB refuses writes the way a full disk does (the transaction aborts with QuotaExceededError).
FILL_DISK = """() => {
  const refuse = function () { throw new DOMException('The quota has been exceeded.', 'QuotaExceededError'); };
  IDBObjectStore.prototype.add = refuse;
  IDBObjectStore.prototype.put = refuse;
}"""


def test_full_storage_is_reported_and_nothing_is_lost(server, open_browser):  # type: ignore[no-untyped-def]
    context = open_browser()
    page = context.pages[0] if context.pages else context.new_page()
    pwa.login(page, server.url, server.seed.phone, households=6)
    context.set_offline(True)
    pwa.log_not_home(page, "Trần Thị Bình")
    pwa.expect_pending(page, 1)

    pwa.open_household(page, "Lê Văn Cường")
    page.get_by_test_id("log-visit").click()
    page.get_by_role("button", name="Không có nhà").click()
    page.get_by_label("Ghi chú").fill("Hẹn quay lại sáng mai")
    page.evaluate(FILL_DISK)
    page.get_by_test_id("save-visit").click()
    expect(page.get_by_test_id("save-error")).to_contain_text("Bộ nhớ máy đã đầy")
    expect(page.get_by_label("Ghi chú")).to_have_value("Hẹn quay lại sáng mai")
    pwa.expect_pending(page, 1)

    # After a reload (space freed), the earlier visit is still there and nothing half-saved appeared.
    page.reload()
    pwa.expect_pending(page, 1)
    page.get_by_role("button", name="Hủy").click()  # the reload reopened the form; leave it
    expect(page.get_by_role("heading", name="Lê Văn Cường")).to_be_visible()
    expect(page.get_by_test_id("visit-history").locator("li")).to_have_count(0)
