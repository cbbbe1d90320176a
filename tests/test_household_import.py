import io
import time
import unicodedata
from typing import Any

from fastapi.testclient import TestClient
from openpyxl import Workbook, load_workbook
from sqlmodel import Session, func, select

from app.households import importer
from app.models import AreaVersion, Household, HouseholdStatus, UnitCoverage
from tests.factories import aggregate, login, make_tree, make_user

HEADER = "Thôn/ấp,Địa chỉ,Họ tên chủ hộ,Số điện thoại,Số nhân khẩu\n"
PREVIEW = "/api/v1/households/import/preview"
COMMIT = "/api/v1/households/import/commit"


def _setup(session: Session):  # type: ignore[no-untyped-def]
    tree = make_tree(session)
    official = make_user(session, "commune_official", unit=tree.commune)
    session.commit()
    return tree, official


def _csv(*lines: str) -> bytes:
    return (HEADER + "".join(line + "\n" for line in lines)).encode("utf-8")


def _upload(content: bytes, name: str = "ho.csv") -> dict[str, Any]:
    return {"file": (name, content, "application/octet-stream")}


def _preview(client: TestClient, headers: dict[str, str], content: bytes, name: str = "ho.csv") -> Any:
    r = client.post(PREVIEW, files=_upload(content, name), headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


def _commit(client: TestClient, headers: dict[str, str], content: bytes, rows: str = "new", **data: str) -> Any:
    return client.post(COMMIT, files=_upload(content), data={"rows": rows, **data}, headers=headers)


def _households(session: Session) -> int:
    return session.exec(select(func.count()).select_from(Household)).one()


def test_templates_download_and_an_untouched_template_is_empty(client: TestClient, session: Session) -> None:
    tree, official = _setup(session)
    headers = login(client, official.phone)
    r = client.get("/api/v1/households/import/template.xlsx", headers=headers)
    assert r.status_code == 200
    book = load_workbook(io.BytesIO(r.content))
    sheet = book.worksheets[0]
    assert [c.value for c in sheet[1]] == [c.header for c in importer.COLUMNS]
    guide = [row for row in book["Hướng dẫn"].iter_rows(values_only=True) if row and row[0] is not None]
    assert (tree.hamlet.id, "Khu vực 1") in [tuple(row[:2]) for row in guide]
    r = client.post(PREVIEW, files=_upload(r.content, "mau.xlsx"), headers=headers)
    assert r.status_code == 422 and r.json()["error"]["code"] == "empty_file"
    r = client.get("/api/v1/households/import/template.csv", headers=headers)
    assert r.status_code == 200 and r.content.startswith("\ufeff".encode())
    r = client.post(PREVIEW, files=_upload(r.content), headers=headers)
    assert r.status_code == 422 and r.json()["error"]["code"] == "empty_file"


def test_empty_wrong_and_unreadable_files_are_clear_errors(client: TestClient, session: Session) -> None:
    _, official = _setup(session)
    headers = login(client, official.phone)
    for content, name, code in [
        (b"", "ho.csv", "empty_file"),
        (b"\n\n  \n", "ho.csv", "empty_file"),
        (b",,,\n,,,\n", "ho.csv", "empty_file"),
        ("Tên,Tuổi\nAn,30\n".encode(), "ho.csv", "wrong_columns"),
        (b"PK\x03\x04 not really a zip", "ho.xlsx", "unreadable_file"),
        (b"\x00\x01\x02\x03" * 50, "ho.csv", "unreadable_file"),
    ]:
        r = client.post(PREVIEW, files=_upload(content, name), headers=headers)
        assert r.status_code == 422, (content[:20], r.text)
        assert r.json()["error"]["code"] == code, (content[:20], r.text)
    r = client.post(PREVIEW, headers=headers)
    assert r.status_code == 422
    # Without a hamlet column the hamlet may come from the sheet's name or title: here neither says it.
    body = _preview(client, headers, "Họ tên chủ hộ,Địa chỉ\nAn,Số 1\n".encode())
    assert [e["code"] for e in body["rows"][0]["errors"]] == ["missing_hamlet"]


def test_preview_reports_row_level_problems(client: TestClient, session: Session) -> None:
    _tree, official = _setup(session)
    headers = login(client, official.phone)
    body = _preview(
        client,
        headers,
        _csv(
            "Khu vực 1,Số 5 hẻm 3,Trần Thị Bé,0912 345 678,4",
            "Khu vực 9,Số 6,Lê Văn Tám,,2",
            "Khu vực 2,Số 7,,0912345679,",
            "Khu vực 2,Số 8,Nguyễn Văn Một,12345,abc",
            "khu vuc 1,so 5 hem 3,TRAN THI BE,,",
            "Khu vực 3,Số 9,Phạm Văn Hai,,",
            ",Số 10,Phạm Văn Ba,,",
        ),
    )
    rows = {r["row"]: r for r in body["rows"]}
    assert body["total_rows"] == 7
    assert body["counts"] == {"new": 4, "duplicate": 1, "already_imported": 0, "error": 2}
    assert rows[2]["status"] == "new" and rows[2]["phone"] == "+84912345678" and rows[2]["member_count"] == 4
    # A hamlet the commune lacks is offered for creation (Khu vực 3 is another commune's hamlet).
    assert rows[3]["status"] == "new" and rows[3]["new_hamlet"] and rows[3]["hamlet_id"] is None
    assert [w["code"] for w in rows[3]["warnings"]] == ["new_hamlet"]
    assert body["new_hamlets"] == ["Khu vực 9", "Khu vực 3"]
    assert [e["code"] for e in rows[4]["errors"]] == ["missing_head_name"]
    # Unusable optional values are dropped with a warning; the row itself is fine.
    assert rows[5]["status"] == "new" and rows[5]["errors"] == []
    assert [w["code"] for w in rows[5]["warnings"]] == ["bad_phone", "bad_member_count"]
    assert (rows[5]["phone"], rows[5]["member_count"]) == (None, 0)
    assert rows[6]["status"] == "duplicate" and rows[6]["head_name"] == "Tran Thi Be"
    assert rows[6]["warnings"][0]["code"] == "duplicate_in_file" and rows[6]["warnings"][0]["row"] == 2
    assert rows[7]["status"] == "new" and rows[7]["new_hamlet"]
    assert [e["code"] for e in rows[8]["errors"]] == ["missing_hamlet"]
    only = client.post(
        PREVIEW, params={"only_problems": True}, files=_upload(_csv("Khu vực 1,,A,,", ",,B,,")), headers=headers
    )
    assert [r["row"] for r in only.json()["rows"]] == [3]


def test_hamlet_by_id_or_code_and_extra_columns_ignored(client: TestClient, session: Session) -> None:
    tree, official = _setup(session)
    headers = login(client, official.phone)
    content = (
        "STT;Mã thôn/ấp;Họ tên chủ hộ;Ghi chú;Dân tộc\n"
        f"1;{tree.hamlet.id};Hộ A;x;Kinh\n"
        f"2;{tree.other_hamlet.code};Hộ B;y;Khmer\n"
        f"3;{tree.hamlet_of_other_commune.id};Hộ C;z;\n"
    ).encode()
    body = _preview(client, headers, content)
    assert body["ignored_columns"] == ["Dân tộc"]
    assert body["unmapped_columns"] == [{"sheet": "", "column": "E", "header": "Dân tộc"}]
    assert [r["note"] for r in body["rows"]] == ["x", "y", "z"]
    assert [r["hamlet_id"] for r in body["rows"]] == [tree.hamlet.id, tree.other_hamlet.id, None]
    assert body["rows"][2]["errors"][0]["code"] == "unknown_hamlet"


def test_commit_chosen_rows_then_reimport_changes_nothing(client: TestClient, session: Session) -> None:
    tree, official = _setup(session)
    headers = login(client, official.phone)
    content = _csv(
        "Khu vực 1,Số 1,Hộ Một,0912345601,3",
        "Khu vực 1,Số 2,Hộ Hai,,2",
        "Khu vực 2,Số 3,Hộ Ba,,",
        "Khu vực 2,Số 4,,,",
    )
    preview = _preview(client, headers, content)
    r = _commit(client, headers, content, rows="5")
    assert r.status_code == 422 and r.json()["error"]["code"] == "rows_have_errors"
    r = _commit(client, headers, content, rows="2-3,99")
    assert r.status_code == 422 and r.json()["error"]["code"] == "bad_row_selection"
    r = _commit(client, headers, content, rows="2-3", token="0" * 32)
    assert r.status_code == 409 and r.json()["error"]["code"] == "upload_changed"
    r = _commit(client, headers, content, rows="2-3", token=preview["token"])
    assert r.status_code == 200, r.text
    assert (r.json()["inserted"], r.json()["unchanged"]) == (2, 0)
    assert _households(session) == 2
    hamlet = aggregate(session, UnitCoverage, (tree.hamlet.id, 0))
    province = aggregate(session, UnitCoverage, (tree.province.id, 0))
    assert hamlet is not None and hamlet.households == 2
    assert province is not None and province.households == 2
    assert session.get(AreaVersion, tree.hamlet.id).version >= 1  # type: ignore[union-attr]
    status = session.exec(select(HouseholdStatus)).all()
    assert {s.campaign_id for s in status} == {0} and len(status) == 2
    listed = client.get("/api/v1/households", params={"unit_id": tree.hamlet.id}, headers=headers).json()
    assert sorted(h["head_name"] for h in listed["items"]) == ["Hộ Hai", "Hộ Một"]
    # The same file again: the two rows are known, the third is still new.
    again = _preview(client, headers, content)
    assert again["counts"] == {"new": 1, "duplicate": 0, "already_imported": 2, "error": 1}
    r = _commit(client, headers, content, rows="2-4")
    assert (r.json()["inserted"], r.json()["unchanged"]) == (1, 2)
    r = _commit(client, headers, content, rows="2-4")
    assert (r.json()["inserted"], r.json()["unchanged"]) == (0, 3)
    session.expire_all()
    assert aggregate(session, UnitCoverage, (tree.province.id, 0)).households == 3  # type: ignore[union-attr]
    assert _households(session) == 3


def test_an_edited_household_is_not_overwritten_by_a_reimport(client: TestClient, session: Session) -> None:
    _tree, official = _setup(session)
    headers = login(client, official.phone)
    content = _csv("Khu vực 1,Số 1,Hộ Một,,3")
    household_id = _commit(client, headers, content).json()["rows"][0]["household_id"]
    r = client.patch(f"/api/v1/households/{household_id}", json={"member_count": 5}, headers=headers)
    assert r.status_code == 200
    r = _commit(client, headers, content, rows="2")
    assert r.json()["inserted"] == 0
    assert client.get(f"/api/v1/households/{household_id}", headers=headers).json()["member_count"] == 5


def test_duplicates_against_the_database(client: TestClient, session: Session) -> None:
    tree, official = _setup(session)
    headers = login(client, official.phone)
    r = client.post(
        "/api/v1/households",
        json={
            "id": "6f1c2d1e-0000-4000-8000-000000000001",
            "hamlet_id": tree.hamlet.id,
            "address": "Số 12 đường 3/2",
            "head_name": "Đặng Thị Hoà",
        },
        headers=headers,
    )
    assert r.status_code == 201
    body = _preview(
        client,
        headers,
        _csv("Khu vực 1,số 12 Đường 3/2,dang thi hoa,,", "Khu vực 2,Số 12 đường 3/2,Đặng Thị Hoà,,"),
    )
    first, second = body["rows"]
    assert first["status"] == "duplicate"
    assert first["warnings"][0]["code"] == "duplicate_in_database"
    assert first["warnings"][0]["household_id"] == "6f1c2d1e-0000-4000-8000-000000000001"
    # Same name and address in another hamlet is another household.
    assert second["status"] == "new"
    # An official may still choose a likely duplicate.
    r = _commit(client, headers, _csv("Khu vực 1,số 12 Đường 3/2,dang thi hoa,,"), rows="2")
    assert r.json()["inserted"] == 1


def test_mixed_nfc_and_nfd(client: TestClient, session: Session) -> None:
    tree, official = _setup(session)
    make_user(session, "commune_official", unit=tree.far_commune, phone="0988000001")
    session.commit()
    headers = login(client, official.phone)

    def nfd(text: str) -> str:
        return unicodedata.normalize("NFD", text)

    nfc_file = _csv("Khu vực 1,Ấp Hoà Bình,Nguyễn Thị Thuỷ,,", "Khu vực 2,Số 2,Lê Văn Đức,,")
    nfd_file = _csv(nfd("Khu vực 1,Ấp Hoà Bình,Nguyễn Thị Thuỷ,,"), nfd("Khu vực 2,Số 2,Lê Văn Đức,,"))
    assert nfc_file != nfd_file
    body = _preview(client, headers, nfd_file)
    assert body["counts"]["new"] == 2
    assert body["rows"][0]["head_name"] == "Nguyễn Thị Thuỷ"  # stored as NFC
    # NFC and NFD copies of one household in the same file are one likely duplicate.
    both = _preview(client, headers, _csv("Khu vực 1,Số 1,Trần Thị Hoà,,", nfd("Khu vực 1,Số 1,Trần Thị Hoà,,")))
    assert [r["status"] for r in both["rows"]] == ["new", "duplicate"]
    assert both["rows"][0]["household_id"] == both["rows"][1]["household_id"]
    assert _commit(client, headers, nfc_file).json()["inserted"] == 2
    # The NFD copy of the same file is the same households.
    assert _preview(client, headers, nfd_file)["counts"]["already_imported"] == 2
    assert _commit(client, headers, nfd_file, rows="2-3").json()["inserted"] == 0
    # A hamlet named in NFD in the far commune resolves too.
    far = login(client, "0988000001")
    body = _preview(client, far, _csv(nfd("Ấp Vị Hoà,Số 1,Hộ Xa,,")))
    assert body["rows"][0]["hamlet_id"] == tree.far_hamlet.id


def test_phones_in_every_format(client: TestClient, session: Session) -> None:
    _tree, official = _setup(session)
    headers = login(client, official.phone)
    forms = [
        "0912 345 678",
        "0912.345.678",
        "0912-345-678",
        "+84912345678",
        "84912345678",
        "0084912345678",
        "(0912) 345 678",
        " 0912345678 ",
        "0912 345 678 / 0987 654 321",
        "0912345678 hoặc 0987654321",
    ]
    content = _csv(*(f'Khu vực 1,Số {i},Hộ {i},"{p}",' for i, p in enumerate(forms)))
    rows = _preview(client, headers, content)["rows"]
    assert [r["phone"] for r in rows] == ["+84912345678"] * len(forms)
    assert all(r["status"] == "new" for r in rows)
    codes = [[w["code"] for w in r["warnings"]] for r in rows]
    # One number on ten households: a likely placeholder, flagged on each.
    assert codes == [["shared_phone"]] * 8 + [["several_phones", "shared_phone"]] * 2
    # The 11-digit numbers renumbered in 2018 become today's.
    old = ["01689123456", "0168 912 3456", "+841689123456", "01203456789", "01234567890", "01869123456"]
    rows = _preview(client, headers, _csv(*(f"Khu vực 1,Số {i},Hộ cũ {i},{p}," for i, p in enumerate(old))))["rows"]
    assert [r["phone"] for r in rows] == [
        "+84389123456",
        "+84389123456",
        "+84389123456",
        "+84703456789",
        "+84834567890",
        "+84569123456",
    ]
    bad = _preview(
        client,
        headers,
        _csv("Khu vực 1,Số 1,Hộ A,0123,", "Khu vực 1,Số 2,Hộ B,091234567890,", "Khu vực 1,Số 3,Hộ C,abc,"),
    )
    assert [r["warnings"][0]["code"] for r in bad["rows"]] == ["bad_phone"] * 3
    assert [(r["status"], r["phone"]) for r in bad["rows"]] == [("new", None)] * 3
    # In Excel, a phone typed as a number has lost its leading zero.
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Thôn/ấp", "Họ tên chủ hộ", "Số điện thoại", "Số nhân khẩu"])
    sheet.append(["Khu vực 1", "Hộ Excel", 912345678, 3.0])
    sheet.append(["Khu vực 1", "Hộ Excel 2", "0912 345 679", None])
    buffer = io.BytesIO()
    book.save(buffer)
    rows = _preview(client, headers, buffer.getvalue(), "ho.xlsx")["rows"]
    assert [(r["phone"], r["member_count"], r["row"]) for r in rows] == [
        ("+84912345678", 3, 2),
        ("+84912345679", 0, 3),
    ]


def test_ten_thousand_bad_rows(client: TestClient, session: Session) -> None:
    _tree, official = _setup(session)
    headers = login(client, official.phone)
    lines = []
    for i in range(10_000):
        kind = i % 3
        if kind == 0:
            lines.append(f",Số {i},Hộ {i},,")
        elif kind == 1:
            lines.append(f"Khu vực 1,Số {i},,,")
        else:
            lines.append(f"Khu vực 1,Số {i},Hộ {i} {'x' * 120},không có,")
    content = _csv(*lines)
    started = time.perf_counter()
    body = _preview(client, headers, content)
    elapsed = time.perf_counter() - started
    assert body["total_rows"] == 10_000
    assert body["counts"]["error"] == 10_000
    assert {r["errors"][0]["code"] for r in body["rows"]} == {
        "missing_hamlet",
        "missing_head_name",
        "head_name_too_long",
    }
    r = _commit(client, headers, content, rows="new")
    assert r.status_code == 200 and r.json()["inserted"] == 0
    r = _commit(client, headers, content, rows="2")
    assert r.status_code == 422 and r.json()["error"]["code"] == "rows_have_errors"
    r = _commit(client, headers, content, rows="")
    assert r.status_code == 422
    assert _households(session) == 0
    print(f"\n10,000 bad rows previewed in {elapsed:.2f} s")


def test_import_is_scoped(client: TestClient, session: Session) -> None:
    tree, official = _setup(session)
    volunteer = make_user(session, "volunteer", unit=tree.commune, hamlets=[tree.hamlet])
    district = make_user(session, "district_official", unit=tree.district)
    session.commit()
    content = _csv("Khu vực 3,Số 1,Hộ A,,")
    r = client.post(
        PREVIEW,
        params={"commune_id": tree.other_commune.id},
        files=_upload(content),
        headers=login(client, official.phone),
    )
    assert r.status_code == 403 and r.json()["error"]["code"] == "outside_your_area"
    r = client.post(PREVIEW, files=_upload(content), headers=login(client, volunteer.phone))
    assert r.status_code == 403
    district_headers = login(client, district.phone)
    r = client.post(PREVIEW, files=_upload(content), headers=district_headers)
    assert r.status_code == 422 and r.json()["error"]["code"] == "not_a_commune"
    r = client.post(
        PREVIEW, params={"commune_id": tree.other_commune.id}, files=_upload(content), headers=district_headers
    )
    assert r.status_code == 200 and r.json()["rows"][0]["hamlet_id"] == tree.hamlet_of_other_commune.id


def test_fifty_thousand_rows_timing(client: TestClient, session: Session) -> None:
    """Printed, not asserted: `pytest -s -k fifty_thousand tests/test_household_import.py`. Through the
    API as an official would: upload to preview (every row back), upload again to commit."""
    from app.units.service import create_hamlet

    tree, official = _setup(session)
    hamlets = [tree.hamlet, tree.other_hamlet] + [
        create_hamlet(session, commune=tree.commune, name=f"Khu vực {n}") for n in range(3, 11)
    ]
    session.commit()
    headers = login(client, official.phone)
    lines = [
        f"{hamlets[i % 10].name},Số {i} đường {i % 97},Nguyễn Văn {i},09{i:08d},{1 + i % 6}" for i in range(50_000)
    ]
    content = _csv(*lines)
    assert len(content) > 1_000_000  # over the JSON body limit: uploads have their own
    started = time.perf_counter()
    body = _preview(client, headers, content)
    previewed = time.perf_counter() - started
    assert body["counts"]["new"] == 50_000
    r = _commit(client, headers, content, rows="new", token=body["token"])
    total = time.perf_counter() - started
    assert r.status_code == 200 and r.json()["inserted"] == 50_000
    assert aggregate(session, UnitCoverage, (tree.province.id, 0)).households == 50_000  # type: ignore[union-attr]
    print(
        f"\n50,000 rows ({len(content) / 1e6:.1f} MB CSV, {session.get_bind().dialect.name}): "
        f"preview {previewed:.2f} s, preview + commit {total:.2f} s"
    )
