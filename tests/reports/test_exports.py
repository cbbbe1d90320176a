"""Files say what the screen says, Excel reads them in Vietnamese, and every export is logged."""

import csv
import io

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlmodel import Session, select

from app.models import ExportLog
from tests.factories import login, make_user
from tests.reports.conftest import Scenario


@pytest.fixture
def official(client: TestClient, session: Session, scenario: Scenario) -> tuple[int, dict[str, str]]:
    user = make_user(session, "province_official", unit=scenario.tree.province)
    session.commit()
    return user.id, login(client, user.phone)  # type: ignore[return-value]


def _rows_after_header(ws, header_first: str) -> tuple[list[str], list[list[object]]]:  # type: ignore[no-untyped-def]
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    start = next(i for i, r in enumerate(rows) if r and r[0] == header_first)
    return rows[start], rows[start + 1 :]


def test_coverage_xlsx_matches_the_json(
    client: TestClient, session: Session, scenario: Scenario, official: tuple[int, dict[str, str]]
) -> None:
    user_id, headers = official
    params = {"unit_id": scenario.tree.province.id, "campaign_id": scenario.campaign.id}
    body = client.get("/api/v1/reports/coverage", params=params, headers=headers).json()
    daily = client.get("/api/v1/reports/progress", params=params, headers=headers).json()
    r = client.get("/api/v1/reports/coverage.xlsx", params=params, headers=headers)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in r.headers["content-disposition"] and ".xlsx" in r.headers["content-disposition"]
    wb = load_workbook(io.BytesIO(r.content))
    assert wb.sheetnames == ["Tổng hợp", "Theo kỹ năng", "Mốc", "Theo ngày"]

    ws = wb["Tổng hợp"]
    title = [c for (c,) in ws.iter_rows(min_row=1, max_row=4, max_col=1, values_only=True)]
    assert title[0] == "BÁO CÁO KẾT QUẢ PHỔ CẬP KỸ NĂNG SỐ CƠ BẢN"
    assert title[1] == "Đơn vị: Tỉnh Hậu Giang"
    assert "Chiến dịch đi từng ngõ, gõ từng nhà (01/10/2024 – 10/10/2024)" in title[2]
    assert title[3].startswith("Ngày xuất: ")
    header, rows = _rows_after_header(ws, "Quận/Huyện")
    assert header[:7] == ["Quận/Huyện", "Mã", "Số hộ", "Hộ đã thăm", "Tỷ lệ hộ đã thăm", header[5], "Tỷ lệ hộ đạt"]
    assert header[5].startswith("Hộ đạt (≥1")
    assert ws.cell(row=6, column=1).font.b
    assert [r[0] for r in rows] == ["Thành phố Vị Thanh", "Huyện Vị Thuỷ", "Tổng cộng"]
    for row, figures in zip(rows, [*body["children"], body["totals"]], strict=True):
        assert row[2:4] == [figures["households"], figures["households_visited"]]
        assert row[4] == pytest.approx(figures["visited_pct"] / 100, abs=0.0005)
        assert row[5] == figures["households_covered"]
        assert row[6] == pytest.approx(figures["covered_pct"] / 100, abs=0.0005)
        assert row[11:15] == [
            figures["visits"],
            figures["people"],
            figures["people_taught"],
            figures["people_proficient_all"],
        ]
    totals_cells = next(ws.iter_rows(min_row=ws.max_row, max_row=ws.max_row))
    assert totals_cells[0].font.b
    percent_cell = next(ws.iter_rows(min_row=7, max_row=7, min_col=5, max_col=5))[0]
    assert percent_cell.number_format == "0.0%"
    assert ws.column_dimensions["A"].width == 30

    header, rows = _rows_after_header(wb["Theo kỹ năng"], "Quận/Huyện")
    assert header[1] == "Sử dụng dịch vụ công trực tuyến: đã hướng dẫn"
    assert rows[-1][1:] == [n for s in body["totals"]["skills"] for n in (s["people_taught"], s["people_proficient"])]

    header, rows = _rows_after_header(wb["Mốc"], "Quận/Huyện")
    assert header[1] == "Kích hoạt định danh điện tử VNeID mức 2"
    assert rows[-1][1:] == [m["people"] for m in body["totals"]["milestones"]]

    header, rows = _rows_after_header(wb["Theo ngày"], "Ngày")
    assert [r[0] for r in rows[:-1]] == [f"{n:02d}/10/2024" for n in range(1, 11)]
    assert [r[1] for r in rows[:-1]] == [d["visits"] for d in daily["days"]]
    assert [r[6] for r in rows[:-1]] == [d["cumulative_households_visited"] for d in daily["days"]]
    assert rows[-1][:5] == ["Tổng cộng", 10, 3, 2, 3]

    log = session.exec(select(ExportLog)).one()
    assert (log.user_id, log.kind, log.file_format, log.unit_id, log.campaign_id) == (
        user_id,
        "coverage",
        "xlsx",
        scenario.tree.province.id,
        scenario.campaign.id,
    )
    assert (log.row_count, log.personal_data) == (2, False)


