"""A province official on the demo: Hậu Giang by district, down to a hamlet and back up, the xlsx
downloaded, the last figures readable offline. Debian's Chromium through Playwright."""

import io
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect
from sqlmodel import Session, select

from app.auth.scope import Scope
from app.cli import run_migrations
from app.db import make_engine
from app.demo import seed as demo
from app.models import AdminUnit, Campaign, ExportLog, User
from app.reports import service as reports
from tests.browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, screenshot, start_server

pytestmark = pytest.mark.browser
SCALE = 0.02  # 400 households across every hamlet of the province, 40 of them visited


def vi_pct(value: float) -> str:
    return f"{value:.1f}".replace(".", ",") + "%"


@pytest.fixture
def demo_server(tmp_path: Path, built_dist: Path) -> Iterator[tuple[str, object]]:
    db_url = f"sqlite:///{tmp_path}/demo.db"
    run_migrations(db_url)
    engine = make_engine(db_url)
    with Session(engine) as session:
        demo.seed_demo(session, scale=SCALE)
        session.commit()
    dist = tmp_path / "dist"
    shutil.copytree(built_dist, dist)
    process = start_server(db_url, dist, tmp_path / "uvicorn.log")
    try:
        yield process.url, engine  # type: ignore[attr-defined]
    finally:
        process.terminate()
        process.wait(timeout=10)
        engine.dispose()


def test_province_official_drills_down_to_a_hamlet_and_downloads_the_xlsx(demo_server, playwright_driver) -> None:  # type: ignore[no-untyped-def]
    url, engine = demo_server
    with Session(engine) as session:
        province = session.exec(select(AdminUnit).where(AdminUnit.level == "province", AdminUnit.code == "93")).one()
        campaign = session.exec(select(Campaign)).one()
        admin = session.exec(select(User).where(User.role == "admin")).one()
        expected = reports.coverage(
            session, scope=Scope(user=admin, is_admin=True), unit_id=province.id, campaign_id=campaign.id or 0
        )
    assert expected.totals.households_visited > 0

    browser = playwright_driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh", accept_downloads=True
    )
    context.set_default_timeout(20_000)
    page = context.new_page()
    try:
        page.goto(url + "/")
        page.get_by_label("Số điện thoại").fill("0900 000 005")
        page.get_by_label("Mật khẩu").fill(demo.PASSWORD)
        page.get_by_role("button", name="Đăng nhập").click()

        # The province by district, against the campaign's target.
        crumbs = page.get_by_test_id("breadcrumb")
        expect(crumbs.locator("[aria-current=page]")).to_have_text("Tỉnh Hậu Giang")
        ranking = page.get_by_test_id("ranking")
        expect(ranking.locator("tbody tr")).to_have_count(len(expected.children))
        assert len(expected.children) == 8
        expect(page.get_by_test_id("headline-visited").locator(".figure")).to_have_text(
            vi_pct(expected.totals.visited_pct)
        )
        expect(page.get_by_test_id("headline-covered").locator(".figure")).to_have_text(
            vi_pct(expected.totals.covered_pct)
        )
        expect(page.get_by_test_id("headline-proficient")).to_contain_text(
            f"/ {expected.target.people_proficient_all:,}".replace(",", ".")
        )
        expect(page.locator("select")).to_have_value(str(campaign.id))
        expect(page.get_by_test_id("progress-chart").locator("canvas")).to_have_count(1)
        expect(page.get_by_test_id("skills").locator("li")).to_have_count(5)
        # Ranked by covered share, best first; a click on "Đã thăm" ranks by visited share.
        best = max(expected.children, key=lambda c: (c.covered_pct, -int(c.unit.code)))
        expect(ranking.locator("tbody tr").first.locator("th")).to_have_text(best.unit.name)
        ranking.get_by_role("button", name=re.compile("^Đã thăm")).click()
        expect(ranking.locator("th[aria-sort=descending]")).to_contain_text("Đã thăm")
        screenshot(page, "dashboard-province")

        # Down: district, commune, hamlet.
        ranking.get_by_role("link", name="Thành phố Vị Thanh").click()
        expect(crumbs.locator("[aria-current=page]")).to_have_text("Thành phố Vị Thanh")
        ranking.get_by_role("link", name="Phường I", exact=True).click()
        expect(crumbs.locator("[aria-current=page]")).to_have_text("Phường I")
        first_hamlet = ranking.locator("tbody tr").first.locator("a")
        hamlet_name = first_hamlet.inner_text()
        first_hamlet.click()
        expect(crumbs.locator("[aria-current=page]")).to_have_text(hamlet_name)
        expect(crumbs.locator("li")).to_have_count(4)
        expect(page.get_by_test_id("ranking")).to_have_count(0)
        expect(page.get_by_test_id("to-visit").locator("li").first).to_be_visible()
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "dashboard-hamlet.png"), full_page=True)

        # Up again through the breadcrumb, then the province's workbook.
        crumbs.get_by_role("link", name="Tỉnh Hậu Giang").click()
        expect(crumbs.locator("[aria-current=page]")).to_have_text("Tỉnh Hậu Giang")
        with page.expect_download() as download:
            page.get_by_test_id("download-coverage-xlsx").click()
        path = download.value.path()
        assert download.value.suggested_filename.endswith(".xlsx")
        wb = load_workbook(io.BytesIO(Path(path).read_bytes()))
        summary = wb["Báo cáo"]
        assert summary["A2"].value == "UBND TỈNH HẬU GIANG"
        rows = list(summary.iter_rows(values_only=True))
        first = next(i for i, row in enumerate(rows) if row[0] == "STT") + 2
        names = [row[1] for row in rows[first : first + len(expected.children) + 1]]
        assert names == [c.unit.name for c in expected.children] + ["Tổng cộng"]
        with Session(engine) as session:
            # The files downloaded (the audit log also holds the to-visit pages read on screen).
            logged = session.exec(select(ExportLog).where(ExportLog.category == "export")).all()
        assert [(e.kind, e.file_format, e.unit_id, e.row_count) for e in logged] == [
            ("coverage", "xlsx", province.id, 8)
        ]

        # Offline, the last figures of a unit already seen are still there, marked as a saved copy.
        context.set_offline(True)
        ranking.get_by_role("link", name="Thành phố Vị Thanh").click()
        expect(page.get_by_role("status").filter(has_text="Không có mạng")).to_be_visible()
        expect(crumbs.locator("[aria-current=page]")).to_have_text("Thành phố Vị Thanh")
        screenshot(page, "dashboard-offline")

        # Reopened with no network: the shell and the dashboard chunk come from the service worker.
        context.set_offline(False)
        page.evaluate("navigator.serviceWorker.ready.then(() => true)")
        page.reload()
        expect(crumbs.locator("[aria-current=page]")).to_have_text("Thành phố Vị Thanh")
        # The browser's HTTP cache may be evicted on a phone: only the service worker's caches count.
        context.new_cdp_session(page).send("Network.clearBrowserCache")
        context.set_offline(True)
        page.reload()
        expect(crumbs.locator("[aria-current=page]")).to_have_text("Thành phố Vị Thanh")
        expect(page.get_by_role("status").filter(has_text="Không có mạng")).to_be_visible()
    finally:
        context.close()
        browser.close()
