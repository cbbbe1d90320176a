"""Household import from Excel or CSV: a template, a preview with row-level problems, a commit of the
rows an official chose.

A household's id is a UUID5 of its row's normalised content (hamlet, head's name, address, phone,
members), so importing the same file again, in any order, in NFC or NFD, with phones written any
usual way, finds every row already there and changes nothing. Commit only inserts: a household
already in the database (even edited or deleted since) is left as it is.

Rows are inserted in bulk, not through `upsert_household` one by one: a new household has no people
and no visits, so its whole contribution to the reports is one household in its hamlet. The commit
does what that path would do, per hamlet at once: one area-version bump, the households and their
all-time status rows stamped with it, one aggregate delta.
"""

import csv
import hashlib
import io
import re
import uuid
import zipfile
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet.datavalidation import DataValidation
from sqlalchemy import exists, literal
from sqlalchemy import select as core_select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from app.auth.phone import InvalidPhone, normalize_phone
from app.auth.scope import Scope
from app.errors import Forbidden, Invalid
from app.households.service import bump_area_version
from app.models import AdminUnit, Household, HouseholdStatus
from app.models.base import table_of, utcnow
from app.text import fold, nfc
from app.units import service as units
from app.visits import aggregates

MAX_ROWS = 100_000
MAX_UPLOAD_BYTES = 25_000_000
CHUNK = 1000
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://tungnha.vn/household-import")
STATUS_COLUMNS = ["household_id", "campaign_id", "hamlet_id", "visits", "proficient_people", "version"]
IMPORT_ROLES = ("commune_official", "district_official", "province_official", "admin")


@dataclass(frozen=True)
class Column:
    field: str
    header: str  # the template's Vietnamese header
    aliases: tuple[str, ...]


COLUMNS = (
    Column("hamlet", "Thôn/ấp", ("thon ap", "thon", "ap", "khu vuc", "to dan pho", "ten thon ap", "hamlet")),
    Column("hamlet_id", "Mã thôn/ấp", ("ma thon ap", "ma thon", "ma ap", "hamlet id", "id thon ap")),
    Column("address", "Địa chỉ", ("dia chi", "so nha", "address")),
    Column(
        "head_name",
        "Họ tên chủ hộ",
        ("ho ten chu ho", "ho va ten chu ho", "chu ho", "ten chu ho", "head name", "head of household"),
    ),
    Column("phone", "Số điện thoại", ("so dien thoai", "dien thoai", "sdt", "so dt", "phone")),
    Column("member_count", "Số nhân khẩu", ("so nhan khau", "nhan khau", "so thanh vien", "member count", "members")),
)
_NON_WORD = re.compile(r"[^a-z0-9]+")


def header_key(text: str) -> str:
    return _NON_WORD.sub(" ", fold(text)).strip()


_BY_KEY = {header_key(a): c.field for c in COLUMNS for a in (c.header, c.field, *c.aliases)}


class UnreadableFile(Invalid):
    code = "unreadable_file"
    message_vi = "Không đọc được tệp. Hãy dùng tệp Excel (.xlsx) hoặc CSV theo mẫu."
    message_en = "The file cannot be read. Use an Excel (.xlsx) or CSV file following the template."


class EmptyFile(Invalid):
    code = "empty_file"
    message_vi = "Tệp không có dòng dữ liệu nào."
    message_en = "The file has no data rows."


class WrongColumns(Invalid):
    code = "wrong_columns"
    message_vi = "Tệp thiếu cột bắt buộc: cần cột Họ tên chủ hộ và cột Thôn/ấp (hoặc Mã thôn/ấp). Hãy dùng tệp mẫu."
    message_en = "Required columns are missing: head of household and hamlet (or hamlet id). Use the template."


class TooManyRows(Invalid):
    code = "too_many_rows"
    message_vi = f"Tệp có quá nhiều dòng (tối đa {MAX_ROWS:,})."
    message_en = f"The file has too many rows (at most {MAX_ROWS:,})."


