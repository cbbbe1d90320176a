"""Issue 4, quality: the volunteer screens at 360×640 pass axe-core with no serious or critical issue
(labels, contrast, names of controls), in Vietnamese and in English."""

import pytest
from playwright.sync_api import Page, expect

from tests.browser import FRONTEND
from tests.e2e import pwa

pytestmark = pytest.mark.browser

AXE = FRONTEND / "node_modules" / "axe-core" / "axe.min.js"


def serious_violations(page: Page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    found = page.evaluate(
        """async () => {
          const r = await axe.run(document, { runOnly: ['wcag2a', 'wcag2aa'] });
          return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
            .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
        }"""
    )
    return list(found)


def test_volunteer_screens_have_no_serious_accessibility_issue(server, open_browser):  # type: ignore[no-untyped-def]
    context = open_browser()
    page = context.pages[0] if context.pages else context.new_page()
    page.goto(server.url + "/")
    expect(page.get_by_role("button", name="Đăng nhập")).to_be_visible()
    problems = {"login": serious_violations(page)}
    pwa.login(page, server.url, server.seed.phone, households=6)
    problems["walk list"] = serious_violations(page)
    pwa.open_household(page, "Nguyễn Văn An")
    problems["household"] = serious_violations(page)
    page.get_by_test_id("log-visit").click()
    page.get_by_role("button", name="Gặp được").click()
    problems["visit form"] = serious_violations(page)
    page.get_by_role("button", name="Hủy").click()
    page.get_by_test_id("nav-sync").click()
    problems["sync"] = serious_violations(page)
    page.get_by_label("Ngôn ngữ").select_option("en")
    expect(page.get_by_role("heading", name="Sync", exact=True)).to_be_visible()
    problems["sync (English)"] = serious_violations(page)
    assert {k: v for k, v in problems.items() if v} == {}
