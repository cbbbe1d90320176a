"""Consent per household (withdrawal hides names on lists, files and phones; counts stay), the notice, and
retention on a hand-made set."""

import io
import uuid
from datetime import date, datetime, timedelta

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import update
from sqlmodel import Session, col, select

from app.models import Campaign, Household, Person, Visit
from app.models.base import utcnow
from app.privacy import retention
from app.privacy.notice import CURRENT_VERSION, NOTICES
from tests.privacy.helpers import add_household, audit_rows, figures, find_everywhere, make_world
from tests.sync.helpers import apply, household, new_client_id, numbered, pull_all, push, statuses, visit

NAME = "Kha Thị Mận"
PERSON = "Kha Văn Đào"
ADDRESS = "Số 44 đường Trần Hưng Đạo"


def test_withdrawal_hides_names_on_lists_files_and_phones_and_keeps_counts(
    client: TestClient, session: Session
) -> None:
    world = make_world(client, session)
    # Taught, not yet proficient: the household is on the to-visit list.
    hid, pid, _ = add_household(client, world, head=NAME, address=ADDRESS, person_name=PERSON, level="taught")
    official = world.headers["commune_official"]
    unit = {"unit_id": world.tree.commune.id, "campaign_id": world.campaign_id}
    detail = client.get(f"/api/v1/households/{hid}", headers=official).json()
    assert detail["consent"] == "given" and detail["source"] == "door"  # the visit recorded consent
    before = figures(client.get("/api/v1/reports/coverage", params=unit, headers=official).json())
    phone: dict[tuple[str, str], dict[str, object]] = {}
    changes, cursor, _ = pull_all(client, world.headers["volunteer"])
    apply(phone, changes)

    r = client.post(f"/api/v1/households/{hid}/consent", json={"state": "withdrawn"}, headers=official)
    assert r.status_code == 200 and r.json()["state"] == "withdrawn", r.text

    listed = client.get("/api/v1/households", headers=official).json()["items"]
    assert [(h["head_name"], h["address"], h["consent"]) for h in listed] == [("Hộ đã rút đồng ý", "", "withdrawn")]
    detail = client.get(f"/api/v1/households/{hid}", headers=official).json()
    assert detail["head_name"] == "Hộ đã rút đồng ý" and [p["full_name"] for p in detail["people"]] == [None]
    to_visit = client.get("/api/v1/reports/to-visit", params={"unit_id": world.tree.commune.id}, headers=official)
    assert NAME not in to_visit.text and ADDRESS not in to_visit.text
    for fmt in ("xlsx", "csv"):
        f = client.get(f"/api/v1/reports/to-visit.{fmt}", params={"unit_id": world.tree.commune.id}, headers=official)
        assert f.status_code == 200
        text = _xlsx_text(f.content) if fmt == "xlsx" else f.content.decode("utf-8-sig")
        assert NAME not in text and ADDRESS not in text and "Hộ đã rút đồng ý" in text
    assert figures(client.get("/api/v1/reports/coverage", params=unit, headers=official).json()) == before

    more, cursor, _ = pull_all(client, world.headers["volunteer"], cursor)
    apply(phone, more)
    assert phone[("household", hid)]["head_name"] == "Hộ đã rút đồng ý"
    assert phone[("person", pid)]["full_name"] is None
    # A phone editing the household afterwards cannot put a name back.
    edit = household(world.tree.hamlet.id, hid=hid, head_name="Tên mới", address="Địa chỉ mới", member_count=3)
    assert statuses(push(client, world.headers["volunteer"], new_client_id(), numbered([edit]))) == ["applied"]
    assert find_everywhere(session, ["Tên mới", "Địa chỉ mới"]) == []
    assert session.get(Household, uuid.UUID(hid)).member_count == 3  # type: ignore[union-attr]
    # The access request still answers with everything held, for the household itself.
    data = client.get(f"/api/v1/households/{hid}/export", headers=official).json()
    assert data["household"]["head_name"] == NAME and data["household"]["consent"]["state"] == "withdrawn"
    assert [e.kind for e in audit_rows(session, "consent")] == ["withdrawn"]

    r = client.post(
        f"/api/v1/households/{hid}/consent", json={"state": "given", "notice_version": "1999"}, headers=official
    )
    assert r.status_code == 422 and r.json()["error"]["code"] == "unknown_notice_version"
    again = {"state": "given", "notice_version": CURRENT_VERSION}
    assert client.post(f"/api/v1/households/{hid}/consent", json=again, headers=official).json()["state"] == "given"
    assert client.get(f"/api/v1/households/{hid}", headers=official).json()["head_name"] == NAME


def _xlsx_text(content: bytes) -> str:
    wb = load_workbook(io.BytesIO(content), read_only=True)
    return " ".join(str(c) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for c in row if c)


def test_the_notice_is_one_versioned_text_served_to_everyone_and_pulled_by_phones(
    client: TestClient, session: Session
) -> None:
    r = client.get("/api/v1/privacy/notice")
    assert r.status_code == 200 and r.json()["version"] == CURRENT_VERSION
    assert r.json()["text_vi"] == NOTICES[CURRENT_VERSION].text_vi
    world = make_world(client, session)
    changes, _, _ = pull_all(client, world.headers["volunteer"])
    [notice] = [c for c in changes if c["type"] == "notice"]
    assert notice["data"]["version"] == CURRENT_VERSION


