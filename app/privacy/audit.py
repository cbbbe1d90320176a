"""The audit log: every export, every named read outside one's hamlets, every erasure, access request,
consent change, password reset and account change. Rows hold ids and counts, never a household's data.

Every router records here; only the xlsx file needs openpyxl, so it is imported there, not with the
module: a server worker that never writes one does not carry it (some 6 MB of a worker's memory)."""

import csv
import io
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, insert
from sqlmodel import Session, col, select

from app.auth.scope import FIELD_ROLES, Scope
from app.campaigns.service import VIETNAM
from app.errors import Forbidden
from app.models import AdminUnit, AuditEntry, User
from app.models.base import table_of, utcnow
from app.text import csv_cell, printable

if TYPE_CHECKING:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet

CATEGORY_VI = {
    "export": "Xuất tệp",
    "named_read": "Xem danh sách có tên",
    "erasure": "Xóa dữ liệu cá nhân",
    "access_request": "Yêu cầu truy cập dữ liệu",
    "consent": "Thay đổi đồng ý",
    "password_reset": "Đặt lại mật khẩu",
    "user_change": "Thay đổi tài khoản",
}
KIND_VI = {
    "coverage": "Báo cáo độ phủ",
    "progress": "Báo cáo tiến độ",
    "to_visit": "Danh sách hộ cần thăm",
    "households": "Danh sách hộ gia đình",
    "household_search": "Tra cứu hộ gia đình",
    "household": "Chi tiết hộ gia đình",
    "household_data": "Toàn bộ dữ liệu của hộ",
    "flagged_visits": "Lượt thăm chờ xác nhận",
    "outbox_file": "Tệp dữ liệu từ máy",
    "audit": "Nhật ký truy cập",
    "erase": "Theo yêu cầu",
    "retention": "Hết thời hạn lưu trữ",
    "withdrawn": "Rút đồng ý",
    "given": "Đồng ý",
    "create": "Tạo tài khoản",
    "update": "Sửa tài khoản",
    "area": "Giao địa bàn",
    "deactivate": "Vô hiệu hóa",
    "activate": "Kích hoạt lại",
    "reset": "Đặt lại mật khẩu",
}
ROLE_VI = {
    "volunteer": "Tình nguyện viên",
    "team_leader": "Tổ trưởng",
    "commune_official": "Cán bộ xã/phường",
    "district_official": "Cán bộ huyện",
    "province_official": "Cán bộ tỉnh",
    "admin": "Quản trị",
}


class AuditForOfficials(Forbidden):
    code = "audit_for_officials"
    message_vi = "Chỉ cán bộ và quản trị viên xem được nhật ký truy cập."
    message_en = "Only officials and administrators can read the audit log."


def record(
    session: Session,
    *,
    actor: User | None,
    category: str,
    kind: str,
    unit_id: int | None = None,
    campaign_id: int | None = None,
    household_id: uuid.UUID | None = None,
    target_user_id: int | None = None,
    row_count: int = 0,
    file_format: str = "",
    personal_data: bool = True,
    reason: str = "",
) -> AuditEntry:
    """One audit row in the caller's transaction: the act and its record commit or roll back together."""
    entry = AuditEntry(
        user_id=actor.id if actor else None,
        category=category,
        kind=kind,
        unit_id=unit_id if unit_id is not None else (actor.unit_id if actor else None),
        campaign_id=campaign_id or None,
        household_id=household_id,
        target_user_id=target_user_id,
        row_count=row_count,
        file_format=file_format,
        personal_data=personal_data,
        reason=reason[:300],
    )
    session.add(entry)
    session.flush()
    return entry


def record_many(
    session: Session,
    *,
    actor: User | None,
    category: str,
    kind: str,
    reason: str,
    rows: list[tuple[int, uuid.UUID, int]],
) -> None:
    """One audit row per (unit, household, row count), as `record` writes each: one executemany for all
    (retention writes thousands in one run)."""
    if not rows:
        return
    now = utcnow()
    common = {
        "user_id": actor.id if actor else None,
        "created_at": now,
        "category": category,
        "kind": kind,
        "file_format": "",
        "campaign_id": None,
        "target_user_id": None,
        "personal_data": True,
        "reason": reason[:300],
    }
    session.execute(
        insert(table_of(AuditEntry)),
        [{**common, "unit_id": unit_id, "household_id": hid, "row_count": n} for unit_id, hid, n in rows],
    )


def log_named_read(session: Session, *, scope: Scope, kind: str, unit_id: int | None, rows: int) -> None:
    """A read of named households. Field roles only ever read their own hamlets (their scope bounds the
    query), so theirs are not logged; every official's and admin's read is."""
    if scope.user.role in FIELD_ROLES:
        return
    record(session, actor=scope.user, category="named_read", kind=kind, unit_id=unit_id, row_count=rows)


@dataclass
class AuditFilter:
    category: str | None = None
    kind: str | None = None
    date_from: date | None = None
    date_to: date | None = None


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=VIETNAM)