class FileTooLarge(Invalid):
    status_code = 413
    code = "file_too_large"
    message_vi = f"Tệp quá lớn (tối đa {MAX_UPLOAD_BYTES // 1_000_000} MB)."
    message_en = f"The file is too large ({MAX_UPLOAD_BYTES // 1_000_000} MB max)."


class UploadChanged(Invalid):
    status_code = 409
    code = "upload_changed"
    message_vi = "Tệp gửi lên khác tệp đã xem trước. Hãy xem trước lại."
    message_en = "The file differs from the one previewed. Preview it again."


class BadRowSelection(Invalid):
    code = "bad_row_selection"
    message_vi = "Danh sách dòng không hợp lệ. Ví dụ: 2,3,10-20 hoặc new."
    message_en = "Invalid row selection. For example: 2,3,10-20 or new."


class RowsHaveErrors(Invalid):
    code = "rows_have_errors"
    message_vi = "Một số dòng được chọn còn lỗi. Sửa tệp hoặc bỏ chọn các dòng đó."
    message_en = "Some chosen rows have errors. Fix the file or leave them out."


# --- reading the file ---------------------------------------------------------------------------


@dataclass
class Table:
    headers: list[str]
    rows: list[tuple[int, list[Any]]]  # (row number as the spreadsheet shows it, cells)


def _is_xlsx(content: bytes, filename: str) -> bool:
    return content[:4] == b"PK\x03\x04" or filename.lower().endswith((".xlsx", ".xlsm"))


def _blank(cells: Iterable[Any]) -> bool:
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in cells)


def _table(lines: Iterator[tuple[int, list[Any]]]) -> Table:
    headers: list[str] | None = None
    rows: list[tuple[int, list[Any]]] = []
    for number, cells in lines:
        if _blank(cells):
            continue
        if headers is None:
            headers = ["" if c is None else str(c) for c in cells]
            continue
        rows.append((number, cells))
        if len(rows) > MAX_ROWS:
            raise TooManyRows(details={"max_rows": MAX_ROWS})
    if headers is None:
        raise EmptyFile()
    return Table(headers=headers, rows=rows)


def _decode(content: bytes) -> str:
    for encoding in ("utf-8-sig", "utf-16"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    # Old Excel exports on Vietnamese Windows.
    return content.decode("cp1258", errors="replace")


def read_table(content: bytes, filename: str = "") -> Table:
    if len(content) > MAX_UPLOAD_BYTES:
        raise FileTooLarge()
    if not content.strip():
        raise EmptyFile()
    if _is_xlsx(content, filename):
        try:
            book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
            raise UnreadableFile(details={"reason": str(exc)[:200]}) from exc
        try:
            sheet = book.worksheets[0]
            return _table((i, list(r)) for i, r in enumerate(sheet.iter_rows(values_only=True), start=1))
        finally:
            book.close()
    text = _decode(content)
    if "\x00" in text:
        raise UnreadableFile()
    first = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        return _table((reader.line_num, row) for row in reader)
    except csv.Error as exc:
        raise UnreadableFile(details={"reason": str(exc)[:200]}) from exc


def map_columns(headers: list[str]) -> tuple[dict[str, int], list[str]]:
    """Which cell holds which field; the headers nobody asked for are listed, not refused."""
    found: dict[str, int] = {}
    ignored: list[str] = []
    for i, header in enumerate(headers):
        name = _BY_KEY.get(header_key(header))
        if name and name not in found:
            found[name] = i
        elif header.strip():
            ignored.append(header)
    if "head_name" not in found or not ({"hamlet", "hamlet_id"} & found.keys()):
        raise WrongColumns(
            details={
                "found": [h for h in headers if h.strip()],
                "expected": [c.header for c in COLUMNS],
                "required": ["Họ tên chủ hộ", "Thôn/ấp hoặc Mã thôn/ấp"],
            }
        )
    return found, ignored


# --- checking rows ------------------------------------------------------------------------------


@dataclass
class Row:
    row: int
    hamlet_id: int | None = None
    hamlet_name: str = ""
    address: str = ""
    head_name: str = ""
    phone: str | None = None
    member_count: int = 0
    errors: list[dict[str, str]] = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)
    household_id: uuid.UUID | None = None
    status: str = "new"  # new | duplicate | already_imported | error
    name_key: str = ""

    def error(self, code: str, column: str, vi: str, en: str) -> None:
        self.errors.append({"code": code, "column": column, "message": vi, "message_en": en})

    def dup_key(self) -> tuple[int | None, str, str]:
        return (self.hamlet_id, self.name_key, fold(self.address))

    def values(self) -> dict[str, Any]:
        return {
            "row": self.row,
            "hamlet_id": self.hamlet_id,
            "hamlet_name": self.hamlet_name,
            "address": self.address,
            "head_name": self.head_name,
            "phone": self.phone,
            "member_count": self.member_count,
            "household_id": self.household_id,
            "status": self.status,
            "errors": self.errors,
            "warnings": self.warnings,
        }


