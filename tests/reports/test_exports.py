"""Files say what the screen says: every figure of every sheet and column equals the JSON report, the
xlsx is in the administrative form and print-ready, the csv is counts only, every export is logged."""

import csv
import io
import re
from datetime import date, datetime
from typing import Any
from urllib.parse import unquote

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet
from sqlmodel import Session, select

from app.models import AdminUnit, ExportLog
from app.reports.exports import today_vn
from app.units.service import create_unit
from tests.factories import login, make_user
from tests.reports.conftest import Scenario

PCT = 0.00051  # the JSON rounds percentages to one decimal (0.05 point = 0.0005)


@pytest.fixture
def official(client: TestClient, session: Session, scenario: Scenario) -> tuple[int, dict[str, str]]:
    user = make_user(session, "province_official", unit=scenario.tree.province)
    # A commune with nothing in it: the province file must still list it, with zeros.
    create_unit(
        session, scheme="vn2004", level="commune", code="31474", name="Xã Vị Trung", parent=scenario.tree.other_district
    )
    session.commit()
    return user.id, login(client, user.phone)  # type: ignore[return-value]


def unit_of(scenario: Scenario, level: str) -> AdminUnit:
    return {"hamlet": scenario.tree.hamlet, "commune": scenario.tree.commune, "province": scenario.tree.province}[level]


def _get(client: TestClient, headers: dict[str, str], path: str, **params: Any) -> Any:
    if path == "coverage":
        params["forces"] = "true"  # the files always carry the forces deployed
    r = client.get(f"/api/v1/reports/{path}", params=params, headers=headers)
    assert r.status_code == 200, r.text
    return r


def table(ws: Worksheet) -> tuple[int, list[list[Any]]]:
    """(the first header row, the data rows down to and including the totals row)."""
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    first = next(i for i, r in enumerate(rows) if r[0] == "STT")
    body = []
    for r in rows[first + 2 :]:
        body.append(r)
        if "Tổng cộng" in r:
            break
    return first + 1, body


def expected_main(f: dict[str, Any]) -> list[Any]:
    forces = f["forces"]
    return [
        f["households"],
        f["households_visited"],
        pytest.approx(f["visited_pct"] / 100, abs=PCT),
        f["households_covered_1"],
        f["households_covered_2"],
        pytest.approx(f["covered_pct"] / 100, abs=PCT),
        f["people"],
        f["people_taught"],
        f["people_proficient_all"],
        forces["teams"],
        forces["volunteers"],
        forces["volunteer_days"],
        forces["hamlets_active"],
        forces["hamlets"],
    ]


def expected_skills(f: dict[str, Any]) -> list[int]:
    return [n for s in f["skills"] for n in (s["people_taught"], s["people_proficient"])]


def assert_print_ready(ws: Worksheet, header_row: int, freeze_col: str = "C") -> None:
    assert ws.page_setup.orientation == "landscape"
    assert int(ws.page_setup.paperSize) == 9
    assert ws.sheet_properties.pageSetUpPr.fitToPage is True
    assert (int(ws.page_setup.fitToWidth), int(ws.page_setup.fitToHeight)) == (1, 0)
    assert ws.print_title_rows == f"${header_row}:${header_row + 1}"
    assert ws.freeze_panes == f"{freeze_col}{header_row + 2}"
    assert ws.cell(row=header_row, column=1).font.name == "Times New Roman"
    assert ws.cell(row=header_row + 2, column=3).font.name == "Times New Roman"


def assert_numbers(ws: Worksheet, header_row: int, body: list[list[Any]], first_figure: int) -> None:
    """Figures are numbers (never text), percentages real percentages."""
    for r, values in enumerate(body, start=header_row + 2):
        for c in range(first_figure, len(values) + 1):
            cell = ws.cell(row=r, column=c)
            if cell.value is None:
                continue
            assert cell.data_type == "n", (cell.coordinate, cell.value)
            if isinstance(cell.value, float):
                assert cell.number_format == "0.0%", cell.coordinate


