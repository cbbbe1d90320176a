"""A household list as communes keep it in Excel, built for the import wizard's browser test."""

import io

from openpyxl import Workbook

TITLE = ("UBND PHƯỜNG I", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc")
HEADER = ("STT", "Họ và tên chủ hộ", "Địa chỉ (số nhà, tổ)", "Số nhân khẩu", "SĐT", "Ghi chú")
FIRST_SHEET = (
    ("NGUYỄN VĂN AN", "Số 12, tổ 3", 4, "0912.345.678", ""),
    ("  trần thị   bình ", "Số 14, tổ 3", 3, "không có", ""),
    ("LÊ VĂN CƯỜNG", "Số 20, tổ 4", 5, "01689123456", "con đi làm xa"),
    ("NGUYỄN VĂN AN", "Số 12, tổ 3", 4, "0912.345.678", ""),  # typed twice
    ("PHẠM THỊ DUNG", "Số 22, tổ 4", 2, "0907000000", ""),  # one number for three households
    ("VÕ VĂN EM", "Số 24, tổ 4", 3, "0907000000", ""),
    ("ĐẶNG THỊ PHƯƠNG", "Số 26, tổ 5", 2, "12345", ""),
    ("HUỲNH VĂN GIÀU", "Số 28, tổ 5", 3, "0907000000", ""),
)
SECOND_SHEET = (
    ("BÙI VĂN HÙNG", "Số 3, tổ 1", 4, "84912000111", ""),
    ("TRƯƠNG THỊ LAN", "Số 5, tổ 1", 2, "", ""),
)


def _sheet(ws, hamlet: str, rows) -> None:  # type: ignore[no-untyped-def]
    for line in TITLE:
        ws.append([line])
    ws.append(["DANH SÁCH HỘ GIA ĐÌNH (cập nhật 09/2024)"])
    ws.append([])
    ws.append(list(HEADER))
    first = ws.max_row + 1
    for i, row in enumerate(rows, start=1):
        ws.append([i, *row])
    ws.append(["", "Tổng cộng", "", f"=SUM(D{first}:D{ws.max_row})", "", ""])
    ws.title = hamlet


def messy_workbook(first_hamlet: str, second_hamlet: str) -> bytes:
    """Title block, hamlet only in the sheet name, commune only in the title, total row, ALL CAPS, stray
    spaces, a row typed twice, unusable and old-prefix phones, a phone shared by three households, and a
    second sheet for another hamlet."""
    book = Workbook()
    _sheet(book.active, first_hamlet, FIRST_SHEET)
    _sheet(book.create_sheet(), second_hamlet, SECOND_SHEET)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
