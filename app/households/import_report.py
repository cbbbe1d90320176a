"""The import's error report: the rows with errors or warnings and the rows skipped, as an xlsx an
official can fix the list from. Every cell is written as a string: nothing in it is ever a formula.

openpyxl is imported where a report is written, not with the module: a server worker that never writes
one does not carry it (some 6 MB of a worker's memory)."""

import io
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet

    from app.households.importer import Analysis

STATUS_VI = {
    "new": "Mới",
    "duplicate": "Có thể trùng",
    "already_imported": "Đã có trong danh sách",
    "error": "Lỗi",
}
SKIP_VI = {
    "blank": "Dòng trống",
    "total": "Dòng tổng cộng",
    "formula": "Dòng công thức",
    "column_numbers": "Dòng đánh số cột",
    "header": "Dòng tiêu đề lặp lại",
    "no_data": "Không có dữ liệu ở cột đã ghép",
}
ROW_HEADERS = [
    "Trang tính",
    "Dòng",
    "Trạng thái",
    "Thôn/ấp",
    "Họ tên chủ hộ",
    "Địa chỉ",
    "Số điện thoại",
    "Lỗi",
    "Cảnh báo",
]


def _cell(sheet: "WriteOnlyWorksheet", value: Any, bold: bool = False) -> "WriteOnlyCell":
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font

    text = ILLEGAL_CHARACTERS_RE.sub("", "" if value is None else str(value))
    cell = WriteOnlyCell(sheet, value=text)
    cell.data_type = "s"  # a text starting with "=" stays text
    if bold:
        cell.font = Font(bold=True)
    return cell


def _append(sheet: "WriteOnlyWorksheet", values: list[Any], bold: bool = False) -> None:
    sheet.append([_cell(sheet, v, bold) for v in values])


def error_report(result: "Analysis") -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    rows = book.create_sheet("Dòng cần xem lại")
    for letter, width in zip("ABCDEFGHI", (18, 8, 20, 18, 26, 30, 16, 50, 60), strict=True):
        rows.column_dimensions[letter].width = width
    _append(rows, [f"{result.commune.name}: các dòng có lỗi hoặc cảnh báo"], bold=True)
    _append(rows, ROW_HEADERS, bold=True)
    for r in result.rows:
        if not r.errors and not r.warnings:
            continue
        _append(
            rows,
            [
                r.sheet,
                r.row,
                STATUS_VI.get(r.status, r.status),
                r.hamlet_name,
                r.head_name,
                r.address,
                r.phone or "",
                "; ".join(e["message"] for e in r.errors),
                "; ".join(str(w.get("message", "")) for w in r.warnings),
            ],
        )
    skipped = book.create_sheet("Dòng bỏ qua")
    _append(skipped, ["Trang tính", "Dòng", "Lý do", "Nội dung"], bold=True)
    for s in result.skipped_rows():
        _append(skipped, [s["sheet"], s["row"], SKIP_VI.get(s["reason"], s["reason"]), s["text"]])
    unmapped = result.unmapped_columns()
    if unmapped:
        columns = book.create_sheet("Cột chưa ghép")
        _append(columns, ["Trang tính", "Cột", "Tiêu đề"], bold=True)
        for u in unmapped:
            _append(columns, [u["sheet"], u["column"], u["header"]])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
