"""The printable answer to an access request: one workbook, a sheet per kind of record, text as text.

openpyxl is imported where the workbook is written, not with the module: a server worker that never
writes one does not carry it (some 6 MB of a worker's memory)."""

import io
from typing import TYPE_CHECKING, Any

from app.text import printable

if TYPE_CHECKING:
    from openpyxl import Workbook
    from openpyxl.worksheet.worksheet import Worksheet

SOURCE_VI = {"import": "Danh sách của xã/phường", "door": "Ghi nhận tại nhà"}
CONSENT_VI = {"unknown": "Chưa rõ", "given": "Đã đồng ý", "withdrawn": "Đã rút đồng ý"}
OUTCOME_VI = {"met": "Gặp được", "not_home": "Vắng nhà", "declined": "Từ chối", "moved": "Đã chuyển đi"}
LEVEL_VI = {"taught": "Đã hướng dẫn", "proficient": "Thành thạo"}
SEX_VI = {"female": "Nữ", "male": "Nam", "other": "Khác"}
FONT = "Times New Roman"


def _day(iso: str | None) -> str:
    """dd/mm/yyyy (and HH:mm when it is a moment) from an ISO text."""
    if not iso:
        return ""
    day = f"{iso[8:10]}/{iso[5:7]}/{iso[0:4]}"
    return f"{day} {iso[11:16]}" if len(iso) > 10 else day


def _put(ws: "Worksheet", row: list[Any], *, bold: bool = False) -> None:
    from openpyxl.styles import Alignment, Font

    ws.append([printable(v) if isinstance(v, str) else v for v in row])
    for cell in ws[ws.max_row]:
        if isinstance(cell.value, str):
            cell.data_type = "s"  # never a formula, whatever the text starts with
        cell.font = Font(name=FONT, size=11, bold=bold)
        cell.alignment = Alignment(wrap_text=True, vertical="top")


def _sheet(wb: "Workbook", title: str, headers: list[str], widths: list[int]) -> "Worksheet":
    ws = wb.create_sheet(title)
    for i, w in enumerate(widths):
        ws.column_dimensions[chr(ord("A") + i)].width = w
    _put(ws, headers, bold=True)
    ws.freeze_panes = "A2"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    return ws


def to_xlsx(data: dict[str, Any]) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    assert wb.active is not None
    wb.remove(wb.active)
    h = data["household"]
    ws = _sheet(wb, "Hộ gia đình", ["Thông tin", "Giá trị"], [30, 70])
    consent = h["consent"]
    consent_text = CONSENT_VI.get(consent["state"], consent["state"])
    if consent["notice_version"]:
        consent_text += f" (thông báo {consent['notice_version']}, {_day(consent['on'])})"
    for label, value in [
        ("DỮ LIỆU CÁ NHÂN CỦA HỘ GIA ĐÌNH", ""),
        ("Ngày xuất", _day(data["exported_at"])),
        ("Mã hộ", h["id"]),
        ("Địa bàn", " – ".join(h["place"])),
        ("Chủ hộ", h["head_name"]),
        ("Địa chỉ", h["address"]),
        ("Số điện thoại", h["phone"] or ""),
        ("Số nhân khẩu", h["member_count"]),
        ("Vị trí", f"{h['latitude']}, {h['longitude']}" if h["latitude"] is not None else ""),
        ("Ghi chú", h["note"]),
        ("Nguồn dữ liệu", SOURCE_VI.get(h["source"], h["source"])),
        ("Đồng ý", consent_text),
        ("Ngày ghi nhận", _day(h["created_at"])),
        ("Ngày xóa dữ liệu cá nhân", _day(h["erased_at"])),
    ]:
        _put(ws, [label, value], bold=label.isupper())
    ws = _sheet(
        wb, "Thành viên", ["Mã", "Họ tên", "Năm sinh", "Giới tính", "Kỹ năng", "Mốc đạt được"], [38, 26, 10, 10, 50, 30]
    )
    for p in data["people"]:
        skills = "; ".join(f"{k}: {LEVEL_VI.get(v, v)}" for k, v in p["skills"].items())
        _put(
            ws,
            [
                p["id"],
                p["full_name"] or "",
                p["birth_year"],
                SEX_VI.get(p["sex"] or "", ""),
                skills,
                ", ".join(p["milestones"]),
            ],
        )
    ws = _sheet(
        wb,
        "Lượt thăm",
        ["Thời điểm", "Chiến dịch", "Kết quả", "Đồng ý", "Ghi chú", "Kỹ năng đã hướng dẫn"],
        [18, 30, 14, 16, 40, 50],
    )
    for v in data["visits"]:
        consent_v = (
            f"Có ({v['consent_notice_version']})"
            if v["consent_given"] and v["consent_notice_version"]
            else ("Có" if v["consent_given"] else "Không")
        )
        skills = "; ".join(f"{s['skill']}: {LEVEL_VI.get(s['level'], s['level'])}" for s in v["skills"])
        _put(
            ws,
            [
                _day(v["visited_at"]),
                v["campaign"] or "",
                OUTCOME_VI.get(v["outcome"], v["outcome"]),
                consent_v,
                v["notes"],
                skills,
            ],
        )
    ws = _sheet(wb, "Lịch sử thay đổi", ["Thời điểm", "Giá trị trước đó"], [18, 90])
    for entry in data["history"]:
        previous = ", ".join(f"{k}: {v}" for k, v in entry["previous"].items() if v not in (None, ""))
        _put(ws, [_day(entry["changed_at"]), previous])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