def household_id_for(hamlet_id: int, head_name: str, address: str, phone: str | None, member_count: int) -> uuid.UUID:
    # The texts are already NFC (see _text): the same household in NFD gets the same id.
    content = "\x1f".join((str(hamlet_id), head_name, address, phone or "", str(member_count)))
    return uuid.uuid5(NAMESPACE, content)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return nfc(str(value))


def _phone_text(value: Any) -> str:
    # Excel drops the leading 0 of a phone typed as a number: 912345678 is 0912345678.
    if isinstance(value, int | float) and not isinstance(value, bool):
        digits = str(int(value))
        return "0" + digits if len(digits) == 9 else digits
    return _text(value)


class Hamlets:
    """The commune's hamlets, found by id, by local code, or by name as people write it."""

    def __init__(self, hamlets: list[AdminUnit]) -> None:
        self.by_id = {h.id: h for h in hamlets}
        self.by_code = {h.code.lower(): h for h in hamlets}
        self.by_name: dict[str, AdminUnit] = {}
        for h in hamlets:
            self.by_name[h.search_key] = h
            kind = fold(h.unit_type)
            # "Khu vực 1" is also written "1" or "KV 1"? Only the bare remainder, which is unambiguous.
            if kind and h.search_key.startswith(kind + " "):
                self.by_name.setdefault(h.search_key[len(kind) + 1 :], h)

    def find(self, hamlet_id: str, name: str) -> AdminUnit | None:
        if hamlet_id:
            key = hamlet_id.strip().lower()
            if key.isdigit() and int(key) in self.by_id:
                return self.by_id[int(key)]
            return self.by_code.get(key)
        return self.by_name.get(fold(name)) if name else None