def assert_heading(ws: Worksheet, level: str, campaign: bool, recipient: str | None = None) -> None:
    issuer = {
        "hamlet": ("UBND PHƯỜNG I", "BAN NHÂN DÂN KHU VỰC 1", "Số: …/BC-BND"),
        "commune": ("UBND THÀNH PHỐ VỊ THANH", "UBND PHƯỜNG I", "Số: …/BC-UBND"),
        "province": (None, "UBND TỈNH HẬU GIANG", "Số: …/BC-UBND"),
    }[level]
    assert (ws["A1"].value, ws["A2"].value, ws["A3"].value) == issuer
    assert ws["A2"].font.b and ws["A2"].font.name == "Times New Roman"
    right = next(c for c in ws[1] if c.value == "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM").column
    assert right > 2 and ws.cell(row=2, column=right).value == "Độc lập - Tự do - Hạnh phúc"
    place = {"hamlet": "Vị Thanh", "commune": "Vị Thanh", "province": "Hậu Giang"}[level]
    assert ws.cell(row=3, column=right).value == f"{place}, ngày … tháng … năm …"
    assert ws["A5"].value == "BÁO CÁO"
    if campaign:
        assert ws["A6"].value == "Kết quả Chiến dịch đi từng ngõ, gõ từng nhà (từ ngày 01/10/2024 đến ngày 10/10/2024)"
    else:
        assert ws["A6"].value.startswith("Kết quả phổ cập kỹ năng số cơ bản")
        assert f"(toàn thời gian, số liệu đến ngày {today_vn():%d/%m/%Y})" in ws["A6"].value
    default = {
        "hamlet": "Ủy ban nhân dân Phường I",
        "commune": "Ủy ban nhân dân Thành phố Vị Thanh",
        "province": "……………………",
    }[level]
    assert ws["A7"].value == f"Kính gửi: {recipient or default}"
    cells = {c.value: c for row in ws.iter_rows() for c in row if isinstance(c.value, str)}
    sign = cells["NGƯỜI LẬP BIỂU"]
    sign_for = "TM. BAN NHÂN DÂN" if level == "hamlet" else "TM. ỦY BAN NHÂN DÂN"
    assert ws.cell(row=sign.row, column=right).value == sign_for
    assert ws.cell(row=sign.row + 1, column=right).value == ("TRƯỞNG THÔN/ẤP" if level == "hamlet" else "CHỦ TỊCH")
    assert cells["Nơi nhận:"].row > sign.row and cells["Nơi nhận:"].column == 1


def check_daily(ws: Worksheet, daily: dict[str, Any]) -> None:
    header_row, body = table(ws)
    assert_print_ready(ws, header_row)
    days, total = body[:-1], body[-1]
    assert len(days) == len(daily["days"])
    n = daily["households"]
    for i, (row, d) in enumerate(zip(days, daily["days"], strict=True)):
        cell = ws.cell(row=header_row + 2 + i, column=2)
        assert isinstance(cell.value, datetime) and cell.is_date and cell.number_format == "dd/mm/yyyy"
        assert row[0] == i + 1 and row[1].date() == date.fromisoformat(d["day"])
        assert row[2:] == [
            d["visits"],
            d["households_visited"],
            d["households_covered"],
            d["people_proficient_all"],
            d["cumulative_visits"],
            d["cumulative_households_visited"],
            pytest.approx(d["cumulative_visited_pct"] / 100, abs=PCT) if n else 0,
            d["cumulative_households_covered"],
            pytest.approx(d["cumulative_covered_pct"] / 100, abs=PCT) if n else 0,
            d["cumulative_people_proficient_all"],
        ]
    assert total[1:6] == [
        "Tổng cộng",
        *(sum(d[k] for d in daily["days"]) for k in ("visits", "households_visited", "households_covered")),
        sum(d["people_proficient_all"] for d in daily["days"]),
    ]
    assert_numbers(ws, header_row, body, 3)


CASES = [(level, all_time) for level in ("hamlet", "commune", "province") for all_time in (False, True)]


def last_log(session: Session) -> ExportLog:
    return session.exec(select(ExportLog).order_by(ExportLog.id.desc())).first()  # type: ignore[union-attr,return-value]


def test_coverage_xlsx_is_the_administrative_report_with_every_figure_of_the_json(
    client: TestClient, session: Session, scenario: Scenario, official: tuple[int, dict[str, str]]
) -> None:
    """For a campaign and all time, at hamlet, commune and province level (one scenario for all six)."""
    for level, all_time in CASES:
        check_coverage_xlsx(client, session, scenario, official, level, all_time)
    assert len(session.exec(select(ExportLog)).all()) == len(CASES)


