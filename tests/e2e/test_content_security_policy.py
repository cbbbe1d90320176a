"""Issue 9 (13): the PWA runs under its Content-Security-Policy: no inline script, nothing refused."""

import re

import pytest
from playwright.sync_api import ConsoleMessage, expect

from tests.browser import screenshot
from tests.e2e import pwa

pytestmark = pytest.mark.browser


def test_the_pwa_works_under_its_content_security_policy(server, open_browser) -> None:  # type: ignore[no-untyped-def]
    context = open_browser()
    page = context.pages[0] if context.pages else context.new_page()
    refused: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            refused.append(message.text)

    page.on("console", on_console)
    response = page.goto(server.url + "/")
    assert response is not None
    policy = response.headers["content-security-policy"]
    assert "script-src 'self';" in policy and "frame-ancestors 'none'" in policy
    pwa.login(page, server.url, server.seed.phone, households=6)
    pwa.wait_offline_ready(page)
    pwa.log_met_with_new_person(page, "Trần Thị Bình", "Trần Văn Nhỏ")
    pwa.sync_now(page)
    pwa.expect_pending(page, 0)
    screenshot(page, "csp-sync")
    assert refused == []

    # The policy is in force: a script written into the page is refused, and the browser says so.
    ran = page.evaluate(
        """() => new Promise((resolve) => {
          document.addEventListener('securitypolicyviolation', () => resolve(window.__inline === 1), { once: true });
          const s = document.createElement('script');
          s.textContent = 'window.__inline = 1';
          document.head.appendChild(s);
        })"""
    )
    assert ran is False
    expect(page.get_by_test_id("sync-now")).to_be_visible()
    assert [m for m in refused if re.search("inline script", m)]
