"""Issue 4, browser scenario 3: the server rejects one mutation; it shows under "Cần xử lý", the rest sync."""

import json
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, delete, select

from app.models import Household, Visit, VolunteerArea
from tests.e2e import pwa

pytestmark = pytest.mark.browser


def test_one_rejected_mutation_is_kept_for_the_volunteer_and_the_rest_sync(server, open_browser):  # type: ignore[no-untyped-def]
    context = open_browser()
    page = context.pages[0] if context.pages else context.new_page()
    pwa.login(page, server.url, server.seed.phone, households=6)

    context.set_offline(True)
    # A new household in the second hamlet, then two visits in the first.
    page.get_by_test_id("add-household").click()
    page.get_by_label("Ấp / thôn").select_option(str(server.seed.other_hamlet_id))
    page.get_by_label("Tên chủ hộ").fill("Hộ Ngoài Địa Bàn")
    page.get_by_label("Địa chỉ").fill("Số 5, ấp 2")
    page.get_by_role("button", name="Lưu").click()
    pwa.back_to_list(page)
    pwa.log_not_home(page, "Trần Thị Bình")
    pwa.log_not_home(page, "Phạm Thị Dung")
    pwa.expect_pending(page, 3)

    # Meanwhile the commune reassigns the second hamlet to someone else.
    with Session(server.engine) as s:
        s.exec(
            delete(VolunteerArea).where(
                VolunteerArea.user_id == server.seed.user_id, VolunteerArea.hamlet_id == server.seed.other_hamlet_id
            )
        )
        s.commit()

    context.set_offline(False)
    pwa.sync_now(page)
    pwa.expect_pending(page, 0)
    expect(page.get_by_test_id("rejected-count")).to_have_text("Cần xử lý: 1")
    attention = page.get_by_test_id("needs-attention")
    expect(attention).to_contain_text("Hộ Ngoài Địa Bàn")
    expect(attention.locator(".notice.bad")).not_to_be_empty()
    page.screenshot(path=str(pwa_artifact("needs-attention")))

    with Session(server.engine) as s:
        assert len(s.exec(select(Visit).where(Visit.volunteer_id == server.seed.user_id)).all()) == 2
        assert s.exec(select(Household).where(Household.head_name == "Hộ Ngoài Địa Bàn")).first() is None

    # "Xuất dữ liệu chưa đồng bộ" saves what is still unresolved, in the push format.
    with page.expect_download() as download:
        page.get_by_test_id("export").click()
    exported = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    assert exported["schema_version"] == 1
    assert exported["user_phone"].startswith("+84")
    assert [m["kind"] for m in exported["mutations"]] == ["household.upsert"]
    assert exported["mutations"][0]["data"]["head_name"] == "Hộ Ngoài Địa Bàn"

    # Logging out is refused while something is unresolved.
    page.get_by_test_id("logout").click()
    expect(page.get_by_test_id("logout-refused")).to_be_visible()

    # "Sửa" opens the household's form filled in, to correct and send again.
    attention.get_by_role("link", name="Sửa").click()
    expect(page.get_by_role("heading", name="Sửa thông tin hộ")).to_be_visible()
    expect(page.get_by_label("Tên chủ hộ")).to_have_value("Hộ Ngoài Địa Bàn")
    page.get_by_test_id("nav-sync").click()

    # Discarding is explicit (a confirmation), and only then is the item gone.
    page.once("dialog", lambda d: d.accept())
    attention.get_by_role("button", name="Bỏ qua").click()
    expect(page.get_by_test_id("needs-attention")).to_have_count(0)
    expect(page.get_by_test_id("rejected-count")).to_have_count(0)


def pwa_artifact(name: str):  # type: ignore[no-untyped-def]
    from tests.browser import ARTIFACTS

    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS / f"{name}.png"