def check_coverage_xlsx(
    client: TestClient,
    session: Session,
    scenario: Scenario,
    official: tuple[int, dict[str, str]],
    level: str,
    all_time: bool,
) -> None:
    user_id, headers = official
    unit = unit_of(scenario, level)
    campaign_id = 0 if all_time else scenario.campaign.id
    params = {"unit_id": unit.id, "campaign_id": campaign_id}
    body = _get(client, headers, "coverage", **params).json()
    daily = _get(client, headers, "progress", **params).json()
    r = _get(client, headers, "coverage.xlsx", **params)
    assert r.headers["content-type"].startswith("application/vnd.openxmlformats")
    folded = {"hamlet": "KhuVuc1", "commune": "PhuongI", "province": "TinhHauGiang"}[level]
    name = {"hamlet": "Khu vực 1", "commune": "Phường I", "province": "Tỉnh Hậu Giang"}[level]
    day = f"{today_vn():%Y-%m-%d}"
    disposition = r.headers["content-disposition"]
    assert disposition.startswith(f"attachment; filename=\"BaoCao_{folded}_{day}.xlsx\"; filename*=UTF-8''")
    assert unquote(disposition.split("UTF-8''")[1]) == f"Báo cáo_{name}_{day}.xlsx"
    if level == "province" and not all_time:
        (tmp := __import__("pathlib").Path("test-artifacts")).mkdir(exist_ok=True)
        (tmp / "BaoCao_TinhHauGiang.xlsx").write_bytes(r.content)

    wb = load_workbook(io.BytesIO(r.content))
    sheets = ["Báo cáo", "Kỹ năng", "Mốc", *(["Các xã"] if level == "province" else []), "Theo ngày"]
    assert wb.sheetnames == sheets
    rows = body["children"] or [body["totals"]]

    ws = wb["Báo cáo"]
    assert_heading(ws, level, campaign=not all_time)
    header_row, data = table(ws)
    assert_print_ready(ws, header_row)
    assert ws.cell(row=header_row, column=3).value == "Hộ gia đình"
    assert ws.cell(row=header_row, column=12).value == "Lực lượng triển khai"
    assert ws.cell(row=header_row + 1, column=14).value == "Ngày công tình nguyện viên"
    assert [r[0] for r in data] == [*range(1, len(rows) + 1), None]
    assert [r[1] for r in data] == [*(f["unit"]["name"] for f in rows), "Tổng cộng"]
    for row, figures in zip(data, [*rows, body["totals"]], strict=True):
        assert row[2:] == expected_main(figures)
    assert_numbers(ws, header_row, data, 3)

    ws = wb["Kỹ năng"]
    header_row, data = table(ws)
    assert_print_ready(ws, header_row)
    assert ws.cell(row=header_row, column=3).value == body["skills"][0]["label_vi"]
    assert ws.cell(row=header_row + 1, column=3).value == "Được hướng dẫn"
    for row, figures in zip(data, [*rows, body["totals"]], strict=True):
        assert row[2:] == expected_skills(figures)
    assert_numbers(ws, header_row, data, 3)

    ws = wb["Mốc"]
    header_row, data = table(ws)
    assert_print_ready(ws, header_row)
    assert [ws.cell(row=header_row + 1, column=3 + i).value for i in range(len(body["milestones"]))] == [
        m["label_vi"] for m in body["milestones"]
    ]
    for row, figures in zip(data, [*rows, body["totals"]], strict=True):
        assert row[2:] == [m["people"] for m in figures["milestones"]]

    if level == "province":
        ws = wb["Các xã"]
        header_row, data = table(ws)
        assert_print_ready(ws, header_row, freeze_col="D")
        communes = session.exec(
            select(AdminUnit).where(AdminUnit.level == "commune", AdminUnit.path.startswith(unit.path))  # type: ignore[union-attr]
        ).all()
        assert len(data) == len(communes) + 1 == 5
        assert [(r[1], r[2]) for r in data[:-1]] == [
            ("Thành phố Vị Thanh", "Phường I"),
            ("Thành phố Vị Thanh", "Phường III"),
            ("Huyện Vị Thuỷ", "Xã Vị Thuỷ"),
            ("Huyện Vị Thuỷ", "Xã Vị Trung"),
        ]
        by_name = {c.name: c for c in communes}
        for row in data[:-1]:
            own = _get(client, headers, "coverage", unit_id=by_name[row[2]].id, campaign_id=campaign_id).json()
            assert row[3:] == expected_main(own["totals"])
        assert data[-1][2] == "Tổng cộng" and data[-1][3:] == expected_main(body["totals"])
        assert data[3][3:] == [0] * 14  # Xã Vị Trung: zeros, still listed
        assert_numbers(ws, header_row, data, 4)

    check_daily(wb["Theo ngày"], daily)

    log = last_log(session)
    assert (log.user_id, log.kind, log.file_format, log.unit_id, log.campaign_id) == (
        user_id,
        "coverage",
        "xlsx",
        unit.id,
        campaign_id or None,
    )
    assert (log.row_count, log.personal_data) == (len(rows), False)