def check_rows(table: Table, columns: dict[str, int], hamlets: Hamlets) -> list[Row]:
    def cell(cells: list[Any], name: str) -> Any:
        i = columns.get(name)
        return cells[i] if i is not None and i < len(cells) else None

    out: list[Row] = []
    for number, cells in table.rows:
        row = Row(row=number)
        row.head_name = _text(cell(cells, "head_name"))
        row.address = _text(cell(cells, "address"))
        hamlet_ref, hamlet_name = _text(cell(cells, "hamlet_id")), _text(cell(cells, "hamlet"))
        hamlet = hamlets.find(hamlet_ref, hamlet_name)
        if hamlet is None:
            given = hamlet_ref or hamlet_name
            row.hamlet_name = given
            if given:
                row.error(
                    "unknown_hamlet",
                    "hamlet",
                    f"Không có thôn/ấp “{given}” trong xã.",
                    f"No hamlet “{given}” in this commune.",
                )
            else:
                row.error("missing_hamlet", "hamlet", "Thiếu thôn/ấp.", "The hamlet is missing.")
        else:
            row.hamlet_id, row.hamlet_name = hamlet.id, hamlet.name
        if not row.head_name:
            row.error("missing_head_name", "head_name", "Thiếu họ tên chủ hộ.", "The head of household is missing.")
        elif len(row.head_name) > 120:
            row.error("head_name_too_long", "head_name", "Họ tên quá dài (tối đa 120 ký tự).", "Name too long.")
        if len(row.address) > 300:
            row.error("address_too_long", "address", "Địa chỉ quá dài (tối đa 300 ký tự).", "Address too long.")
        phone = _phone_text(cell(cells, "phone"))
        if phone:
            try:
                row.phone = normalize_phone(phone)
            except InvalidPhone:
                row.error(
                    "bad_phone",
                    "phone",
                    f"Số điện thoại “{phone[:40]}” không hợp lệ.",
                    f"Invalid phone number “{phone[:40]}”.",
                )
        members = _text(cell(cells, "member_count"))
        if members:
            if members.isdigit() and int(members) <= 50:
                row.member_count = int(members)
            else:
                row.error(
                    "bad_member_count",
                    "member_count",
                    "Số nhân khẩu phải là số từ 0 đến 50.",
                    "Members must be a number from 0 to 50.",
                )
        if row.errors:
            row.status = "error"
        else:
            row.name_key = fold(row.head_name)
            assert row.hamlet_id is not None
            row.household_id = household_id_for(row.hamlet_id, row.head_name, row.address, row.phone, row.member_count)
        out.append(row)
    return out


