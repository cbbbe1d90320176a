"""Report files: .xlsx (titled, Vietnamese headers, totals row, percentages) and .csv (UTF-8 with BOM
so Excel on Windows shows Vietnamese). Built from the same objects the JSON endpoints return, so a
file never says something the screen does not.

Workbooks are written in openpyxl's write-only mode: a province's to-visit list can run to hundreds of
thousands of rows and must not be held in memory cell by cell.

Text never becomes a formula: xlsx text cells are typed as strings, csv text cells starting with
= + - @ tab or CR get a leading quote, and characters a file cannot carry (left by rows stored before
the text checks) are removed, so no stored row can break or arm a file.
"""

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from app.reports.schemas import CoverageFigures, CoverageOut, ProgressOut, ToVisitOut
from app.text import csv_cell, printable
from app.visits.service import local_day

REASONS_VI = {
    "not_visited": "Chưa thăm",
    "not_home": "Vắng nhà",
    "declined": "Từ chối",
    "not_covered": "Đã thăm, chưa đạt",
}
OUTCOMES_VI = {"met": "Gặp được", "not_home": "Vắng nhà", "declined": "Từ chối", "moved": "Đã chuyển đi"}
LEVELS_VI = {"province": "Tỉnh/Thành phố", "district": "Quận/Huyện", "commune": "Xã/Phường", "hamlet": "Thôn/Ấp"}
TOTAL_LABEL = "Tổng cộng"

PERCENT = "0.0%"
INTEGER = "#,##0"
BOLD = Font(bold=True)
TITLE = Font(bold=True, size=14)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
WRAP = Alignment(wrap_text=True, vertical="center")

Column = tuple[str, float, str | None]  # header, width, number format


def today_vn() -> date:
    return local_day(datetime.now().astimezone())


def _d(day: date | None) -> str:
    return day.strftime("%d/%m/%Y") if day else ""


def campaign_text(campaign: Any) -> str:
    if campaign is None:
        return "Toàn thời gian (mọi chiến dịch)"
    return f"{campaign.name} ({_d(campaign.starts_on)} – {_d(campaign.ends_on)})"


def covered_header(threshold: int) -> str:
    return f"Hộ đạt (≥{threshold} người thành thạo đủ 5 kỹ năng)"


def text_cell(ws: WriteOnlyWorksheet, text: str) -> WriteOnlyCell:
    """A cell holding `text` as a string, whatever it starts with (openpyxl would store "=…" as a formula)."""
    cell = WriteOnlyCell(ws, None)
    cell.value = printable(text)
    cell.data_type = "s"
    return cell


def csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4f}"
    if isinstance(value, str):
        return csv_cell(printable(value))
    return value


class Sheet:
    """A write-only sheet with a title block, one bold header row, data rows and a bold totals row."""

    def __init__(self, wb: Workbook, name: str, columns: Sequence[Column], title: Sequence[str]) -> None:
        self.ws: WriteOnlyWorksheet = wb.create_sheet(name)
        self.columns = columns
        for i, (_, width, _) in enumerate(columns, start=1):
            self.ws.column_dimensions[get_column_letter(i)].width = width
        for n, line in enumerate(title):
            cell = text_cell(self.ws, line)
            cell.font = TITLE if n == 0 else Font(italic=n > 1)
            self.ws.append([cell])
        self.ws.append([])
        header_row = len(title) + 2
        self.ws.freeze_panes = f"B{header_row + 1}"
        headers = []
        for header, _, _ in columns:
            cell = text_cell(self.ws, header)
            cell.font = BOLD
            cell.fill = HEADER_FILL
            cell.alignment = WRAP
            headers.append(cell)
        self.ws.append(headers)
        self.rows = 0

    def row(self, values: Sequence[Any], *, bold: bool = False) -> None:
        cells = []
        for value, (_, _, fmt) in zip(values, self.columns, strict=True):
            cell = text_cell(self.ws, value) if isinstance(value, str) else WriteOnlyCell(self.ws, value)
            if fmt and value is not None and not isinstance(value, str):
                cell.number_format = fmt
            if bold:
                cell.font = BOLD
            cells.append(cell)
        self.ws.append(cells)
        self.rows += 1