def _query(session: Session, scope: Scope, f: AuditFilter) -> Any:
    if scope.user.role in FIELD_ROLES:
        raise AuditForOfficials()
    stmt = select(AuditEntry)
    if not scope.is_admin:
        # An official sees what happened in their unit and below it.
        inside = select(AdminUnit.id).where(col(AdminUnit.path).startswith(scope.unit_path or "\x00"))
        stmt = stmt.where(col(AuditEntry.unit_id).in_(inside))
    if f.category:
        stmt = stmt.where(AuditEntry.category == f.category)
    if f.kind:
        stmt = stmt.where(AuditEntry.kind == f.kind)
    if f.date_from:
        stmt = stmt.where(col(AuditEntry.created_at) >= _start_of(f.date_from))
    if f.date_to:
        stmt = stmt.where(col(AuditEntry.created_at) < _start_of(f.date_to + timedelta(days=1)))
    return stmt


def list_entries(
    session: Session, *, scope: Scope, filters: AuditFilter, limit: int, offset: int | None
) -> tuple[list[dict[str, Any]], int]:
    """Newest first. `offset` None: every entry (for a file)."""
    stmt = _query(session, scope, filters)
    total = int(session.exec(select(func.count()).select_from(stmt.subquery())).one())
    ordered = stmt.order_by(col(AuditEntry.created_at).desc(), col(AuditEntry.id).desc())
    if offset is not None:
        ordered = ordered.limit(limit).offset(offset)
    entries = list(session.exec(ordered).all())
    return describe(session, entries), total


def describe(session: Session, entries: list[AuditEntry]) -> list[dict[str, Any]]:
    user_ids = sorted({i for e in entries for i in (e.user_id, e.target_user_id) if i is not None})
    unit_ids = sorted({e.unit_id for e in entries if e.unit_id is not None})
    users = {u.id: u for u in session.exec(select(User).where(col(User.id).in_(user_ids))).all()} if user_ids else {}
    units = (
        {u.id: u for u in session.exec(select(AdminUnit).where(col(AdminUnit.id).in_(unit_ids))).all()}
        if unit_ids
        else {}
    )

    def who(user_id: int | None) -> dict[str, Any] | None:
        u = users.get(user_id) if user_id is not None else None
        return {"id": u.id, "full_name": u.full_name, "role": u.role} if u else None

    out = []
    for e in entries:
        unit = units.get(e.unit_id) if e.unit_id is not None else None
        out.append(
            {
                "id": e.id,
                "created_at": e.created_at,
                "category": e.category,
                "kind": e.kind,
                "file_format": e.file_format,
                "row_count": e.row_count,
                "personal_data": e.personal_data,
                "reason": e.reason,
                "household_id": e.household_id,
                "campaign_id": e.campaign_id,
                "user": who(e.user_id),
                "target_user": who(e.target_user_id),
                "unit": {"id": unit.id, "name": unit.name, "level": unit.level} if unit else None,
            }
        )
    return out


# --- files -------------------------------------------------------------------------------------------

COLUMNS = [
    ("STT", 6),
    ("Thời điểm", 18),
    ("Loại", 24),
    ("Nội dung", 26),
    ("Người thực hiện", 24),
    ("Vai trò", 18),
    ("Đơn vị", 24),
    ("Số dòng", 10),
    ("Định dạng", 10),
    ("Mã hộ", 38),
    ("Tài khoản liên quan", 24),
    ("Lý do", 40),
]


def _values(n: int, item: dict[str, Any]) -> list[Any]:
    user, target, unit = item["user"], item["target_user"], item["unit"]
    moment: datetime = item["created_at"]
    return [
        n,
        moment.astimezone(VIETNAM).strftime("%d/%m/%Y %H:%M"),
        CATEGORY_VI.get(item["category"], item["category"]),
        KIND_VI.get(item["kind"], item["kind"]),
        user["full_name"] if user else "Dòng lệnh",
        ROLE_VI.get(user["role"], user["role"]) if user else "",
        unit["name"] if unit else "",
        item["row_count"],
        item["file_format"],
        str(item["household_id"]) if item["household_id"] else "",
        target["full_name"] if target else "",
        item["reason"],
    ]


def _cell(ws: "WriteOnlyWorksheet", value: Any, *, bold: bool = False) -> "WriteOnlyCell":
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    cell = WriteOnlyCell(ws, None)
    if isinstance(value, str):
        cell.value = printable(value)
        cell.data_type = "s"  # never a formula, whatever the text starts with
    else:
        cell.value = value
    cell.font = Font(name="Times New Roman", size=11, bold=bold)
    return cell


def to_xlsx(items: list[dict[str, Any]], title: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    wb = Workbook(write_only=True)
    ws: WriteOnlyWorksheet = wb.create_sheet("Nhật ký")
    for i, (_, width) in enumerate(COLUMNS, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.append([_cell(ws, title, bold=True)])
    ws.append([])
    ws.append([_cell(ws, h, bold=True) for h, _ in COLUMNS])
    for n, item in enumerate(items, start=1):
        ws.append([_cell(ws, v) for v in _values(n, item)])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def to_csv(items: list[dict[str, Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([h for h, _ in COLUMNS])
    for n, item in enumerate(items, start=1):
        writer.writerow([csv_cell(printable(v)) if isinstance(v, str) else v for v in _values(n, item)])
    return out.getvalue().encode("utf-8-sig")
