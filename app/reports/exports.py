"""Report files: the .xlsx an official prints, signs and sends upward, and the .csv a machine reads.

The coverage and progress workbooks follow the Vietnamese administrative form (Nghị định 30/2020):
issuing unit at top left (the level above on the line over it), quốc hiệu and tiêu ngữ at top right,
"Số: …/BC-UBND" left blank, "<place>, ngày … tháng … năm …", the title, "Kính gửi", the tables, then the
signature block and "Nơi nhận". Every sheet is print-ready: A4 landscape fitted to the page width,
table headers repeated on each printed page, frozen panes, Times New Roman; numbers are numbers,
percentages real percentages (0.0%), dates real dates shown dd/mm/yyyy. They are a few hundred rows
at most (child units, communes, days) and are built in memory.

The to-visit list can run to hundreds of thousands of rows: it is written in openpyxl's write-only
mode, with the same page setup.

csv files are for machines: UTF-8 with BOM, counts only (no percentage, no decimal, no thousands
separator), ISO dates, so they read the same whatever the regional settings.

Text never becomes a formula: xlsx text cells are typed as strings, csv text cells starting with
= + - @ tab or CR get a leading quote, and characters a file cannot carry (left by rows stored before
the text checks) are removed, so no stored row can break or arm a file. Every figure comes from the
objects the JSON endpoints return, so a file never says something the screen does not.

openpyxl is imported by the functions that write a workbook, not with the module, and the shared styles
are built on first use: a server worker that never writes a workbook does not carry it (some 6 MB of a worker's memory).
"""

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import TYPE_CHECKING, Any

from app.reports.schemas import CoverageFigures, CoverageOut, ProgressOut, ToVisitOut, UnitRef
from app.text import csv_cell, fold, printable
from app.visits.service import local_day

if TYPE_CHECKING:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Border, Font, PatternFill
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet
    from openpyxl.worksheet.worksheet import Worksheet

REASONS_VI = {
    "not_visited": "Chưa thăm",
    "not_home": "Vắng nhà",
    "declined": "Từ chối",
    "not_covered": "Đã thăm, chưa đạt",
}
OUTCOMES_VI = {"met": "Gặp được", "not_home": "Vắng nhà", "declined": "Từ chối", "moved": "Đã chuyển đi"}
LEVELS_VI = {"province": "Tỉnh/Thành phố", "district": "Quận/Huyện", "commune": "Xã/Phường", "hamlet": "Thôn/Ấp"}
TOTAL_LABEL = "Tổng cộng"

QUOC_HIEU = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
TIEU_NGU = "Độc lập - Tự do - Hạnh phúc"
DOTS = "……………………"

FONT_NAME = "Times New Roman"
PERCENT = "0.0%"
INTEGER = "#,##0"
DATE = "dd/mm/yyyy"


# The shared styles, built once on first use (not at import, which would load openpyxl).


@cache
def box() -> "Border":
    from openpyxl.styles import Border, Side

    thin = Side(style="thin")
    return Border(left=thin, right=thin, top=thin, bottom=thin)


@cache
def header_fill() -> "PatternFill":
    from openpyxl.styles import PatternFill

    return PatternFill("solid", fgColor="F2F2F2")


@cache
def center() -> "Alignment":
    from openpyxl.styles import Alignment

    return Alignment(horizontal="center", vertical="center", wrap_text=True)


@cache
def align_left() -> "Alignment":
    from openpyxl.styles import Alignment

    return Alignment(horizontal="left", vertical="center", wrap_text=True)


def font(*, bold: bool = False, italic: bool = False, size: float = 12) -> "Font":
    from openpyxl.styles import Font

    return Font(name=FONT_NAME, bold=bold, italic=italic, size=size)


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