def test_the_recipient_line_can_be_changed(
    client: TestClient, scenario: Scenario, official: tuple[int, dict[str, str]]
) -> None:
    _, headers = official
    params = {"unit_id": scenario.tree.commune.id, "campaign_id": scenario.campaign.id}
    r = _get(client, headers, "coverage.xlsx", **params, kinh_gui="  Ban Chỉ đạo   Đề án 06 tỉnh  ")
    assert_heading(load_workbook(io.BytesIO(r.content))["Báo cáo"], "commune", True, "Ban Chỉ đạo Đề án 06 tỉnh")
    r = _get(client, headers, "progress.xlsx", **params, recipient="=UBND tỉnh")
    ws = load_workbook(io.BytesIO(r.content))["Theo ngày"]
    assert ws["A7"].value == "Kính gửi: =UBND tỉnh" and ws["A7"].data_type == "s"
    r = client.get("/api/v1/reports/coverage.xlsx", params={**params, "kinh_gui": "x" * 201}, headers=headers)
    assert r.status_code == 422


def test_progress_xlsx_and_every_csv_equal_the_json(
    client: TestClient, session: Session, scenario: Scenario, official: tuple[int, dict[str, str]]
) -> None:
    """For a campaign and all time, at hamlet, commune and province level."""
    for level, all_time in CASES:
        check_progress_and_csv(client, session, scenario, official, level, all_time)
    logs = session.exec(select(ExportLog).order_by(ExportLog.id)).all()  # type: ignore[arg-type]
    assert [(log.kind, log.file_format, log.unit_id, log.campaign_id) for log in logs] == [
        (kind, file_format, unit_of(scenario, level).id, None if all_time else scenario.campaign.id)
        for level, all_time in CASES
        for kind, file_format in (("progress", "xlsx"), ("coverage", "csv"), ("progress", "csv"))
    ]


def check_progress_and_csv(
    client: TestClient,
    session: Session,
    scenario: Scenario,
    official: tuple[int, dict[str, str]],
    level: str,
    all_time: bool,
) -> None:
    _, headers = official
    unit = unit_of(scenario, level)
    campaign_id = 0 if all_time else scenario.campaign.id
    params = {"unit_id": unit.id, "campaign_id": campaign_id}
    body = _get(client, headers, "coverage", **params).json()
    daily = _get(client, headers, "progress", **params).json()

    r = _get(client, headers, "progress.xlsx", **params)
    assert 'filename="TienDo_' in r.headers["content-disposition"]
    ws = load_workbook(io.BytesIO(r.content))["Theo ngày"]
    assert_heading(ws, level, campaign=not all_time)
    check_daily(ws, daily)

    def read_csv(path: str) -> list[list[str]]:
        r = _get(client, headers, path, **params)
        assert r.headers["content-type"].startswith("text/csv") and r.content.startswith(b"\xef\xbb\xbf")
        return list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))

    rows = read_csv("coverage.csv")
    header, data = rows[0], rows[1:]
    assert header[:4] == [
        {"hamlet": "Thôn/Ấp", "commune": "Thôn/Ấp", "province": "Quận/Huyện"}[level],
        "Mã",
        "Số hộ",
        "Hộ đã thăm",
    ]
    assert header[-5:] == [
        "Số tổ CNSCĐ",
        "Số tình nguyện viên",
        "Ngày công tình nguyện viên",
        "Số thôn/ấp có tổ hoạt động",
        "Tổng số thôn/ấp",
    ]
    figures = [*(body["children"] or [body["totals"]]), body["totals"]]
    assert [r[0] for r in data] == [*(f["unit"]["name"] for f in figures[:-1]), "Tổng cộng"]
    for row, f in zip(data, figures, strict=True):
        assert len(row) == len(header)
        assert all(re.fullmatch(r"\d+", v) for v in row[2:]), row  # counts only: no decimal, no %
        assert [int(v) for v in row[2:]] == [
            f["households"],
            f["households_visited"],
            f["households_covered"],
            f["households_covered_1"],
            f["households_covered_2"],
            f["households_to_visit"],
            f["households_not_home"],
            f["households_declined"],
            f["households_moved"],
            f["visits"],
            f["people"],
            f["people_taught"],
            f["people_proficient_all"],
            *expected_skills(f),
            *(m["people"] for m in f["milestones"]),
            *f["forces"].values(),
        ]

    rows = read_csv("progress.csv")
    assert rows[0][0] == "Ngày" and len(rows) == len(daily["days"]) + 1
    for row, d in zip(rows[1:], daily["days"], strict=True):
        assert row[0] == d["day"]  # ISO: the same whatever the regional settings
        assert all(re.fullmatch(r"\d+", v) for v in row[1:]), row
        assert [int(v) for v in row[1:]] == [
            d["visits"],
            d["households_visited"],
            d["households_covered"],
            d["people_proficient_all"],
            d["cumulative_visits"],
            d["cumulative_households_visited"],
            d["cumulative_households_covered"],
            d["cumulative_people_proficient_all"],
        ]


