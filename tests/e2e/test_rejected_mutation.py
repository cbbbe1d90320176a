"""Issues 4 and 14: the server rejects two mutations; they show under "Cần xử lý" with the household, the
reason in Vietnamese and the fix, the rest sync; one is fixed, resent and applied, the other discarded."""

import json
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, col, delete, select

from app.auth.scope import scope_for
from app.households import service as households
from app.households.schemas import PersonIn
from app.models import Household, Person, PersonSkill, SyncRejection, User, Visit, VolunteerArea
from app.models.visits import PROFICIENT
from tests.browser import screenshot
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
    assert pwa.small_targets(page) == []

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
    assert pwa.small_targets(page) == []  # the confirmation's buttons too
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


def test_a_rejected_visit_is_fixed_resent_and_applied(server, open_browser):  # type: ignore[no-untyped-def]
    """Issue 14: the server refuses a visit (its person was removed meanwhile); under "Cần xử lý" the visit
    opens in its form with what was typed, is corrected and resent as a new visit, and leaves the list
    only once the server has applied it."""
    context = open_browser()
    page = context.pages[0] if context.pages else context.new_page()
    pwa.login(page, server.url, server.seed.phone, households=6)

    context.set_offline(True)
    pwa.visit_from_list(page, "Nguyễn Văn An")
    page.get_by_label("Người dân đồng ý").check()
    page.get_by_test_id("skill-online_payment").click()
    page.get_by_test_id("visit-notes").fill("Hẹn hướng dẫn thêm ví điện tử")
    page.get_by_test_id("save-visit").click()
    expect(page.get_by_test_id("household-list")).to_be_visible()
    pwa.expect_pending(page, 1)

    # Meanwhile the household's only member is removed on the server (entered twice, say).
    with Session(server.engine) as s:
        volunteer = s.get(User, server.seed.user_id)
        assert volunteer is not None
        households.upsert_person(
            s,
            actor=volunteer,
            scope=scope_for(s, volunteer),
            data=PersonIn(
                id=uuid.UUID(server.seed.single_person),
                household_id=uuid.UUID(server.seed.single_person_household),
                full_name="Nguyễn Văn An",
                deleted=True,
            ),
        )
        s.commit()

    context.set_offline(False)
    pwa.sync_now(page)
    pwa.expect_pending(page, 0)
    expect(page.get_by_test_id("rejected-count")).to_have_text("Cần xử lý: 1")
    item = page.get_by_test_id("rejected-item")
    expect(item).to_contain_text("Nguyễn Văn An")
    expect(item.get_by_test_id("rejected-reason")).to_contain_text("không còn là thành viên của hộ")
    with Session(server.engine) as s:
        rejected = s.exec(select(SyncRejection)).one()
        assert rejected.code == "person_not_in_household"
        assert s.exec(select(Visit)).all() == []

    # "Sửa lượt thăm rồi gửi lại": the form holds the visit as typed, says why, and what cannot be sent.
    item.get_by_role("link", name="Sửa lượt thăm rồi gửi lại").click()
    notice = page.get_by_test_id("fix-notice")
    expect(notice).to_contain_text("không còn là thành viên của hộ")
    expect(notice).to_contain_text("1 người được ghi trong lượt thăm này không còn trong hộ")
    expect(page.get_by_test_id("visit-notes")).to_have_value("Hẹn hướng dẫn thêm ví điện tử")
    expect(page.get_by_role("button", name="Gặp được")).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_label("Người dân đồng ý")).to_be_checked()
    expect(page.get_by_test_id("person-skills")).to_have_count(0)
    small = {"fix form": pwa.small_targets(page)}

    # Corrected offline: the person is added again and taught; saved, the item waits, still listed.
    context.set_offline(True)
    page.get_by_role("button", name="+ Thêm người có mặt").click()
    page.get_by_label("Họ tên (không bắt buộc)").fill("Nguyễn Văn An")
    page.get_by_test_id("skill-online_payment").click()
    page.get_by_test_id("skill-online_payment").click()  # taught → proficient
    screenshot(page, "volunteer-fix-rejected-visit")
    small["fix form, person added"] = pwa.small_targets(page)
    page.get_by_test_id("save-visit").click()
    expect(page.get_by_role("heading", name="Đồng bộ dữ liệu")).to_be_visible()
    pwa.expect_pending(page, 2)  # the person and the corrected visit
    expect(page.get_by_test_id("rejected-count")).to_have_text("Cần xử lý: 1")
    waiting = page.get_by_test_id("rejected-item")
    expect(waiting).to_have_attribute("data-state", "resending")
    expect(waiting.get_by_test_id("resend-waiting")).to_contain_text("chờ máy chủ nhận")
    expect(waiting.get_by_role("button")).to_have_count(0)
    small["needs attention"] = pwa.small_targets(page)
    screenshot(page, "volunteer-fix-resending")

    # Applied: it leaves "Cần xử lý", and the server holds the corrected visit under a new id.
    context.set_offline(False)
    page.get_by_test_id("sync-now").click()
    pwa.expect_pending(page, 0)
    expect(page.get_by_test_id("needs-attention")).to_have_count(0)
    expect(page.get_by_test_id("rejected-count")).to_have_count(0)
    expect(page.get_by_test_id("sync-summary")).to_contain_text("Mọi dữ liệu đã được gửi")
    expect(page.get_by_test_id("sync-now")).to_have_text("Đồng bộ ngay")
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, "volunteer-fix-applied")
    assert {k: v for k, v in small.items() if v} == {}
    with Session(server.engine) as s:
        visit = s.exec(select(Visit).where(Visit.volunteer_id == server.seed.user_id)).one()
        assert visit.id != rejected.record_id
        assert (visit.outcome, visit.consent_given, visit.notes) == ("met", True, "Hẹn hướng dẫn thêm ví điện tử")
        person = s.exec(
            select(Person).where(Person.household_id == visit.household_id, col(Person.deleted_at).is_(None))
        ).one()
        assert person.full_name == "Nguyễn Văn An"
        all_time = select(PersonSkill).where(PersonSkill.person_id == person.id, PersonSkill.campaign_id == 0)
        skills = s.exec(all_time).all()
        assert [(k.skill_id, k.level) for k in skills] == [("online_payment", PROFICIENT)]