def test_access_request_as_xlsx_for_printing(client: TestClient, session: Session) -> None:
    world = make_world(client, session)
    hid, _, _ = add_household(client, world, head="=HYPERLINK(1)", address=ADDRESS, person_name=PERSON, note="ghi chú")
    r = client.get(f"/api/v1/households/{hid}/export", params={"format": "xlsx"}, headers=world.headers["admin"])
    assert r.status_code == 200
    wb = load_workbook(io.BytesIO(r.content))
    assert wb.sheetnames == ["Hộ gia đình", "Thành viên", "Lượt thăm", "Lịch sử thay đổi"]
    text = _xlsx_text(r.content)
    assert ADDRESS in text and PERSON in text and "ghi chú" in text
    cell = next(c for row in wb["Hộ gia đình"].iter_rows() for c in row if c.value == "=HYPERLINK(1)")
    assert cell.data_type == "s"  # text, never a formula
    [entry] = audit_rows(session, "access_request")
    assert entry.file_format == "xlsx" and entry.household_id == uuid.UUID(hid)


def test_retention_dry_run_counts_and_apply_anonymises_only_what_is_past(client: TestClient, session: Session) -> None:
    world = make_world(client, session)
    old = add_household(
        client, world, head="Lò Thị Cũ", address="Số 1", person_name="Lò Văn Cũ", note="ghi chú riêng cũ"
    )
    fresh = add_household(client, world, head="Lò Thị Mới", address="Số 2", person_name="Lò Văn Mới")
    far = add_household(client, world, head="Lò Thị Xa", address="Số 3")
    # The campaign ended long ago; everything in the hamlet is old except the fresh household's visit.
    session.execute(update(Campaign).values(starts_on=date(2024, 10, 1), ends_on=date(2024, 10, 10)))
    long_ago = datetime(2024, 10, 5, 3, 0, tzinfo=utcnow().tzinfo)
    for hid in (old[0], fresh[0], far[0]):
        session.execute(update(Household).where(col(Household.id) == uuid.UUID(hid)).values(updated_at=long_ago))
        session.execute(update(Visit).where(col(Visit.household_id) == uuid.UUID(hid)).values(received_at=long_ago))
    session.execute(update(Visit).where(col(Visit.household_id) == uuid.UUID(fresh[0])).values(received_at=utcnow()))
    session.commit()
    today = date(2026, 12, 3)

    dry = retention.plan(session, months=24, today=today)
    assert dry.cutoff == date(2024, 12, 3)
    assert sorted(map(str, dry.household_ids)) == sorted([old[0], far[0]])
    assert (dry.people, dry.visits) == (2, 2)
    assert sum(dry.by_commune.values()) == 2
    assert find_everywhere(session, ["Lò Thị Cũ"]) != []  # a dry run changes nothing
    assert retention.plan(session, months=30, today=today).household_ids == []  # not yet past 30 months

    done = retention.apply(session, months=24, today=today)
    session.commit()
    assert len(done.household_ids) == 2
    assert find_everywhere(session, ["Lò Thị Cũ", "Lò Văn Cũ", "Lò Thị Xa", "ghi chú riêng cũ"]) == []
    assert find_everywhere(session, ["Lò Thị Mới", "Lò Văn Mới"]) != []
    people = session.exec(select(Person).where(col(Person.household_id) == uuid.UUID(old[0]))).all()
    assert [p.full_name for p in people] == [None] and len(people) == 1
    assert {(e.kind, e.user_id) for e in audit_rows(session, "erasure")} == {("retention", None)}
    assert retention.plan(session, months=24, today=today + timedelta(days=1)).household_ids == []


def test_an_imported_household_comes_from_the_commune_list_with_consent_unknown_until_a_visit(
    client: TestClient, session: Session
) -> None:
    world = make_world(client, session)
    official = world.headers["commune_official"]
    content = "Thôn/ấp,Địa chỉ,Họ tên chủ hộ\nKhu vực 1,Số 70,Hộ Nhập Danh Sách\n".encode()
    files = {"file": ("ho.csv", content, "application/octet-stream")}
    preview = client.post("/api/v1/households/import/preview", files=files, headers=official).json()
    r = client.post(
        "/api/v1/households/import/commit",
        files=files,
        data={"rows": "new", "token": preview["token"]},
        headers=official,
    )
    assert r.status_code == 200, r.text
    [listed] = client.get("/api/v1/households", params={"q": "nhap danh sach"}, headers=official).json()["items"]
    assert (listed["source"], listed["consent"]) == ("import", "unknown")
    visited = visit(listed["id"], [], outcome="met", consent_given=True, consent_notice_version=CURRENT_VERSION)
    assert statuses(push(client, world.headers["volunteer"], new_client_id(), numbered([visited]))) == ["applied"]
    data = client.get(f"/api/v1/households/{listed['id']}/export", headers=official).json()
    assert data["household"]["source"] == "import"
    assert data["household"]["consent"]["state"] == "given"
    assert data["household"]["consent"]["notice_version"] == CURRENT_VERSION
    # The visit's consent became the household's own record, as the list shows it.
    [listed] = client.get("/api/v1/households", params={"q": "nhap danh sach"}, headers=official).json()["items"]
    assert listed["consent"] == "given"
