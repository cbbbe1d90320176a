"""Issues 4 and 14: the server rejects two mutations; they show under "Cần xử lý" with the household, the
reason in Vietnamese and the fix, the rest sync; one is fixed, resent and applied, the other discarded."""

import json
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, delete, select

from app.models import Household, Visit, VolunteerArea
from tests.e2e import pwa

pytestmark = pytest.mark.browser


def test_rejected_mutations_are_kept_explained_fixed_and_resent(server, open_browser):  # type: ignore[no-untyped-def]
    context = open_browser()
    page = context.pages[0] if context.pages else context.new_page()
    pwa.login(page, server.url, server.seed.phone, households=6)

    context.set_offline(True)
    # A new household in the second hamlet, then two visits in the first.
    page.get_by_test_id("add-household").click()
    page.get_by_label("Ấp / thôn").select_option(str(server.seed.other_hamlet_id))
    page.get_by_label("Tên chủ hộ").fill("Hộ Ngoài Địa Bàn")
    page.get_by_label("Địa chỉ").fill("Số 5, ấp 2")
    page.get_by_label("Số nhân khẩu").fill("0")
    page.get_by_role("button", name="Lưu").click()
    pwa.back_to_list(page)
    pwa.log_not_home(page, "Trần Thị Bình")
    pwa.log_not_home(page, "Phạm Thị Dung")
    pwa.log_not_home(page, "Đặng Văn Em")  # in the second hamlet too
    pwa.expect_pending(page, 4)

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
    # One count everywhere, and no "everything was sent" above them.
    expect(page.get_by_test_id("rejected-count")).to_have_text("Cần xử lý: 2")
    attention = page.get_by_test_id("needs-attention")
    expect(attention.get_by_role("heading", name="2 mục cần xử lý")).to_be_visible()
    expect(page.get_by_test_id("sync-summary")).to_contain_text("còn 2 mục cần xử lý")
    expect(page.get_by_test_id("sync-summary")).not_to_contain_text("Mọi dữ liệu đã được gửi")
    items = attention.get_by_test_id("rejected-item")
    household_item = items.filter(has_text="Hộ Ngoài Địa Bàn")
    visit_item = items.filter(has_text="Đặng Văn Em")
    expect(household_item.get_by_test_id("rejected-reason")).to_contain_text("địa bàn")
    expect(visit_item.get_by_test_id("rejected-reason")).to_contain_text("Lý do:")
    expect(visit_item).to_contain_text("Vắng nhà")
    page.screenshot(path=str(pwa_artifact("volunteer-needs-attention")))

    with Session(server.engine) as s:
        assert len(s.exec(select(Visit).where(Visit.volunteer_id == server.seed.user_id)).all()) == 2
        assert s.exec(select(Household).where(Household.head_name == "Hộ Ngoài Địa Bàn")).first() is None

    # "Xuất dữ liệu chưa đồng bộ" saves what is still unresolved, in the push format.
    with page.expect_download() as download:
        page.get_by_test_id("export").click()
    exported = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    assert exported["schema_version"] == 1
    assert exported["user_phone"].startswith("+84")
    assert [m["kind"] for m in exported["mutations"]] == ["household.upsert", "visit.create"]
    assert exported["mutations"][0]["data"]["head_name"] == "Hộ Ngoài Địa Bàn"

    # Logging out is refused while something is unresolved.
    page.get_by_test_id("logout").click()
    expect(page.get_by_test_id("logout-refused")).to_be_visible()

    # The fix: the household's form, filled in; moved to the volunteer's own hamlet, it is resent and applied.
    household_item.get_by_role("link", name="Sửa thông tin hộ rồi gửi lại").click()
    expect(page.get_by_role("heading", name="Sửa thông tin hộ")).to_be_visible()
    expect(page.get_by_label("Tên chủ hộ")).to_have_value("Hộ Ngoài Địa Bàn")
    page.get_by_label("Ấp / thôn").select_option(str(server.seed.hamlet_id))
    page.get_by_role("button", name="Lưu").click()
    expect(page.get_by_role("heading", name="Hộ Ngoài Địa Bàn")).to_be_visible()
    pwa.expect_pending(page, 0)
    expect(page.get_by_test_id("rejected-count")).to_have_text("Cần xử lý: 1")
    with Session(server.engine) as s:
        fixed = s.exec(select(Household).where(Household.head_name == "Hộ Ngoài Địa Bàn")).one()
        assert fixed.hamlet_id == server.seed.hamlet_id

    # Discarding asks first (in the page, in Vietnamese); "Hủy" keeps the item, confirming drops it.
    page.get_by_test_id("nav-sync").click()
    visit_item.get_by_role("button", name="Bỏ qua").click()
    visit_item.get_by_role("button", name="Hủy").click()
    expect(items).to_have_count(1)
    visit_item.get_by_role("button", name="Bỏ qua").click()
    visit_item.get_by_role("button", name="Bỏ hẳn, không gửi").click()
    expect(page.get_by_test_id("needs-attention")).to_have_count(0)
    expect(page.get_by_test_id("rejected-count")).to_have_count(0)
    expect(page.get_by_test_id("sync-summary")).to_contain_text("Mọi dữ liệu đã được gửi")


def pwa_artifact(name: str):  # type: ignore[no-untyped-def]
    from tests.browser import ARTIFACTS

    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS / f"{name}.png"
