"""Steps a volunteer takes in the PWA, shared by the browser tests."""

import re
import time

from playwright.sync_api import Page, expect

from tests import factories


def spaced(phone: str) -> str:
    """`0912345678` typed the way people write it: `0912 345 678`."""
    return f"{phone[:4]} {phone[4:7]} {phone[7:]}"


def login(page: Page, url: str, phone: str, *, households: int) -> None:
    page.goto(url + "/")
    page.get_by_label("Số điện thoại").fill(spaced(phone))
    page.get_by_label("Mật khẩu").fill(factories.PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    rows = page.locator("[data-testid=household-list] li")
    expect(rows).to_have_count(households, timeout=30_000)


def wait_offline_ready(page: Page) -> None:
    """The service worker has installed the app shell (precache complete) and controls the page.

    A worker only activates once its install (the precache) succeeded, and `clientsClaim` makes the
    activated worker take over the page that registered it: from then on a reload is served offline.
    """
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    wait_until(
        page, "navigator.serviceWorker.controller !== null && navigator.serviceWorker.controller.state === 'activated'"
    )


def wait_until(page: Page, expression: str, timeout: float = 30.0) -> None:
    """Poll an expression from the test side. `page.wait_for_function` polls by evaluating a string
    inside the page, which the app's Content-Security-Policy (no 'unsafe-eval') rightly refuses."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if page.evaluate(expression):
                return
        except Exception:  # a navigation in between destroys the context: ask again
            if time.monotonic() > deadline:
                raise
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {timeout:.0f} s: {expression}")
        time.sleep(0.1)


SMALL_TARGETS = """() => [...document.querySelectorAll('button, a[href], [role=button]')]
  .map((el) => [el, el.getBoundingClientRect()])
  .filter(([, r]) => r.width > 0 && r.height > 0 && (r.width < 44 || r.height < 44))
  .map(([el, r]) => `${el.outerHTML.slice(0, 90)} ${Math.round(r.width)}×${Math.round(r.height)}`)"""


def small_targets(page: Page) -> list[str]:
    """Every visible button and link smaller than 44×44 px (issue 14), with its size."""
    return list(page.evaluate(SMALL_TARGETS))


def pending(page: Page) -> int:
    return int(page.get_by_test_id("pending-count").get_attribute("data-count") or 0)


def expect_pending(page: Page, n: int, timeout: float = 30_000) -> None:
    expect(page.get_by_test_id("pending-count")).to_have_attribute("data-count", str(n), timeout=timeout)


class Taps:
    """Counts the taps a volunteer makes (issue 14: ≤ 5 for one person, ≤ 9 for four people)."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.count = 0

    def tap(self, locator) -> None:  # type: ignore[no-untyped-def]
        locator.click()
        self.count += 1


def open_household(page: Page, head_name: str) -> None:
    page.get_by_role("link", name=re.compile(head_name)).first.click()
    expect(page.get_by_role("heading", name=head_name)).to_be_visible()


def back_to_list(page: Page) -> None:
    page.get_by_role("link", name="← Danh sách hộ").click()
    expect(page.get_by_test_id("household-list")).to_be_visible()


def log_not_home(page: Page, head_name: str) -> None:
    open_household(page, head_name)
    page.get_by_test_id("log-visit").click()
    page.get_by_role("button", name="Vắng nhà").click()
    page.get_by_test_id("save-visit").click()
    expect(page.get_by_test_id("visit-history").locator("li")).to_have_count(1)
    back_to_list(page)


def visit_from_list(page: Page, head_name: str) -> None:
    page.get_by_role("link", name=f"Ghi lượt thăm: {head_name}").click()
    expect(page.get_by_test_id("visit-form")).to_be_visible()


def log_all_proficient_single_person(page: Page, head_name: str, screenshot=None) -> int:  # type: ignore[no-untyped-def]
    """The fast path at the door, from the walk list back to it: returns the number of taps."""
    taps = Taps(page)
    taps.tap(page.get_by_role("link", name=f"Ghi lượt thăm: {head_name}"))
    taps.tap(page.get_by_label("Người dân đồng ý"))
    taps.tap(page.get_by_test_id("all-proficient"))
    if screenshot:
        screenshot()
    taps.tap(page.get_by_test_id("save-visit"))
    expect(page.get_by_test_id("household-list")).to_be_visible()
    open_household(page, head_name)
    expect(page.get_by_test_id("visit-history").locator("li")).to_have_count(1)
    expect(page.locator(".people .level", has_text="Thành thạo")).to_have_count(5)
    back_to_list(page)
    return taps.count


def log_met_with_new_person(page: Page, head_name: str, person_name: str) -> None:
    open_household(page, head_name)
    page.get_by_test_id("log-visit").click()
    page.get_by_role("button", name="Gặp được").click()
    page.get_by_label("Người dân đồng ý").check()
    page.get_by_role("button", name="+ Thêm người có mặt").click()
    page.get_by_label("Họ tên (không bắt buộc)").fill(person_name)
    page.get_by_label("Năm sinh").fill("1990")
    page.get_by_test_id("skill-online_payment").click()  # none → taught
    page.get_by_test_id("save-visit").click()
    expect(page.get_by_test_id("visit-history").locator("li")).to_have_count(1)
    expect(page.get_by_text(person_name)).to_be_visible()
    back_to_list(page)


def add_household(page: Page, head_name: str, address: str) -> None:
    page.get_by_test_id("add-household").click()
    page.get_by_label("Tên chủ hộ").fill(head_name)
    page.get_by_label("Địa chỉ").fill(address)
    page.get_by_role("button", name="Lưu").click()
    expect(page.get_by_role("heading", name=head_name)).to_be_visible()
    back_to_list(page)


def sync_now(page: Page) -> None:
    page.get_by_test_id("nav-sync").click()
    page.get_by_test_id("sync-now").click()


_HOUSEHOLD_ON_PHONE = """(id) => new Promise((resolve, reject) => {
  const open = indexedDB.open('tungnha');
  open.onerror = reject;
  open.onsuccess = () => {
    const idb = open.result;
    const tx = idb.transaction(['households', 'people'], 'readonly');
    const h = tx.objectStore('households').get(id);
    const people = tx.objectStore('people').getAll();
    tx.oncomplete = () => {
      idb.close();
      resolve({ household: h.result ?? null, people: people.result.filter((p) => p.household_id === id) });
    };
    tx.onerror = reject;
  };
})"""


def household_on_phone(page: Page, household_id: str) -> tuple[dict | None, list[dict]]:  # type: ignore[type-arg]
    """The phone's own copy of a household (None when it has none) and of its people, from IndexedDB."""
    found = page.evaluate(_HOUSEHOLD_ON_PHONE, household_id)
    return found["household"], found["people"]
