"""Issue 15: at the door, with no signal, the household withdraws its consent. The phone hides its names at
once, sends the withdrawal when the signal returns (household.consent), and later records consent given
again with the notice it holds; the server holds each state, in the audit log too. At 360×640."""

import time
import uuid
from datetime import datetime

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, col, select

from app.campaigns.service import VIETNAM
from app.models import AuditEntry, Household, Person
from app.privacy.notice import CURRENT_VERSION
from tests.browser import screenshot
from tests.e2e import pwa
from tests.e2e.phone import small_targets

pytestmark = pytest.mark.browser

HEAD = "Nguyễn Văn An"  # the seed's household with one person, of the same name
WITHDRAWN = "Hộ đã rút đồng ý"


def on_phone(page, household_id: str) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """What the phone holds of the household: its head, address, consent and its people's names."""
    h, people = pwa.household_on_phone(page, household_id)
    assert h is not None
    return {
        "head_name": h["head_name"],
        "address": h["address"],
        "consent": h["consent"]["state"] if h.get("consent") else None,
        "names": [p["full_name"] for p in people],
    }


def _server_state(server, household_id: str) -> tuple[str, object, str | None, list[str]]:  # type: ignore[no-untyped-def]
    with Session(server.engine) as s:
        h = s.get(Household, uuid.UUID(household_id))
        assert h is not None
        kinds = s.exec(
            select(AuditEntry.kind)
            .where(AuditEntry.category == "consent", AuditEntry.household_id == h.id)
            .order_by(col(AuditEntry.id))
        ).all()
        return h.consent, h.consent_on, h.consent_notice_version, list(kinds)


@pytest.mark.parametrize("server", ["sqlite", "postgresql"], indirect=True)
def test_a_withdrawal_recorded_offline_hides_the_names_and_reaches_the_server(server, open_browser):  # type: ignore[no-untyped-def]
    suffix = "" if server.backend == "sqlite" else f"-{server.backend}"
    household_id = server.seed.single_person_household
    context = open_browser()
    page = context.pages[0] if context.pages else context.new_page()
    pwa.login(page, server.url, server.seed.phone, households=6)
    pwa.wait_offline_ready(page)
    pwa.open_household(page, HEAD)
    card = page.get_by_test_id("consent-card")
    expect(card.get_by_test_id("consent-state")).to_have_text("Chưa rõ")

    context.set_offline(True)
    card.get_by_test_id("consent-withdraw").click()
    # A confirmation step: nothing is recorded by one stray tap.
    expect(card.get_by_role("alertdialog")).to_contain_text("xóa khỏi máy này ngay")
    assert pwa.pending(page) == 0
    assert small_targets(page, "[data-testid=consent-card]") == []
    card.get_by_test_id("consent-withdraw-go").scroll_into_view_if_needed()
    screenshot(page, "consent-withdraw-confirm-360" + suffix)
    card.get_by_test_id("consent-withdraw-go").click()

    # At once, offline: no name on the household page, on the walk list or in the phone's copy.
    expect(page.get_by_role("heading", name=WITHDRAWN)).to_be_visible()
    expect(card.get_by_test_id("consent-state")).to_contain_text(WITHDRAWN)
    expect(page.locator("main")).not_to_contain_text(HEAD)
    pwa.expect_pending(page, 1)
    assert on_phone(page, household_id) == {
        "head_name": WITHDRAWN,
        "address": "",
        "consent": "withdrawn",
        "names": [None],
    }
    assert small_targets(page, "[data-testid=consent-card]") == []
    screenshot(page, "consent-withdrawn-offline-360" + suffix)
    assert _server_state(server, household_id)[0] == "unknown"  # nothing left the phone yet

    context.set_offline(False)
    pwa.sync_now(page)
    pwa.expect_pending(page, 0)
    today = datetime.now(VIETNAM).date()
    assert _server_state(server, household_id) == ("withdrawn", today, None, ["withdrawn"])
    with Session(server.engine) as s:
        [name] = s.exec(select(Person.full_name).where(Person.household_id == uuid.UUID(household_id))).all()
        assert name == HEAD  # kept for the household's own access request, shown nowhere
    # The pull that followed keeps it hidden, now as the server says.
    assert on_phone(page, household_id)["names"] == [None]
    page.goto(server.url + "/#/")
    expect(page.get_by_test_id("household-list")).to_contain_text(WITHDRAWN)
    expect(page.get_by_test_id("household-list")).not_to_contain_text(HEAD)
    screenshot(page, "consent-walk-list-360" + suffix)

    # Editing it asks no name, address or phone (none is kept); the number of members still changes.
    page.goto(f"{server.url}/#/h/{household_id}/edit")
    form = page.get_by_test_id("household-form")
    expect(form.get_by_test_id("withdrawn-edit")).to_contain_text("Hộ đã rút đồng ý")
    expect(form.locator("input[name=head_name]")).to_have_count(0)
    expect(form.locator("input[name=address]")).to_have_count(0)
    screenshot(page, "consent-withdrawn-edit-360" + suffix)
    form.locator("input[name=member_count]").fill("4")
    form.get_by_role("button", name="Lưu").click()
    expect(page.get_by_role("heading", name=WITHDRAWN)).to_be_visible()
    pwa.sync_now(page)
    pwa.expect_pending(page, 0)
    with Session(server.engine) as s:
        stored = s.get(Household, uuid.UUID(household_id))
        assert stored is not None and stored.member_count == 4 and stored.head_name != WITHDRAWN
    page.goto(server.url + "/#/")

    # Later the household agrees again, after hearing the notice the phone holds.
    page.get_by_role("link", name=WITHDRAWN).first.click()
    card = page.get_by_test_id("consent-card")
    card.get_by_test_id("consent-give").click()
    expect(card.get_by_role("alertdialog")).to_contain_text("Đọc thông báo này cho hộ")
    card.get_by_test_id("consent-give-go").click()
    expect(card.get_by_test_id("consent-state")).to_contain_text(f"Đã đồng ý — thông báo {CURRENT_VERSION}")
    expect(card.get_by_test_id("consent-state")).to_contain_text(today.strftime("%d/%m/%Y"))
    pwa.sync_now(page)
    pwa.expect_pending(page, 0)
    assert _server_state(server, household_id) == ("given", today, CURRENT_VERSION, ["withdrawn", "given"])
    # The names come back with the pull that follows the push.
    deadline = time.monotonic() + 30
    while on_phone(page, household_id)["names"] != [HEAD] and time.monotonic() < deadline:
        time.sleep(0.2)
    assert on_phone(page, household_id) == {
        "head_name": HEAD,
        "address": "Số 1, đường 30/4",
        "consent": "given",
        "names": [HEAD],
    }
    page.goto(f"{server.url}/#/h/{household_id}")
    expect(page.get_by_role("heading", name=HEAD)).to_be_visible()
    screenshot(page, "consent-given-again-360" + suffix)