REASONS = {
    "not_visited": "Chưa thăm",
    "not_home": "Vắng nhà",
    "declined": "Từ chối",
    "not_covered": "Đã thăm, chưa đạt",
}
OUTCOMES = {"met": "Gặp được", "not_home": "Vắng nhà", "declined": "Từ chối", "moved": "Đã chuyển đi", None: None}


def _vn_day(moment: str | None) -> date | None:
    return (
        datetime.fromisoformat(moment).astimezone(__import__("zoneinfo").ZoneInfo("Asia/Ho_Chi_Minh")).date()
        if moment
        else None
    )


def test_to_visit_files_list_every_household_as_the_json(
    client: TestClient, session: Session, scenario: Scenario, official: tuple[int, dict[str, str]]
) -> None:
    """For a campaign and all time, at hamlet, commune and province level."""
    for level, all_time in CASES:
        check_to_visit_files(client, session, scenario, official, level, all_time)


def check_to_visit_files(
    client: TestClient,
    session: Session,
    scenario: Scenario,
    official: tuple[int, dict[str, str]],
    level: str,
    all_time: bool,
) -> None:
    _, headers = official
    params = {"unit_id": unit_of(scenario, level).id, "campaign_id": 0 if all_time else scenario.campaign.id}
    listing = _get(client, headers, "to-visit", **params, limit=500).json()
    assert listing["items"] and listing["total"] == len(listing["items"])
    expected = [
        [
            n,
            i["hamlet"]["name"],
            i["head_name"],
            i["address"],
            i["member_count"],
            REASONS[i["reason"]],
            i["visits"],
            OUTCOMES[i["last_outcome"]],
            _vn_day(i["last_visit_at"]),
            i["proficient_people"],
        ]
        for n, i in enumerate(listing["items"], start=1)
    ]
    r = _get(client, headers, "to-visit.xlsx", **params)
    assert r.headers["x-row-count"] == str(len(expected))
    ws = load_workbook(io.BytesIO(r.content))["Hộ cần thăm"]
    assert ws["A1"].value == "DANH SÁCH HỘ CẦN THĂM / THĂM LẠI" and ws["A1"].font.name == "Times New Roman"
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    header_row = next(i for i, r in enumerate(rows) if r[0] == "STT") + 1
    assert ws.page_setup.orientation == "landscape" and int(ws.page_setup.paperSize) == 9
    assert ws.sheet_properties.pageSetUpPr.fitToPage is True and int(ws.page_setup.fitToWidth) == 1
    assert ws.print_title_rows == f"${header_row}:${header_row}" and ws.freeze_panes == f"C{header_row + 1}"
    got = [[v.date() if isinstance(v, datetime) else v for v in r] for r in rows[header_row:]]
    assert got == expected
    visited = [i for i, e in enumerate(expected) if e[8] is not None]
    assert visited and all(ws.cell(row=header_row + 1 + i, column=9).number_format == "dd/mm/yyyy" for i in visited)

    r = _get(client, headers, "to-visit.csv", **params)
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0][:6] == ["STT", "Thôn/Ấp", "Chủ hộ", "Địa chỉ", "Số nhân khẩu", "Lý do"]
    assert rows[1:] == [
        [str(v.isoformat() if isinstance(v, date) else ("" if v is None else v)) for v in e] for e in expected
    ]
    logs = session.exec(select(ExportLog).order_by(ExportLog.id.desc()).limit(2)).all()  # type: ignore[union-attr]
    assert [(log.kind, log.file_format, log.row_count, log.personal_data) for log in logs] == [
        ("to_visit", "csv", len(expected), True),
        ("to_visit", "xlsx", len(expected), True),
    ]


def test_an_unknown_file_format_is_refused_and_not_logged(
    client: TestClient, session: Session, scenario: Scenario, official: tuple[int, dict[str, str]]
) -> None:
    _, headers = official
    r = client.get("/api/v1/reports/coverage.pdf", params={"unit_id": scenario.tree.province.id}, headers=headers)
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid"
    assert session.exec(select(ExportLog)).all() == []