def _chunks(items: list[Any], size: int = CHUNK) -> Iterator[list[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def mark_duplicates(session: Session, rows: list[Row], hamlet_ids: list[int]) -> None:
    """Already imported (same content, same id), or a likely duplicate: same folded head name and
    address in the same hamlet, earlier in the file or already in the database."""
    ids = list({r.household_id for r in rows if r.household_id is not None})
    existing_ids: set[uuid.UUID] = set()
    for chunk in _chunks(ids):
        existing_ids.update(session.exec(select(Household.id).where(col(Household.id).in_(chunk))).all())
    in_db: dict[tuple[int | None, str, str], uuid.UUID] = {}
    if hamlet_ids:
        for hid, hamlet_id, name_key, address in session.exec(
            select(Household.id, Household.hamlet_id, Household.head_name_key, Household.address).where(
                col(Household.hamlet_id).in_(hamlet_ids), col(Household.deleted_at).is_(None)
            )
        ).all():
            in_db.setdefault((hamlet_id, name_key, fold(address)), hid)
    first_row: dict[tuple[int | None, str, str], int] = {}
    for r in rows:
        if r.status == "error":
            continue
        if r.household_id in existing_ids:
            r.status = "already_imported"
            continue
        key = r.dup_key()
        if key in first_row:
            r.warnings.append(
                {
                    "code": "duplicate_in_file",
                    "row": first_row[key],
                    "message": f"Có thể trùng với dòng {first_row[key]} trong tệp.",
                    "message_en": f"Likely the same household as row {first_row[key]}.",
                }
            )
        else:
            first_row[key] = r.row
        if key in in_db:
            r.warnings.append(
                {
                    "code": "duplicate_in_database",
                    "household_id": str(in_db[key]),
                    "message": "Có thể trùng với một hộ đã có trong danh sách.",
                    "message_en": "Likely the same household as one already listed.",
                }
            )
        if r.warnings:
            r.status = "duplicate"


# --- preview and commit -------------------------------------------------------------------------


@dataclass
class Analysis:
    commune: AdminUnit
    token: str
    columns: dict[str, int]
    ignored: list[str]
    rows: list[Row]

    def counts(self) -> dict[str, int]:
        counts = Counter(r.status for r in self.rows)
        return {s: counts.get(s, 0) for s in ("new", "duplicate", "already_imported", "error")}


def require_importer(scope: Scope) -> None:
    if not scope.is_admin and scope.user.role not in IMPORT_ROLES:
        raise Forbidden()


def commune_for_import(session: Session, *, scope: Scope, commune_id: int | None) -> AdminUnit:
    """The commune whose households are imported: the official's own, or one they choose below them."""
    require_importer(scope)
    commune_id = commune_id or scope.user.unit_id
    if commune_id is None:
        raise Invalid("Chọn xã/phường để nhập.", "Choose the commune to import into.", code="commune_required")
    commune = units.get_unit(session, commune_id)
    if commune.level != "commune":
        raise Invalid(
            "Chọn một xã/phường để nhập hộ gia đình.",
            "Choose a commune to import households into.",
            code="not_a_commune",
            details={"unit_id": commune_id},
        )
    scope.require_unit(commune)
    return commune


def analyse(session: Session, *, commune: AdminUnit, content: bytes, filename: str = "") -> Analysis:
    table = read_table(content, filename)
    columns, ignored = map_columns(table.headers)
    if not table.rows:
        raise EmptyFile()
    hamlets = list(
        session.exec(select(AdminUnit).where(AdminUnit.parent_id == commune.id, AdminUnit.level == "hamlet")).all()
    )
    rows = check_rows(table, columns, Hamlets(hamlets))
    mark_duplicates(session, rows, [h.id for h in hamlets if h.id is not None])
    return Analysis(
        commune=commune,
        token=hashlib.sha256(content).hexdigest()[:32],
        columns=columns,
        ignored=ignored,
        rows=rows,
    )


def preview(
    session: Session, *, scope: Scope, commune_id: int | None, content: bytes, filename: str, only_problems: bool
) -> dict[str, Any]:
    commune = commune_for_import(session, scope=scope, commune_id=commune_id)
    result = analyse(session, commune=commune, content=content, filename=filename)
    rows = [r for r in result.rows if r.status in ("error", "duplicate")] if only_problems else result.rows
    return {
        "token": result.token,
        "commune_id": commune.id,
        "commune_name": commune.name,
        "total_rows": len(result.rows),
        "counts": result.counts(),
        "columns": {name: result.columns.get(name) is not None for name in (c.field for c in COLUMNS)},
        "ignored_columns": result.ignored,
        "rows": [r.values() for r in rows],
    }


def parse_selection(selection: str, rows: list[Row]) -> list[Row]:
    """ "new" (every row without a problem), "new,duplicate", or row numbers and ranges: "2,3,10-20"."""
    by_number = {r.row: r for r in rows}
    statuses = {"new", "duplicate", "already_imported"}
    chosen: dict[int, Row] = {}
    wanted: set[int] = set()
    for part in (p.strip() for p in selection.split(",")):
        if not part:
            continue
        if part in statuses:
            chosen.update((r.row, r) for r in rows if r.status == part)
            continue
        m = re.fullmatch(r"(\d+)(?:\s*-\s*(\d+))?", part)
        if m is None:
            raise BadRowSelection(details={"part": part[:50]})
        start, end = int(m.group(1)), int(m.group(2) or m.group(1))
        if end < start or end - start > MAX_ROWS:
            raise BadRowSelection(details={"part": part[:50]})
        wanted.update(range(start, end + 1))
    missing = sorted(n for n in wanted if n not in by_number)
    if missing:
        raise BadRowSelection(
            "Một số dòng được chọn không có trong tệp.",
            "Some chosen rows are not in the file.",
            details={"rows": missing[:100]},
        )
    chosen.update((n, by_number[n]) for n in wanted)
    if not chosen and not any(p.strip() in statuses for p in selection.split(",")):
        raise BadRowSelection(details={"selection": selection[:50]})
    bad = [{"row": r.row, "errors": r.errors} for r in chosen.values() if r.status == "error"]
    if bad:
        raise RowsHaveErrors(details={"rows": bad[:100], "count": len(bad)})
    return [chosen[n] for n in sorted(chosen)]


@dataclass
class CommitResult:
    inserted: int
    unchanged: int
    rows: list[dict[str, Any]]


def insert_rows(session: Session, *, actor_id: int | None, commune: AdminUnit, rows: list[Row]) -> CommitResult:
    """Insert the chosen rows not yet in the database, per hamlet in bulk (see the module's note)."""
    paths = dict(session.exec(select(AdminUnit.id, AdminUnit.path).where(AdminUnit.parent_id == commune.id)).all())
    by_hamlet: dict[int, dict[uuid.UUID, Row]] = defaultdict(dict)
    for r in rows:
        if r.status != "already_imported" and r.household_id is not None and r.hamlet_id is not None:
            by_hamlet[r.hamlet_id].setdefault(r.household_id, r)
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    households, statuses = table_of(Household), table_of(HouseholdStatus)
    now = utcnow()
    inserted: set[uuid.UUID] = set()
    for hamlet_id in sorted(by_hamlet):
        # Taking the hamlet's version first also serialises two imports of the same hamlet.
        version = bump_area_version(session, hamlet_id)
        new = [
            {
                "id": household_id,
                "hamlet_id": hamlet_id,
                "province_code": commune.province_code,
                "address": r.address,
                "head_name": r.head_name,
                "head_name_key": r.name_key,
                "phone": r.phone,
                "member_count": r.member_count,
                "latitude": None,
                "longitude": None,
                "created_by_id": actor_id,
                "created_at": now,
                "updated_at": now,
                "deleted_at": None,
                "version": version,
            }
            for household_id, r in by_hamlet[hamlet_id].items()
        ]
        for chunk in _chunks(new):
            # A plain executemany: a row already there (another import got there first) is skipped.
            session.execute(insert(households).on_conflict_do_nothing(index_elements=["id"]), chunk)
        # The households this import created are those of this version still without a status row.
        h = households.alias("h")
        fresh = core_select(h.c.id, literal(0), h.c.hamlet_id, literal(0), literal(0), literal(version)).where(
            h.c.hamlet_id == hamlet_id,
            h.c.version == version,
            ~exists().where(statuses.c.household_id == h.c.id, statuses.c.campaign_id == 0),
        )
        added = list(
            session.execute(
                statuses.insert().from_select(STATUS_COLUMNS, fresh).returning(statuses.c.household_id)
            ).scalars()
        )
        if added:
            aggregates.add_delta(
                session, aggregates.unit_chain(paths[hamlet_id]), Counter({("cov", 0, "households"): len(added)})
            )
        inserted.update(added)
    out = [
        {
            "row": r.row,
            "household_id": r.household_id,
            "status": "inserted" if r.household_id in inserted else "unchanged",
        }
        for r in rows
    ]
    # A file listing the same row twice inserts it once.
    return CommitResult(inserted=len(inserted), unchanged=len(rows) - len(inserted), rows=out)


def commit(
    session: Session,
    *,
    scope: Scope,
    commune_id: int | None,
    content: bytes,
    filename: str,
    selection: str,
    token: str | None,
) -> dict[str, Any]:
    commune = commune_for_import(session, scope=scope, commune_id=commune_id)
    result = analyse(session, commune=commune, content=content, filename=filename)
    if token and token != result.token:
        raise UploadChanged(details={"token": result.token})
    chosen = parse_selection(selection, result.rows)
    done = insert_rows(session, actor_id=scope.user.id, commune=commune, rows=chosen)
    return {
        "token": result.token,
        "commune_id": commune.id,
        "inserted": done.inserted,
        "unchanged": done.unchanged,
        "rows": done.rows,
    }


# --- templates ----------------------------------------------------------------------------------

EXAMPLE_NOTE = (
    "Mỗi dòng là một hộ. Bắt buộc: Họ tên chủ hộ và Thôn/ấp (tên như trong danh sách, hoặc Mã thôn/ấp). "
    "Số điện thoại viết kiểu nào cũng được: 0912 345 678, 0912.345.678, +84912345678. "
    "Nhập lại cùng một tệp không tạo hộ trùng."
)


def template_xlsx(hamlets: list[AdminUnit]) -> bytes:
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