def _ratio(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


# --- the administrative header --------------------------------------------------------------------

_PLACE_PREFIXES = ("thành phố", "thị xã", "thị trấn", "đặc khu", "tỉnh", "huyện", "quận", "xã", "phường")
_NUMBERED = re.compile(r"^[0-9IVXLC]+$")


def place_name(chain: Sequence[UnitRef]) -> str:
    """The địa danh of the date line: the unit's name without its type ("Xã Hỏa Lựu" → "Hỏa Lựu"); a
    hamlet or a numbered ward ("Phường I") takes the place of the unit above it."""
    for unit in reversed(chain):
        if unit.level == "hamlet":
            continue
        name = unit.name.strip()
        for prefix in _PLACE_PREFIXES:
            if name.lower().startswith(prefix + " "):
                name = name[len(prefix) + 1 :].strip()
                break
        if name and not _NUMBERED.match(name):
            return name
    return DOTS


def issuer_of(unit: UnitRef) -> str:
    if unit.level == "hamlet":
        return "BAN NHÂN DÂN " + unit.name.upper()
    return "UBND " + unit.name.upper()


@dataclass
class Heading:
    """The administrative header and signature block of a report."""

    issuer_above: str
    issuer: str
    number: str
    place_line: str
    title: str
    subject: str
    recipient: str
    note: str
    sign_for: str
    sign_title: str

    @classmethod
    def of(
        cls, unit: UnitRef, ancestors: Sequence[UnitRef], subject: str, note: str, recipient: str | None
    ) -> "Heading":
        parent = ancestors[-1] if ancestors else None
        hamlet = unit.level == "hamlet"
        if recipient is None:
            recipient = ("Ủy ban nhân dân " + parent.name) if parent is not None else DOTS
        return cls(
            issuer_above=issuer_of(parent) if parent is not None else "",
            issuer=issuer_of(unit),
            number="Số: …/BC-BND" if hamlet else "Số: …/BC-UBND",
            place_line=f"{place_name([*ancestors, unit])}, ngày … tháng … năm …",
            title="BÁO CÁO",
            subject=subject,
            recipient=f"Kính gửi: {recipient}",
            note=note,
            sign_for="TM. BAN NHÂN DÂN" if hamlet else "TM. ỦY BAN NHÂN DÂN",
            sign_title="TRƯỞNG THÔN/ẤP" if hamlet else "CHỦ TỊCH",
        )


def subject_of(what: str, campaign: Any) -> str:
    if campaign is None:
        return f"Kết quả {what} (toàn thời gian, số liệu đến ngày {_d(today_vn())})"
    return f"Kết quả {campaign.name} (từ ngày {_d(campaign.starts_on)} đến ngày {_d(campaign.ends_on)})"


def _put(
    ws: "Worksheet", row: int, first: int, last: int, text: str, f: "Font", align: "Alignment | None" = None
) -> None:
    """`align` defaults to `center()`."""
    cell = ws.cell(row=row, column=first)
    cell.value = printable(text)
    cell.data_type = "s"
    cell.font = f
    cell.alignment = align if align is not None else center()
    if last > first:
        ws.merge_cells(start_row=row, start_column=first, end_row=row, end_column=last)


def _split(ncols: int) -> int:
    """The last column of the left half of the header (issuer, Số, NGƯỜI LẬP BIỂU)."""
    return max(2, (ncols * 2) // 5)


def write_heading(ws: "Worksheet", ncols: int, head: Heading) -> int:
    """Rows 1–9: the header block. Returns the first free row."""
    left = _split(ncols)
    _put(ws, 1, 1, left, head.issuer_above, font())
    _put(ws, 1, left + 1, ncols, QUOC_HIEU, font(bold=True))
    _put(ws, 2, 1, left, head.issuer, font(bold=True))
    _put(ws, 2, left + 1, ncols, TIEU_NGU, font(bold=True))
    _put(ws, 3, 1, left, head.number, font())
    _put(ws, 3, left + 1, ncols, head.place_line, font(italic=True))
    _put(ws, 5, 1, ncols, head.title, font(bold=True, size=14))
    _put(ws, 6, 1, ncols, head.subject, font(bold=True))
    _put(ws, 7, 1, ncols, head.recipient, font())
    _put(ws, 8, 1, ncols, head.note, font(italic=True, size=11))
    ws.row_dimensions[6].height = 32
    return 10


def write_signature(ws: "Worksheet", row: int, ncols: int, head: Heading) -> int:
    """NGƯỜI LẬP BIỂU on the left, TM. … / CHỦ TỊCH on the right, then Nơi nhận. Returns the last row."""
    left = _split(ncols)
    row += 1
    _put(ws, row, 1, left, "NGƯỜI LẬP BIỂU", font(bold=True))
    _put(ws, row, left + 1, ncols, head.sign_for, font(bold=True))
    _put(ws, row + 1, left + 1, ncols, head.sign_title, font(bold=True))
    _put(ws, row + 2, 1, left, "(Ký, ghi rõ họ tên)", font(italic=True))
    _put(ws, row + 2, left + 1, ncols, "(Ký tên, đóng dấu)", font(italic=True))
    row += 7
    _put(ws, row, 1, left, "Nơi nhận:", font(bold=True, italic=True, size=11), align_left())
    _put(ws, row + 1, 1, left, "- Như trên;", font(size=11), align_left())
    _put(ws, row + 2, 1, left, "- Lưu: VT.", font(size=11), align_left())
    return row + 2


def print_ready(ws: "Worksheet | WriteOnlyWorksheet", header_first: int, header_last: int, freeze: str) -> None:
    """A4 landscape fitted to the page width, the table header repeated on every page, frozen panes."""
    from openpyxl.worksheet.worksheet import Worksheet

    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    ws.print_title_rows = f"{header_first}:{header_last}"
    ws.freeze_panes = freeze


# --- tables ----------------------------------------------------------------------------------------

Group = tuple[str, list[Column]]  # a header over several columns ("" = a column on its own)


class Table:
    """A bordered table: a two-row header (groups over columns), numbered rows, a bold totals row."""

    def __init__(self, ws: "Worksheet", row: int, lead: list[Column], groups: list[Group]) -> None:
        from openpyxl.utils import get_column_letter

        self.ws = ws
        self.columns: list[Column] = [*lead, *(c for _, cols in groups for c in cols)]
        self.header_first = row
        self.header_last = row + 1
        col = 1
        for header, width, _ in lead:
            self._header(row, col, header)
            ws.merge_cells(start_row=row, start_column=col, end_row=row + 1, end_column=col)
            ws.column_dimensions[get_column_letter(col)].width = width
            col += 1
        for title, cols in groups:
            if len(cols) > 1 or title:
                self._header(row, col, title)
                if len(cols) > 1:
                    ws.merge_cells(start_row=row, start_column=col, end_row=row, end_column=col + len(cols) - 1)
            for i, (header, width, _) in enumerate(cols):
                self._header(row + 1, col + i, header)
                ws.column_dimensions[get_column_letter(col + i)].width = width
            col += len(cols)
        for c in range(1, len(self.columns) + 1):  # the merged cells' borders
            for r in (row, row + 1):
                self.ws.cell(row=r, column=c).border = box()
                self.ws.cell(row=r, column=c).fill = header_fill()
        ws.row_dimensions[row + 1].height = 60
        self.next_row = row + 2

    def _header(self, row: int, col: int, text: str) -> None:
        _put(self.ws, row, col, col, text, font(bold=True, size=11))

    def row(self, values: Sequence[Any], *, bold: bool = False) -> None:
        for col, (value, (_, _, fmt)) in enumerate(zip(values, self.columns, strict=True), start=1):
            cell = self.ws.cell(row=self.next_row, column=col)
            if isinstance(value, str):
                cell.value = printable(value)
                cell.data_type = "s"
                cell.alignment = align_left()
            else:
                cell.value = value
                if fmt and value is not None:
                    cell.number_format = fmt
            cell.font = font(bold=bold, size=11)
            cell.border = box()
        self.next_row += 1

    def finish(self, freeze_col: int = 3) -> int:
        from openpyxl.utils import get_column_letter

        print_ready(
            self.ws, self.header_first, self.header_last, f"{get_column_letter(freeze_col)}{self.header_last + 1}"
        )
        return self.next_row


def unit_label(report: CoverageOut) -> str:
    return LEVELS_VI.get(report.child_level or report.unit.level, "Đơn vị")


def main_groups(threshold: int) -> list[Group]:
    return [
        (
            "Hộ gia đình",
            [
                ("Tổng số hộ", 9, INTEGER),
                ("Số hộ đã thăm", 9, INTEGER),
                ("Tỷ lệ hộ đã thăm", 8, PERCENT),
                ("Hộ có ≥1 người thành thạo đủ 5 kỹ năng", 11, INTEGER),
                ("Hộ có ≥2 người thành thạo đủ 5 kỹ năng", 11, INTEGER),
                (f"Tỷ lệ hộ đạt (≥{threshold} người)", 8, PERCENT),
            ],
        ),
        (
            "Người dân",
            [
                ("Số nhân khẩu", 9, INTEGER),
                ("Số người được hướng dẫn", 10, INTEGER),
                ("Số người thành thạo đủ 5 kỹ năng", 11, INTEGER),
            ],
        ),
        (
            "Lực lượng triển khai",
            [
                ("Số tổ CNSCĐ", 8, INTEGER),
                ("Số tình nguyện viên", 10, INTEGER),
                ("Ngày công tình nguyện viên", 10, INTEGER),
                ("Số thôn/ấp có tổ hoạt động", 10, INTEGER),
                ("Tổng số thôn/ấp", 8, INTEGER),
            ],
        ),
    ]


def force_values(f: CoverageFigures) -> list[int]:
    """Exports are built from reports asked `with_forces`: a missing figure is a bug, not a zero."""
    assert f.forces is not None, "exports need the forces deployed"
    return [f.forces.teams, f.forces.volunteers, f.forces.volunteer_days, f.forces.hamlets_active, f.forces.hamlets]


def main_values(f: CoverageFigures) -> list[Any]:
    return [
        f.households,
        f.households_visited,
        _ratio(f.households_visited, f.households),
        f.households_covered_1,
        f.households_covered_2,
        _ratio(f.households_covered, f.households),
        f.people,
        f.people_taught,
        f.people_proficient_all,
        *force_values(f),
    ]


def skill_groups(report: CoverageOut) -> list[Group]:
    return [(s.label_vi, [("Được hướng dẫn", 11, INTEGER), ("Thành thạo", 11, INTEGER)]) for s in report.skills]


def skill_values(f: CoverageFigures) -> list[Any]:
    return [n for s in f.skills for n in (s.people_taught, s.people_proficient)]


def milestone_groups(report: CoverageOut) -> list[Group]:
    return [("Số người đạt mốc", [(m.label_vi, 14, INTEGER) for m in report.milestones])]


def milestone_values(f: CoverageFigures) -> list[Any]:
    return [m.people for m in f.milestones]


def _rows_for(report: CoverageOut) -> list[CoverageFigures]:
    # A hamlet has no child units: its one row is itself.
    return report.children or [report.totals]


LEAD_STT: Column = ("STT", 5, None)


def annex_heading(ws: "Worksheet", ncols: int, head: Heading, title: str) -> int:
    """An annex sheet's title block: which report it belongs to. Returns the first free row."""
    _put(ws, 1, 1, ncols, title, font(bold=True, size=13))
    _put(ws, 2, 1, ncols, f"(Kèm theo Báo cáo {head.number.removeprefix('Số: ')} của {head.issuer})", font(italic=True))
    _put(ws, 3, 1, ncols, head.subject, font(italic=True))
    return 5


def _figure_table(
    ws: "Worksheet",
    row: int,
    label: str,
    groups: list[Group],
    rows: list[tuple[list[Any], list[Any]]],
    total: list[Any],
) -> Table:
    """STT, the unit's name, then the groups; `rows` are (lead values after STT, figures)."""
    lead = [LEAD_STT, (label, 28, None)]
    table = Table(ws, row, lead, groups)
    for n, (names, figures) in enumerate(rows, start=1):
        table.row([n, *names, *figures])
    table.row([None, TOTAL_LABEL, *total], bold=True)
    return table


DAILY_COLUMNS = 12  # STT, day, 4 of the day, 6 cumulative


def _daily_table(ws: "Worksheet", row: int, progress: ProgressOut) -> Table:
    groups: list[Group] = [
        (
            "Trong ngày",
            [
                ("Lượt thăm", 9, INTEGER),
                ("Hộ được thăm lần đầu", 10, INTEGER),
                ("Hộ đạt mới", 9, INTEGER),
                ("Người mới thành thạo đủ 5 kỹ năng", 11, INTEGER),
            ],
        ),
        (
            "Lũy kế",
            [
                ("Lượt thăm", 9, INTEGER),
                ("Hộ đã thăm", 9, INTEGER),
                ("Tỷ lệ hộ đã thăm", 9, PERCENT),
                ("Hộ đạt", 9, INTEGER),
                ("Tỷ lệ hộ đạt", 9, PERCENT),
                ("Người thành thạo đủ 5 kỹ năng", 11, INTEGER),
            ],
        ),
    ]
    table = Table(ws, row, [LEAD_STT, ("Ngày", 12, DATE)], groups)
    for n, d in enumerate(progress.days, start=1):
        table.row([n, *daily_values(d, progress.households)])
    table.row(
        [
            None,
            TOTAL_LABEL,
            sum(d.visits for d in progress.days),
            sum(d.households_visited for d in progress.days),
            sum(d.households_covered for d in progress.days),
            sum(d.people_proficient_all for d in progress.days),
            *([None] * 6),
        ],
        bold=True,
    )
    return table


def daily_values(d: Any, households: int) -> list[Any]:
    return [
        d.day,
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


def _new_sheet(wb: "Workbook", name: str) -> "Worksheet":
    ws = wb.create_sheet(name)
    ws.sheet_view.showGridLines = False
    return ws


def _save(wb: "Workbook") -> bytes:
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _note(threshold: int) -> str:
    return (
        f"Hộ đạt: có ít nhất {threshold} người thành thạo đủ 5 kỹ năng số cơ bản. "
        f"Số liệu tính đến ngày {_d(today_vn())}."
    )


WHAT = "phổ cập kỹ năng số cơ bản cho người dân"

CommuneRow = tuple[UnitRef | None, CoverageFigures]


def coverage_xlsx(
    report: CoverageOut,
    progress: ProgressOut,
    communes: Sequence[CommuneRow] | None = None,
    recipient: str | None = None,
) -> tuple[bytes, int]:
    """The report by child unit with the header and signature block, then annexes: by skill,
    milestones, every commune (district or province), by day. Returns (file, data rows)."""
    from openpyxl import Workbook

    head = Heading.of(
        report.unit, report.ancestors, subject_of(WHAT, report.campaign), _note(report.covered_threshold), recipient
    )
    wb = Workbook()
    wb.remove(wb.active)  # type: ignore[arg-type]
    rows = _rows_for(report)
    groups = main_groups(report.covered_threshold)
    ncols = 2 + sum(len(c) for _, c in groups)

    ws = _new_sheet(wb, "Báo cáo")
    first = write_heading(ws, ncols, head)
    _put(
        ws, first, 1, ncols, "Biểu 1. Kết quả thăm hộ, hướng dẫn và lực lượng triển khai", font(bold=True), align_left()
    )
    table = _figure_table(
        ws,
        first + 1,
        unit_label(report),
        groups,
        [([f.unit.name], main_values(f)) for f in rows],
        main_values(report.totals),
    )
    write_signature(ws, table.finish(), ncols, head)

    ws = _new_sheet(wb, "Kỹ năng")
    groups = skill_groups(report)
    first = annex_heading(ws, 2 + 2 * len(report.skills), head, "Phụ lục 1. KẾT QUẢ THEO TỪNG KỸ NĂNG")
    _figure_table(
        ws,
        first,
        unit_label(report),
        groups,
        [([f.unit.name], skill_values(f)) for f in rows],
        skill_values(report.totals),
    ).finish()

    ws = _new_sheet(wb, "Mốc")
    first = annex_heading(ws, 2 + len(report.milestones), head, "Phụ lục 2. SỐ NGƯỜI ĐẠT CÁC MỐC")
    _figure_table(
        ws,
        first,
        unit_label(report),
        milestone_groups(report),
        [([f.unit.name], milestone_values(f)) for f in rows],
        milestone_values(report.totals),
    ).finish()

    if communes is not None:
        ws = _new_sheet(wb, "Các xã")
        groups = main_groups(report.covered_threshold)
        with_district = any(p is not None for p, _ in communes)
        lead = [LEAD_STT, *([("Quận/Huyện", 20, None)] if with_district else []), ("Xã/Phường/Thị trấn", 24, None)]
        first = annex_heading(
            ws, len(lead) + sum(len(c) for _, c in groups), head, "Phụ lục 3. KẾT QUẢ CỦA TỪNG XÃ, PHƯỜNG, THỊ TRẤN"
        )
        t = Table(ws, first, lead, groups)
        for n, (parent, f) in enumerate(communes, start=1):
            names = [parent.name if parent else "", f.unit.name] if with_district else [f.unit.name]
            t.row([n, *names, *main_values(f)])
        t.row([None, *([""] if with_district else []), TOTAL_LABEL, *main_values(report.totals)], bold=True)
        t.finish(len(lead) + 1)

    ws = _new_sheet(wb, "Theo ngày")
    first = annex_heading(ws, DAILY_COLUMNS, head, "Phụ lục 4. TIẾN ĐỘ THEO NGÀY")
    _daily_table(ws, first, progress).finish()
    return _save(wb), len(rows)


def progress_xlsx(progress: ProgressOut, recipient: str | None = None) -> tuple[bytes, int]:
    from openpyxl import Workbook

    head = Heading.of(
        progress.unit,
        progress.ancestors,
        subject_of("phổ cập kỹ năng số cơ bản theo ngày", progress.campaign),
        _note(progress.covered_threshold) + f" Tổng số hộ: {progress.households:,}".replace(",", "."),
        recipient,
    )
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Theo ngày"
    ws.sheet_view.showGridLines = False
    first = write_heading(ws, DAILY_COLUMNS, head)
    _put(ws, first, 1, DAILY_COLUMNS, "Biểu 1. Tiến độ theo ngày", font(bold=True), align_left())
    table = _daily_table(ws, first + 1, progress)
    write_signature(ws, table.finish(), DAILY_COLUMNS, head)
    return _save(wb), len(progress.days)


# --- the to-visit list (write-only: it can be long) -----------------------------------------------

TO_VISIT_COLUMNS: list[Column] = [
    ("STT", 7, INTEGER),
    ("Thôn/Ấp", 22, None),
    ("Chủ hộ", 26, None),
    ("Địa chỉ", 36, None),
    ("Số nhân khẩu", 10, INTEGER),
    ("Lý do", 18, None),
    ("Số lượt thăm", 10, INTEGER),
    ("Kết quả lần gần nhất", 14, None),
    ("Lần thăm gần nhất", 14, DATE),
    ("Số người thành thạo đủ 5 kỹ năng", 14, INTEGER),
]


def text_cell(ws: "WriteOnlyWorksheet", text: str, f: "Font | None" = None) -> "WriteOnlyCell":
    """A cell holding `text` as a string, whatever it starts with (openpyxl would store "=…" as a formula)."""
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(ws, None)
    cell.value = printable(text)
    cell.data_type = "s"
    cell.font = f or font(size=11)
    return cell


def to_visit_values(n: int, item: Any) -> list[Any]:
    return [
        n,
        item.hamlet.name,
        item.head_name,
        item.address,
        item.member_count,
        REASONS_VI.get(item.reason, item.reason),
        item.visits,
        OUTCOMES_VI.get(item.last_outcome or ""),
        local_day(item.last_visit_at) if item.last_visit_at else None,
        item.proficient_people,
    ]


def to_visit_xlsx(listing: ToVisitOut) -> tuple[bytes, int]:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.utils import get_column_letter

    wb = Workbook(write_only=True)
    ws: WriteOnlyWorksheet = wb.create_sheet("Hộ cần thăm")
    for i, (_, width, _) in enumerate(TO_VISIT_COLUMNS, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    counts = ", ".join(f"{REASONS_VI[r]}: {listing.counts.get(r, 0):,}".replace(",", ".") for r in REASONS_VI)
    title = [
        ("DANH SÁCH HỘ CẦN THĂM / THĂM LẠI", font(bold=True, size=14)),
        (f"Đơn vị: {listing.unit.name}", font()),
        (f"Chiến dịch: {campaign_text(listing.campaign)}", font(italic=True)),
        (f"Ngày xuất: {_d(today_vn())} · {counts}", font(italic=True)),
    ]
    header_row = len(title) + 2
    print_ready(ws, header_row, header_row, f"C{header_row + 1}")  # before the first row is written
    for text, f in title:
        ws.append([text_cell(ws, text, f)])
    ws.append([])
    headers = []
    for header, _, _ in TO_VISIT_COLUMNS:
        cell = text_cell(ws, header, font(bold=True, size=11))
        cell.fill = header_fill()
        cell.alignment = center()
        cell.border = box()
        headers.append(cell)
    ws.append(headers)
    for n, item in enumerate(listing.items, start=1):
        cells = []
        for value, (_, _, fmt) in zip(to_visit_values(n, item), TO_VISIT_COLUMNS, strict=True):
            cell = text_cell(ws, value) if isinstance(value, str) else WriteOnlyCell(ws, value)
            if not isinstance(value, str):
                cell.font = font(size=11)
                if fmt and value is not None:
                    cell.number_format = fmt
            cell.border = box()
            cells.append(cell)
        ws.append(cells)
    return _save(wb), len(listing.items)


# --- csv: counts only ------------------------------------------------------------------------------


def csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, float):  # never written: counts only; kept so a float can never leak a decimal point
        return str(round(value))
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        return csv_cell(printable(value))
    return value


def _csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([csv_value(h) for h in header])
    for row in rows:
        writer.writerow([csv_value(v) for v in row])
    return out.getvalue().encode("utf-8-sig")


def coverage_csv_header(report: CoverageOut) -> list[str]:
    return [
        unit_label(report),
        "Mã",
        "Số hộ",
        "Hộ đã thăm",
        covered_header(report.covered_threshold),
        "Hộ có ≥1 người thành thạo đủ 5 kỹ năng",
        "Hộ có ≥2 người thành thạo đủ 5 kỹ năng",
        "Hộ chưa thăm",
        "Hộ vắng nhà (lần gần nhất)",
        "Hộ từ chối (lần gần nhất)",
        "Hộ đã chuyển đi",
        "Lượt thăm",
        "Nhân khẩu",
        "Người đã được hướng dẫn",
        "Người thành thạo đủ 5 kỹ năng",
        *(f"{s.label_vi}: {k}" for s in report.skills for k in ("đã hướng dẫn", "thành thạo")),
        *(m.label_vi for m in report.milestones),
        "Số tổ CNSCĐ",
        "Số tình nguyện viên",
        "Ngày công tình nguyện viên",
        "Số thôn/ấp có tổ hoạt động",
        "Tổng số thôn/ấp",
    ]


def coverage_csv_values(f: CoverageFigures, label: str | None = None) -> list[Any]:
    return [
        label or f.unit.name,
        "" if label else f.unit.code,
        f.households,
        f.households_visited,
        f.households_covered,
        f.households_covered_1,
        f.households_covered_2,
        f.households_to_visit,
        f.households_not_home,
        f.households_declined,
        f.households_moved,
        f.visits,
        f.people,
        f.people_taught,
        f.people_proficient_all,
        *skill_values(f),
        *milestone_values(f),
        *force_values(f),
    ]


def coverage_csv(report: CoverageOut) -> tuple[bytes, int]:
    """One row per child unit then the totals row: counts only."""
    rows = _rows_for(report)
    body = [coverage_csv_values(f) for f in rows] + [coverage_csv_values(report.totals, TOTAL_LABEL)]
    return _csv(coverage_csv_header(report), body), len(rows)


PROGRESS_CSV_HEADER = [
    "Ngày",
    "Lượt thăm",
    "Hộ được thăm lần đầu",
    "Hộ đạt mới",
    "Người mới thành thạo đủ 5 kỹ năng",
    "Lũy kế lượt thăm",
    "Lũy kế hộ đã thăm",
    "Lũy kế hộ đạt",
    "Lũy kế người thành thạo đủ 5 kỹ năng",
]


def progress_csv(progress: ProgressOut) -> tuple[bytes, int]:
    rows = [
        [
            d.day,
            d.visits,
            d.households_visited,
            d.households_covered,
            d.people_proficient_all,
            d.cumulative_visits,
            d.cumulative_households_visited,
            d.cumulative_households_covered,
            d.cumulative_people_proficient_all,
        ]
        for d in progress.days
    ]
    return _csv(PROGRESS_CSV_HEADER, rows), len(rows)


def to_visit_csv(listing: ToVisitOut) -> tuple[bytes, int]:
    rows = [to_visit_values(n, item) for n, item in enumerate(listing.items, start=1)]
    return _csv([c[0] for c in TO_VISIT_COLUMNS], rows), len(rows)


# --- file names ------------------------------------------------------------------------------------

KIND_NAMES = {
    "coverage": ("BaoCao", "Báo cáo"),
    "progress": ("TienDo", "Tiến độ"),
    "to_visit": ("HoCanTham", "Hộ cần thăm"),
}


def filenames(kind: str, unit_name: str, campaign: Any, ext: str) -> tuple[str, str]:
    """(ASCII name, UTF-8 name), e.g. ("BaoCao_XaHoaLuu_2024-10-10.xlsx", "Báo cáo_Xã Hỏa Lựu_2024-10-10.xlsx"):
    the kind, the unit and the day the figures were taken (the export's)."""
    ascii_kind, vi_kind = KIND_NAMES[kind]
    day = f"{today_vn():%Y-%m-%d}"
    suffix = ""
    vi_unit = re.sub(r'[\\/:*?"<>|]', "", printable(unit_name)).strip()
    folded = "".join(w[:1].upper() + w[1:] for w in fold(vi_unit).split())
    folded = re.sub(r"[^A-Za-z0-9]", "", folded) or "DonVi"
    return (
        f"{ascii_kind}_{folded}{suffix}_{day}.{ext}",
        f"{vi_kind}_{vi_unit}{suffix}_{day}.{ext}",
    )
