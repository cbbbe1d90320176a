"""Issue 4, browser scenario 4: a new build is deployed while a visit form is open. The update is
offered, never forced; reloading through the prompt keeps what was typed."""

import pytest
from playwright.sync_api import expect

from tests.browser import build_frontend
from tests.e2e import pwa

pytestmark = pytest.mark.browser


def test_new_build_is_offered_and_the_open_form_survives(server, open_browser):  # type: ignore[no-untyped-def]
    context = open_browser()
    page = context.pages[0] if context.pages else context.new_page()
    pwa.login(page, server.url, server.seed.phone, households=6)
    pwa.wait_offline_ready(page)
    old_build = page.evaluate("document.documentElement.dataset.build")

    pwa.open_household(page, "Trần Thị Bình")
    page.get_by_test_id("log-visit").click()
    page.get_by_role("button", name="Gặp được").click()
    page.get_by_label("Người dân đồng ý").check()
    page.get_by_label("Ghi chú").fill("Đang ghi dở: hẹn chiều quay lại")

    build_frontend(server.dist, build_id="second-deploy")
    page.evaluate("navigator.serviceWorker.getRegistration().then((r) => r && r.update())")
    prompt = page.get_by_test_id("update-prompt")
    expect(prompt).to_be_visible(timeout=30_000)
    expect(prompt).to_contain_text("Có phiên bản mới")

    # Not forced: the page stays on the old build with the form as it was.
    page.wait_for_timeout(1500)
    assert page.evaluate("document.documentElement.dataset.build") == old_build
    expect(page.get_by_label("Ghi chú")).to_have_value("Đang ghi dở: hẹn chiều quay lại")

    prompt.get_by_role("button", name="Tải lại").click()
    page.wait_for_function("document.documentElement.dataset.build === 'second-deploy'", timeout=30_000)
    expect(page.get_by_label("Ghi chú")).to_have_value("Đang ghi dở: hẹn chiều quay lại")
    expect(page.get_by_role("button", name="Gặp được")).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_label("Người dân đồng ý")).to_be_checked()