def _ratio(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def _title(kind: str, unit_name: str, campaign: Any, extra: str = "") -> list[str]:
    lines = [kind, f"Đơn vị: {unit_name}", f"Chiến dịch: {campaign_text(campaign)}"]
    lines.append(f"Ngày xuất: {_d(today_vn())}" + (f" · {extra}" if extra else ""))
    return lines


def summary_columns(report: CoverageOut) -> list[Column]:
    return [
        (LEVELS_VI.get(report.child_level or report.unit.level, "Đơn vị"), 30, None),
        ("Mã", 10, None),
        ("Số hộ", 10, INTEGER),
        ("Hộ đã thăm", 11, INTEGER),
        ("Tỷ lệ hộ đã thăm", 11, PERCENT),
        (covered_header(report.covered_threshold), 16, INTEGER),
        ("Tỷ lệ hộ đạt", 10, PERCENT),
        ("Hộ chưa thăm", 10, INTEGER),
        ("Hộ vắng nhà (lần gần nhất)", 12, INTEGER),
        ("Hộ từ chối (lần gần nhất)", 12, INTEGER),
        ("Hộ đã chuyển đi", 10, INTEGER),
        ("Lượt thăm", 10, INTEGER),
        ("Nhân khẩu", 10, INTEGER),
        ("Người đã được hướng dẫn", 13, INTEGER),
        ("Người thành thạo đủ 5 kỹ năng", 14, INTEGER),
        ("Tỷ lệ người thành thạo đủ 5 kỹ năng", 14, PERCENT),
    ]


def summary_values(f: CoverageFigures, *, label: str | None = None) -> list[Any]:
    return [
        label or f.unit.name,
        "" if label else f.unit.code,
        f.households,
        f.households_visited,
        _ratio(f.households_visited, f.households),
        f.households_covered,
        _ratio(f.households_covered, f.households),
        f.households_to_visit,
        f.households_not_home,
        f.households_declined,
        f.households_moved,
        f.visits,
        f.people,
        f.people_taught,
        f.people_proficient_all,
        _ratio(f.people_proficient_all, f.people),
    ]


def _rows_for(report: CoverageOut) -> list[CoverageFigures]:
    # A hamlet has no child units: its one row is itself.
    return report.children or [report.totals]


def skill_columns(report: CoverageOut) -> list[Column]:
    cols: list[Column] = [(LEVELS_VI.get(report.child_level or report.unit.level, "Đơn vị"), 30, None)]
    for s in report.skills:
        cols.append((f"{s.label_vi}: đã hướng dẫn", 16, INTEGER))
        cols.append((f"{s.label_vi}: thành thạo", 16, INTEGER))
    return cols


def skill_values(f: CoverageFigures, label: str | None = None) -> list[Any]:
    values: list[Any] = [label or f.unit.name]
    for s in f.skills:
        values += [s.people_taught, s.people_proficient]
    return values


def milestone_columns(report: CoverageOut) -> list[Column]:
    cols: list[Column] = [(LEVELS_VI.get(report.child_level or report.unit.level, "Đơn vị"), 30, None)]
    cols += [(m.label_vi, 18, INTEGER) for m in report.milestones]
    return cols


def milestone_values(f: CoverageFigures, label: str | None = None) -> list[Any]:
    return [label or f.unit.name, *(m.people for m in f.milestones)]


DAILY_COLUMNS: list[Column] = [
    ("Ngày", 12, None),
    ("Lượt thăm", 10, INTEGER),
    ("Hộ được thăm lần đầu", 12, INTEGER),
    ("Hộ đạt mới", 10, INTEGER),
    ("Người mới thành thạo đủ 5 kỹ năng", 14, INTEGER),
    ("Luỹ kế lượt thăm", 11, INTEGER),
    ("Luỹ kế hộ đã thăm", 11, INTEGER),
    ("Tỷ lệ hộ đã thăm", 11, PERCENT),
    ("Luỹ kế hộ đạt", 11, INTEGER),
    ("Tỷ lệ hộ đạt", 10, PERCENT),
    ("Luỹ kế người thành thạo đủ 5 kỹ năng", 14, INTEGER),
]


def _daily_sheet(wb: Workbook, progress: ProgressOut, title: list[str]) -> Sheet:
    sheet = Sheet(wb, "Theo ngày", DAILY_COLUMNS, title)
    for d in progress.days:
        sheet.row(daily_values(d, progress.households))
    sheet.row(
        [
            TOTAL_LABEL,
            sum(d.visits for d in progress.days),
            sum(d.households_visited for d in progress.days),
            sum(d.households_covered for d in progress.days),
            sum(d.people_proficient_all for d in progress.days),
            None,
            None,
            None,
            None,
            None,
            None,
        ],
        bold=True,
    )
    return sheet


def daily_values(d: Any, households: int) -> list[Any]:
    return [
        _d(d.day),
        d.visits,
        d.households_visited,
        d.households_covered,
        d.people_proficient_all,
        d.cumulative_visits,
        d.cumulative_households_visited,
        _ratio(d.cumulative_households_visited, households),
        d.cumulative_households_covered,
        _ratio(d.cumulative_households_covered, households),
        d.cumulative_people_proficient_all,
    ]


def _save(wb: Workbook) -> bytes:
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def coverage_xlsx(report: CoverageOut, progress: ProgressOut) -> tuple[bytes, int]:
    """Sheets: summary by child unit, by skill, milestones, by day. Returns (file, data rows)."""
    wb = Workbook(write_only=True)
    threshold = f"Hộ đạt: ≥{report.covered_threshold} người thành thạo đủ 5 kỹ năng"
    title = _title("BÁO CÁO KẾT QUẢ PHỔ CẬP KỸ NĂNG SỐ CƠ BẢN", report.unit.name, report.campaign, threshold)
    rows = _rows_for(report)
    summary = Sheet(wb, "Tổng hợp", summary_columns(report), title)
    for f in rows:
        summary.row(summary_values(f))
    summary.row(summary_values(report.totals, label=TOTAL_LABEL), bold=True)
    skills = Sheet(wb, "Theo kỹ năng", skill_columns(report), title)
    for f in rows:
        skills.row(skill_values(f))
    skills.row(skill_values(report.totals, TOTAL_LABEL), bold=True)
    milestones = Sheet(wb, "Mốc", milestone_columns(report), title)
    for f in rows:
        milestones.row(milestone_values(f))
    milestones.row(milestone_values(report.totals, TOTAL_LABEL), bold=True)
    _daily_sheet(wb, progress, title)
    return _save(wb), len(rows)


def progress_xlsx(progress: ProgressOut) -> tuple[bytes, int]:
    wb = Workbook(write_only=True)
    title = _title("TIẾN ĐỘ THEO NGÀY", progress.unit.name, progress.campaign, f"Tổng số hộ: {progress.households:,}")
    _daily_sheet(wb, progress, title)
    return _save(wb), len(progress.days)


TO_VISIT_COLUMNS: list[Column] = [
    ("STT", 7, INTEGER),
    ("Thôn/Ấp", 22, None),
    ("Chủ hộ", 26, None),
    ("Địa chỉ", 36, None),
    ("Số nhân khẩu", 10, INTEGER),
    ("Lý do", 18, None),
    ("Số lượt thăm", 10, INTEGER),
    ("Kết quả lần gần nhất", 14, None),
    ("Lần thăm gần nhất", 14, None),
    ("Số người thành thạo đủ 5 kỹ năng", 14, INTEGER),
]


def to_visit_values(n: int, item: Any) -> list[Any]:
    last = local_day(item.last_visit_at) if item.last_visit_at else None
    return [
        n,
        item.hamlet.name,
        item.head_name,
        item.address,
        item.member_count,
        REASONS_VI.get(item.reason, item.reason),
        item.visits,
        OUTCOMES_VI.get(item.last_outcome or "", ""),
        _d(last),
        item.proficient_people,
    ]


def to_visit_xlsx(listing: ToVisitOut) -> tuple[bytes, int]:
    wb = Workbook(write_only=True)
    counts = ", ".join(f"{REASONS_VI[r]}: {listing.counts.get(r, 0):,}" for r in REASONS_VI)
    title = _title("DANH SÁCH HỘ CẦN THĂM / THĂM LẠI", listing.unit.name, listing.campaign, counts)
    sheet = Sheet(wb, "Hộ cần thăm", TO_VISIT_COLUMNS, title)
    for n, item in enumerate(listing.items, start=1):
        sheet.row(to_visit_values(n, item))
    return _save(wb), len(listing.items)


def _csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([csv_value(h) for h in header])
    for row in rows:
        writer.writerow([csv_value(v) for v in row])
    return out.getvalue().encode("utf-8-sig")


def coverage_csv(report: CoverageOut) -> tuple[bytes, int]:
    """One row per child unit then the totals row; skill and milestone columns follow the summary."""
    header = [c[0] for c in summary_columns(report)]
    header += [c[0] for c in skill_columns(report)[1:]] + [c[0] for c in milestone_columns(report)[1:]]
    rows = _rows_for(report)

    def line(f: CoverageFigures, label: str | None = None) -> list[Any]:
        return summary_values(f, label=label) + skill_values(f)[1:] + milestone_values(f)[1:]

    body = [line(f) for f in rows] + [line(report.totals, TOTAL_LABEL)]
    return _csv(header, body), len(rows)


def progress_csv(progress: ProgressOut) -> tuple[bytes, int]:
    rows = [daily_values(d, progress.households) for d in progress.days]
    return _csv([c[0] for c in DAILY_COLUMNS], rows), len(rows)


def to_visit_csv(listing: ToVisitOut) -> tuple[bytes, int]:
    rows = [to_visit_values(n, item) for n, item in enumerate(listing.items, start=1)]
    return _csv([c[0] for c in TO_VISIT_COLUMNS], rows), len(rows)


def filename(kind: str, unit_code: str, campaign_id: int, ext: str) -> str:
    scope = f"cd{campaign_id}" if campaign_id else "tat-ca"
    return f"tungnha-{kind}-{unit_code}-{scope}-{today_vn():%Y%m%d}.{ext}"