def test_csv_files_start_with_a_bom_and_vietnamese_headers(
    client: TestClient, session: Session, scenario: Scenario, official: tuple[int, dict[str, str]]
) -> None:
    _, headers = official
    params = {"unit_id": scenario.tree.commune.id, "campaign_id": scenario.campaign.id}
    r = client.get("/api/v1/reports/coverage.csv", params=params, headers=headers)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert r.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0][:4] == ["Thôn/Ấp", "Mã", "Số hộ", "Hộ đã thăm"]
    assert [row[0] for row in rows[1:]] == ["Khu vực 1", "Khu vực 2", "Tổng cộng"]
    assert rows[-1][2:4] == ["4", "2"]

    r = client.get("/api/v1/reports/progress.csv", params=params, headers=headers)
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert r.content.startswith(b"\xef\xbb\xbf") and rows[0][0] == "Ngày" and len(rows) == 11

    params["unit_id"] = scenario.tree.province.id
    r = client.get("/api/v1/reports/to-visit.csv", params={**params, "reason": "not_visited"}, headers=headers)
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0][:6] == ["STT", "Thôn/Ấp", "Chủ hộ", "Địa chỉ", "Số nhân khẩu", "Lý do"]
    assert [(row[2], row[5]) for row in rows[1:]] == [
        ("Võ Thị Bốn", "Chưa thăm"),
        ("Huỳnh Văn Sáu", "Chưa thăm"),
        ("Ngô Thị Bảy", "Chưa thăm"),
    ]
    logs = session.exec(select(ExportLog).order_by(ExportLog.id)).all()  # type: ignore[arg-type]
    assert [(log.kind, log.file_format, log.row_count, log.personal_data) for log in logs] == [
        ("coverage", "csv", 2, False),
        ("progress", "csv", 10, False),
        ("to_visit", "csv", 3, True),
    ]


def test_to_visit_xlsx_lists_every_household_with_its_reason(
    client: TestClient, session: Session, scenario: Scenario, official: tuple[int, dict[str, str]]
) -> None:
    _, headers = official
    params = {"unit_id": scenario.tree.province.id, "campaign_id": scenario.campaign.id}
    listing = client.get("/api/v1/reports/to-visit", params=params, headers=headers).json()
    r = client.get("/api/v1/reports/to-visit.xlsx", params=params, headers=headers)
    assert r.headers["x-row-count"] == "5"
    ws = load_workbook(io.BytesIO(r.content))["Hộ cần thăm"]
    header, rows = _rows_after_header(ws, "STT")
    assert header[2] == "Chủ hộ"
    assert [(row[2], row[3], row[5]) for row in rows] == [
        (i["head_name"], i["address"], {"declined": "Từ chối", "not_home": "Vắng nhà"}.get(i["reason"], "Chưa thăm"))
        for i in listing["items"]
    ]
    log = session.exec(select(ExportLog)).one()
    assert (log.kind, log.row_count, log.personal_data) == ("to_visit", 5, True)


def test_an_unknown_file_format_is_refused_and_not_logged(
    client: TestClient, session: Session, scenario: Scenario, official: tuple[int, dict[str, str]]
) -> None:
    _, headers = official
    r = client.get("/api/v1/reports/coverage.pdf", params={"unit_id": scenario.tree.province.id}, headers=headers)
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid"
    assert session.exec(select(ExportLog)).all() == []
