"""Household lists as communes deliver them (issue 12 item 8), and files built to hurt the server
(issue 9 items 9 and 10)."""

import io
import json
import unicodedata
from typing import Any

from fastapi.testclient import TestClient
from openpyxl import Workbook, load_workbook
from sqlmodel import Session, func, select

from app.models import AdminUnit, ExportLog, Household, Person
from tests import hostile_files
from tests.factories import login, make_tree, make_user

PREVIEW = "/api/v1/households/import/preview"
COMMIT = "/api/v1/households/import/commit"
ERRORS = "/api/v1/households/import/errors.xlsx"


def _upload(content: bytes, name: str = "ds.xlsx") -> dict[str, Any]:
    return {"file": (name, content, "application/octet-stream")}


def messy_workbook() -> bytes:
    """What a ward sends: a title block, the hamlet only in the sheet's name (sheet 1) or only in the
    title (sheet 2), the ward only in the "UBND" line, a column-number row, ALL CAPS, a row typed
    twice, unusable optional values, an old 11-digit number, a placeholder phone on three households,
    a blank row, a total row with a SUM formula, a column nobody asked for, and a guide sheet."""
    book = Workbook()
    first = book.active
    assert first is not None
    first.title = "Khu vực 1"
    first.append(["UBND PHƯỜNG I", None, None, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"])
    first.append([None, None, None, "Độc lập - Tự do - Hạnh phúc"])
    first.append([])
    first.append(["DANH SÁCH HỘ GIA ĐÌNH KHU VỰC 1 (cập nhật 09/2024)"])
    first.append(
        ["STT", "Họ và tên chủ hộ", "Năm sinh", "Địa chỉ (số nhà, tổ)", "SĐT", "Số nhân khẩu", "Ghi chú", "Dân tộc"]
    )
    first.append(["(1)", "(2)", "(3)", "(4)", "(5)", "(6)", "(7)", "(8)"])  # row 6
    first.append([1, "NGUYỄN VĂN AN", 1965, "Số 12, tổ 3", "0912.345.678", 4, None, "Kinh"])  # 7
    first.append([2, "  Trần   Thị  Bé ", "196x", "Số 14, tổ 3", "không có", "bốn", None, "Kinh"])  # 8
    first.append([3, "LÊ VĂN CƯỜNG", 2030, "Số 15", "01689123456", -1, "hộ nghèo", None])  # 9
    first.append([4, "NGUYỄN VĂN AN", 1965, "Số 12, tổ 3", "0912.345.678", 4, None, "Kinh"])  # 10: typed twice
    first.append([])  # 11
    first.append([5, "PHẠM THỊ DUNG", None, "Số 20", "0900000999", 3])  # 12
    first.append([6, "Võ Văn Em", 1980, "Số 21", "0900 000 999", 2])  # 13
    first.append([7, "Đỗ Thị Phương", None, "Số 22", "84900000999", 1])  # 14
    first.append([8, "HUỲNH VĂN GIÀU", None, "Số 23", "12345", 2])  # 15
    first.append([9, None, None, "Số 30", None, 2])  # 16: no name
    first.append(["Tổng cộng", None, None, None, None, "=SUM(F7:F16)"])  # 17
    second = book.create_sheet("Trang 2")
    second.append(["DANH SÁCH HỘ GIA ĐÌNH ẤP THẠNH HÒA (cập nhật 09/2024)"])
    second.append(["STT", "Tên chủ hộ", "Số nhà", "Tổ", "Điện thoại", "Số khẩu"])  # 2
    second.append([1, "NGUYỄN THỊ HOA", "5", 2, "0987654321", 3])  # 3
    second.append([2, "LÝ VĂN TÀI", "7", 2, "0163 912 3456", 5])  # 4
    second.append([None, "Cộng", None, None, None, "=SUM(F3:F4)"])  # 5
    guide = book.create_sheet("Hướng dẫn")
    guide.append(["Danh sách này do phường lập, gửi Tổ Công nghệ số cộng đồng."])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _count(session: Session, model: Any) -> int:
    return session.exec(select(func.count()).select_from(model)).one()


def test_a_messy_workbook_is_read_as_delivered(client: TestClient, session: Session) -> None:
    tree = make_tree(session)
    # A district official, with no commune chosen: the title's "UBND PHƯỜNG I" says which ward.
    official = make_user(session, "district_official", unit=tree.district)
    session.commit()
    headers = login(client, official.phone)
    content = messy_workbook()
    r = client.post(PREVIEW, files=_upload(content), headers=headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["commune_id"], body["commune_name"]) == (tree.commune.id, "Phường I")
    assert body["counts"] == {"new": 9, "duplicate": 1, "already_imported": 0, "error": 1}
    assert body["new_hamlets"] == ["Ấp Thạnh Hòa"]
    assert body["unmapped_columns"] == [{"sheet": "Khu vực 1", "column": "H", "header": "Dân tộc"}]
    assert body["skipped_sheets"] == [{"sheet": "Hướng dẫn", "reason": "no_header"}]
    assert [(s["sheet"], s["row"], s["reason"]) for s in body["skipped_rows"]] == [
        ("Khu vực 1", 6, "column_numbers"),
        ("Khu vực 1", 11, "blank"),
        ("Khu vực 1", 17, "total"),
        ("Trang 2", 5, "total"),
    ]
    assert "=SUM(F7:F16)" in body["skipped_rows"][2]["text"]
    rows = {(r["sheet"], r["row"]): r for r in body["rows"]}
    assert len(rows) == 11

    def warnings(sheet: str, row: int) -> list[str]:
        return [w["code"] for w in rows[(sheet, row)]["warnings"]]

    an = rows[("Khu vực 1", 7)]
    assert (an["status"], an["head_name"], an["hamlet_id"], an["phone"], an["member_count"], an["birth_year"]) == (
        "new",
        "Nguyễn Văn An",
        tree.hamlet.id,
        "+84912345678",
        4,
        1965,
    )
    assert an["key"] == "0:7" and an["address"] == "Số 12, tổ 3" and warnings("Khu vực 1", 7) == []
    be = rows[("Khu vực 1", 8)]
    assert (be["status"], be["head_name"], be["phone"], be["member_count"], be["birth_year"]) == (
        "new",
        "Trần Thị Bé",
        None,
        0,
        None,
    )
    assert warnings("Khu vực 1", 8) == ["no_phone", "bad_member_count", "bad_birth_year"]
    cuong = rows[("Khu vực 1", 9)]
    assert (cuong["head_name"], cuong["phone"], cuong["note"]) == ("Lê Văn Cường", "+84389123456", "hộ nghèo")
    assert warnings("Khu vực 1", 9) == ["phone_renumbered", "bad_member_count", "bad_birth_year"]
    twice = rows[("Khu vực 1", 10)]
    assert twice["status"] == "duplicate" and twice["household_id"] == an["household_id"]
    assert twice["warnings"][0]["code"] == "duplicate_in_file" and twice["warnings"][0]["row"] == 7
    for row in (12, 13, 14):
        assert rows[("Khu vực 1", row)]["phone"] == "+84900000999"
        assert warnings("Khu vực 1", row) == ["shared_phone"]
        assert rows[("Khu vực 1", row)]["status"] == "new"
    assert rows[("Khu vực 1", 15)]["status"] == "new" and warnings("Khu vực 1", 15) == ["bad_phone"]
    assert rows[("Khu vực 1", 16)]["status"] == "error"
    assert [e["code"] for e in rows[("Khu vực 1", 16)]["errors"]] == ["missing_head_name"]
    hoa, tai = rows[("Trang 2", 3)], rows[("Trang 2", 4)]
    assert (hoa["hamlet_name"], hoa["hamlet_id"], hoa["new_hamlet"], hoa["address"]) == (
        "Ấp Thạnh Hòa",
        None,
        True,
        "Số 5, Tổ 2",
    )
    assert hoa["key"] == "1:3" and warnings("Trang 2", 3) == ["new_hamlet"]
    assert tai["phone"] == "+84339123456" and warnings("Trang 2", 4) == ["new_hamlet", "phone_renumbered"]

    # The error report: the rows to look at, as text only.
    report = client.post(ERRORS, files=_upload(content), headers=headers)
    assert report.status_code == 200, report.text
    book = load_workbook(io.BytesIO(report.content))
    listed = list(book["Dòng cần xem lại"].iter_rows(min_row=3, values_only=True))
    assert [(row[0], row[1]) for row in listed] == [
        ("Khu vực 1", "8"),
        ("Khu vực 1", "9"),
        ("Khu vực 1", "10"),
        ("Khu vực 1", "12"),
        ("Khu vực 1", "13"),
        ("Khu vực 1", "14"),
        ("Khu vực 1", "15"),
        ("Khu vực 1", "16"),
        ("Trang 2", "3"),
        ("Trang 2", "4"),
    ]
    assert listed[7][7] == "Thiếu họ tên chủ hộ."
    assert all(c.data_type == "s" for row in book["Dòng bỏ qua"].iter_rows() for c in row if c.value is not None)
    assert ("Khu vực 1", "17", "Dòng tổng cộng") in [r[:3] for r in book["Dòng bỏ qua"].iter_rows(values_only=True)]

    # Commit what is new: the hamlet is created once, the head with a birth year is a person.
    hamlets_before = _count(session, AdminUnit)
    r = client.post(COMMIT, files=_upload(content), data={"rows": "new", "token": body["token"]}, headers=headers)
    assert r.status_code == 200, r.text
    done = r.json()
    assert (done["inserted"], done["unchanged"]) == (9, 0)
    assert [h["name"] for h in done["created_hamlets"]] == ["Ấp Thạnh Hòa"]
    session.expire_all()
    assert _count(session, AdminUnit) == hamlets_before + 1
    assert _count(session, Household) == 9
    people = session.exec(select(Person.full_name, Person.birth_year)).all()
    assert sorted(people) == [("Nguyễn Văn An", 1965), ("Võ Văn Em", 1980)]
    cuong_row = session.exec(select(Household).where(Household.head_name == "Lê Văn Cường")).one()
    assert cuong_row.note == "hộ nghèo"

    # The same file again changes nothing: every row is known, the hamlet is found by its name.
    again = client.post(PREVIEW, files=_upload(content), headers=headers).json()
    assert again["counts"] == {"new": 0, "duplicate": 0, "already_imported": 10, "error": 1}
    assert again["new_hamlets"] == []
    r = client.post(COMMIT, files=_upload(content), data={"rows": "new,duplicate"}, headers=headers)
    assert r.status_code == 200 and r.json()["inserted"] == 0 and r.json()["created_hamlets"] == []
    r = client.post(COMMIT, files=_upload(content), data={"rows": "0:7-10,0:12-15,1:3-4"}, headers=headers)
    assert r.status_code == 200, r.text
    assert (r.json()["inserted"], r.json()["unchanged"]) == (0, 10)
    session.expire_all()
    assert _count(session, Household) == 9
    assert _count(session, AdminUnit) == hamlets_before + 1


def test_columns_the_user_maps(client: TestClient, session: Session) -> None:
    tree = make_tree(session)
    official = make_user(session, "commune_official", unit=tree.commune)
    session.commit()
    headers = login(client, official.phone)
    content = "Thôn/ấp,Người đại diện,Nơi ở,Dân tộc\nKhu vực 1,Hộ A,Số 1,Kinh\n".encode()
    r = client.post(PREVIEW, files=_upload(content, "ho.csv"), headers=headers)
    assert r.status_code == 422 and r.json()["error"]["code"] == "wrong_columns"
    column_map = json.dumps({"Người đại diện": "head_name", "Dân tộc": ""})
    r = client.post(PREVIEW, files=_upload(content, "ho.csv"), data={"column_map": column_map}, headers=headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["unmapped_columns"] == []
    assert (body["rows"][0]["head_name"], body["rows"][0]["address"]) == ("Hộ A", "Số 1")
    # The token covers the mapping: a commit with another mapping is another preview.
    r = client.post(
        COMMIT, files=_upload(content, "ho.csv"), data={"rows": "new", "token": body["token"]}, headers=headers
    )
    assert r.status_code == 422  # without the map there is no head-of-household column
    r = client.post(
        COMMIT,
        files=_upload(content, "ho.csv"),
        data={"rows": "new", "token": body["token"], "column_map": column_map},
        headers=headers,
    )
    assert r.status_code == 200 and r.json()["inserted"] == 1
    for bad in ("[1]", '{"Dân tộc": "ethnicity"}', "not json"):
        r = client.post(PREVIEW, files=_upload(content, "ho.csv"), data={"column_map": bad}, headers=headers)
        assert r.status_code == 422 and r.json()["error"]["code"] == "bad_column_map", r.text


def test_the_commune_named_in_the_file(client: TestClient, session: Session) -> None:
    tree = make_tree(session)
    official = make_user(session, "commune_official", unit=tree.commune)
    district = make_user(session, "district_official", unit=tree.district)
    session.commit()
    other = "UBND PHƯỜNG III\nHọ tên chủ hộ,Thôn/ấp\nHộ A,Khu vực 3\n".encode()
    r = client.post(PREVIEW, files=_upload(other, "ho.csv"), headers=login(client, district.phone))
    assert r.status_code == 200 and r.json()["commune_id"] == tree.other_commune.id
    assert r.json()["rows"][0]["hamlet_id"] == tree.hamlet_of_other_commune.id
    # A ward official's file naming a ward outside their area.
    far = "Ủy ban nhân dân xã Vị Thuỷ\nHọ tên chủ hộ,Thôn/ấp\nHộ A,Ấp Vị Hoà\n".encode()
    r = client.post(PREVIEW, files=_upload(far, "ho.csv"), headers=login(client, official.phone))
    assert r.status_code == 403 and r.json()["error"]["code"] == "outside_your_area"
    # A district official's file naming no ward at all: they must choose.
    none = "Họ tên chủ hộ,Thôn/ấp\nHộ A,Khu vực 1\n".encode()
    r = client.post(PREVIEW, files=_upload(none, "ho.csv"), headers=login(client, district.phone))
    assert r.status_code == 422 and r.json()["error"]["code"] in ("commune_required", "not_a_commune")


def _cp1258(text: str) -> bytes:
    """What Vietnamese Windows writes: precomposed letters where cp1258 has them, else the base letter
    and a combining tone mark."""
    tones = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}
    out = b""
    for ch in unicodedata.normalize("NFC", text):
        try:
            out += ch.encode("cp1258")
        except UnicodeEncodeError:
            parts = unicodedata.normalize("NFD", ch)
            base = unicodedata.normalize("NFC", "".join(p for p in parts if p not in tones))
            out += base.encode("cp1258") + "".join(p for p in parts if p in tones).encode("cp1258")
    return out


def test_csv_encodings(client: TestClient, session: Session) -> None:
    tree = make_tree(session)
    official = make_user(session, "commune_official", unit=tree.commune)
    session.commit()
    headers = login(client, official.phone)
    text = "Thôn/ấp;Họ tên chủ hộ;Địa chỉ\r\nKhu vực 1;Nguyễn Thị Ánh Tuyết;Số 7 đường Trần Hưng Đạo\r\n"
    windows = _cp1258(text)
    assert b"\xd2" in windows  # a combining tone mark: cp1258 has no "ủ"
    for content in (windows, text.encode("utf-8"), "\ufeff".encode() + text.encode(), text.encode("utf-16")):
        r = client.post(PREVIEW, files=_upload(content, "ho.csv"), headers=headers)
        assert r.status_code == 200, r.text
        row = r.json()["rows"][0]
        assert (row["head_name"], row["address"], row["hamlet_id"]) == (
            "Nguyễn Thị Ánh Tuyết",
            "Số 7 đường Trần Hưng Đạo",
            tree.hamlet.id,
        )
        assert unicodedata.is_normalized("NFC", row["head_name"])
    # Bytes neither UTF-8 nor Windows-1258 can hold.
    r = client.post(PREVIEW, files=_upload(b"Ho ten chu ho\n\x81\x8d\x8e\x90\n", "ho.csv"), headers=headers)
    assert r.status_code == 422 and r.json()["error"]["code"] == "unknown_encoding"
    assert "không đọc được bảng mã" in r.json()["error"]["message"].lower()


def test_hostile_spreadsheets_are_refused_cleanly(client: TestClient, session: Session) -> None:
    tree = make_tree(session)
    official = make_user(session, "commune_official", unit=tree.commune)
    session.commit()
    headers = login(client, official.phone)

    def post(content: bytes, name: str = "ds.xlsx") -> Any:
        return client.post(PREVIEW, files=_upload(content, name), headers=headers)

    # A million-row dimension and a cell in the far corner: nothing allocated for them.
    r = post(hostile_files.million_row_dimension())
    assert r.status_code == 200, r.text
    assert [row["head_name"] for row in r.json()["rows"]] == ["Hộ Một", "Hộ Hai"]
    # 1,000 blank rows end the sheet: what comes after them is not read.
    r = post(hostile_files.blank_rows(1_200))
    assert r.status_code == 200 and [row["head_name"] for row in r.json()["rows"]] == ["Hộ Một"]
    # An entity bomb: refused, not expanded, not a 500.
    r = post(hostile_files.entity_bomb())
    assert r.status_code == 422 and r.json()["error"]["code"] == "unsafe_file", r.text
    # A part that inflates a thousandfold.
    r = post(hostile_files.compressed_bomb(2_000_000))
    assert r.status_code == 422 and r.json()["error"]["code"] == "unsafe_file", r.text
    # Shared strings declared at 60 MB (stored, so the ratio is plausible): refused from the directory.
    strings = hostile_files.shared_strings_part(1_000_000)
    stored = hostile_files.xlsx(hostile_files.sheet_xml([hostile_files.HEADER_ROW]), strings, compression=0)
    r = post(hostile_files.declare_size(stored, "xl/sharedStrings.xml", 60_000_000))
    assert r.status_code == 413 and r.json()["error"]["code"] == "file_too_large", r.text
    # Parts declaring 280 MB in all.
    sheet = hostile_files.sheet_xml([hostile_files.HEADER_ROW] + [" " * 1000] * 3_000)
    big = hostile_files.xlsx(sheet, compression=0)
    r = post(hostile_files.declare_size(big, "xl/worksheets/sheet1.xml", 280_000_000))
    assert r.status_code == 413 and r.json()["error"]["code"] == "file_too_large", r.text
    # More than 100,000 data rows.
    many = ("Thôn/ấp,Họ tên chủ hộ\n" + "Khu vực 1,Hộ\n" * 100_001).encode()
    r = post(many, "ho.csv")
    assert r.status_code == 413 and r.json()["error"]["code"] == "too_many_rows", r.text
    # Not a zip, and a zip without a workbook.
    assert post(b"PK\x03\x04garbage").json()["error"]["code"] == "unreadable_file"
    for response in (post(b"PK\x03\x04garbage"), post(hostile_files.xlsx(b"<not-xml"))):
        assert response.status_code == 422
    assert all("message" in post(c).json()["error"] for c in (hostile_files.entity_bomb(),))


def test_the_error_report_is_text_only_and_logged(client: TestClient, session: Session) -> None:
    tree = make_tree(session)
    official = make_user(session, "commune_official", unit=tree.commune)
    session.commit()
    headers = login(client, official.phone)
    content = 'Thôn/ấp,Họ tên chủ hộ,Số điện thoại\n,=HYPERLINK("http://x"),không có\nKhu vực 1,@SUM(1),\n'.encode()
    r = client.post(ERRORS, files=_upload(content, "ho.csv"), headers=headers)
    assert r.status_code == 200, r.text
    sheet = load_workbook(io.BytesIO(r.content))["Dòng cần xem lại"]
    cells = {c.value: c.data_type for row in sheet.iter_rows() for c in row if c.value is not None}
    assert cells['=HYPERLINK("http://x")'] == "s"
    assert "@SUM(1)" not in cells  # a row without a problem is not in the report
    session.expire_all()
    log = session.exec(select(ExportLog).where(ExportLog.kind == "household_import_errors")).one()
    assert (log.user_id, log.unit_id, log.row_count, log.personal_data) == (official.id, tree.commune.id, 1, True)


def test_a_hamlet_column_headed_by_its_kind(client: TestClient, session: Session) -> None:
    tree = make_tree(session)
    official = make_user(session, "commune_official", unit=tree.commune)
    session.commit()
    headers = login(client, official.phone)
    content = "Ấp,Họ tên chủ hộ\nThạnh Hòa,Hộ A\n3,Hộ B\nẤp 3,Hộ C\n".encode()
    body = client.post(PREVIEW, files=_upload(content, "ho.csv"), headers=headers).json()
    assert body["new_hamlets"] == ["Ấp Thạnh Hòa", "Ấp 3"]
    content = "Khu vực,Họ tên chủ hộ\n1,Hộ A\n".encode()
    body = client.post(PREVIEW, files=_upload(content, "ho.csv"), headers=headers).json()
    assert body["rows"][0]["hamlet_id"] == tree.hamlet.id and body["new_hamlets"] == []
