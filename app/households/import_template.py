"""The import's templates: an xlsx with the columns, a list of the commune's hamlets to choose from and a
short guide, and a csv with the headers alone."""

import csv
import io

from sqlmodel import Session, col, select

from app.households.importer import COLUMNS
from app.models import AdminUnit

EXAMPLE_NOTE = (
    "Mỗi dòng là một hộ. Bắt buộc: Họ tên chủ hộ và Thôn/ấp (tên như trong danh sách, hoặc Mã thôn/ấp). "
    "Số điện thoại viết kiểu nào cũng được: 0912 345 678, 0912.345.678, +84912345678. "
    "Nhập lại cùng một tệp không tạo hộ trùng."
)


def template_xlsx(hamlets: list[AdminUnit]) -> bytes:
    """openpyxl is imported here, not with the module: a server worker that never writes a template
    does not carry it (some 6 MB of a worker's memory)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Hộ gia đình"
    sheet.append([c.header for c in COLUMNS])
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")
    for cell, width in zip(sheet[1], (22, 12, 34, 28, 16, 12), strict=True):
        cell.font, cell.fill = bold, fill
        sheet.column_dimensions[cell.column_letter].width = width
    sheet.freeze_panes = "A2"
    for letter in ("B", "E", "F"):
        for row in range(2, 5002):
            sheet[f"{letter}{row}"].number_format = "@"
    guide = book.create_sheet("Hướng dẫn")
    guide.append([EXAMPLE_NOTE])
    guide.append([])
    guide.append(["Mã thôn/ấp", "Thôn/ấp"])
    for cell in guide[3]:
        cell.font = bold
    for h in hamlets:
        guide.append([h.id, h.name])
    guide.column_dimensions["A"].width = 14
    guide.column_dimensions["B"].width = 30
    if hamlets:
        choice = DataValidation(
            type="list", formula1=f"='Hướng dẫn'!$B$4:$B${3 + len(hamlets)}", allow_blank=True, showErrorMessage=False
        )
        sheet.add_data_validation(choice)
        choice.add("A2:A5001")
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def template_csv() -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerow([c.header for c in COLUMNS])
    # The BOM makes Excel read the Vietnamese headers as UTF-8.
    return "\ufeff".encode() + buffer.getvalue().encode("utf-8")


def hamlets_of(session: Session, commune: AdminUnit | None) -> list[AdminUnit]:
    if commune is None:
        return []
    return list(
        session.exec(
            select(AdminUnit)
            .where(AdminUnit.parent_id == commune.id, AdminUnit.level == "hamlet")
            .order_by(col(AdminUnit.code))
        ).all()
    )
