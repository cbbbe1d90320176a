"""Household import from Excel or CSV as communes keep their lists: a template, a preview with
row-level problems, a commit of the rows an official chose.

Reading the file (every sheet, streamed, within limits) is `import_reader`; finding the title block,
the header row and the household rows is `import_layout`; cleaning each cell is `import_values`.

A household's id is a UUID5 of its row's normalised content (hamlet, head's name, address, phone,
members), so importing the same file again, in any order, in NFC or NFD, with phones written any
usual way, finds every row already there and changes nothing. Commit only inserts: a household
already in the database (even edited or deleted since) is left as it is. A hamlet the file names
but the commune lacks is created on commit, once, and found by name the next time.

Rows are inserted in bulk, not through `upsert_household` one by one: a new household has no visits,
so its whole contribution to the reports is one household in its hamlet. The commit does what that
path would do, per hamlet at once: one area-version bump, the households (and the head as a person
when the list gives a birth year) stamped with it, then `coverage.households_added` and
`coverage.people_added` (the status rows and the hamlet's counts).
"""

import csv
import hashlib
import io
import json
import re
import uuid
import zipfile
import zlib
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import exists
from sqlalchemy import select as core_select
from sqlmodel import Session, col, select

from app import coverage
from app.auth.scope import Scope
from app.errors import Forbidden, Invalid, NotFound, OutsideYourArea
from app.households import import_layout as layout
from app.households import import_values as values
from app.households.import_reader import (
    MAX_DATA_ROWS,
    MAX_UPLOAD_BYTES,
    EmptyFile,
    FileTooLarge,
    TooManyRows,
    UnknownEncoding,
    UnreadableFile,
    UnsafeFile,
    read_sheets,
)
from app.households.service import bump_area_version
from app.models import AdminUnit, Household, HouseholdStatus, Person
from app.models.base import table_of, utcnow
from app.text import fold
from app.units import service as units

__all__ = [
    "MAX_DATA_ROWS",
    "MAX_UPLOAD_BYTES",
    "EmptyFile",
    "FileTooLarge",
    "TooManyRows",
    "UnknownEncoding",
    "UnreadableFile",
    "UnsafeFile",
]

MAX_ROWS = MAX_DATA_ROWS
CHUNK = 1000
SHARED_PHONE_HOUSEHOLDS = 3  # a phone on this many households or more is likely a placeholder
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://tungnha.vn/household-import")
IMPORT_ROLES = ("commune_official", "district_official", "province_official", "admin")
STATUSES = ("new", "duplicate", "already_imported", "error")


@dataclass(frozen=True)
class Column:
    field: str
    header: str  # the template's Vietnamese header


COLUMNS = (
    Column("hamlet", "Thôn/ấp"),
    Column("hamlet_id", "Mã thôn/ấp"),
    Column("address", "Địa chỉ"),
    Column("head_name", "Họ tên chủ hộ"),
    Column("phone", "Số điện thoại"),
    Column("member_count", "Số nhân khẩu"),
)
header_key = layout.header_key


class WrongColumns(Invalid):
    code = "wrong_columns"
    message_vi = "Không tìm thấy dòng tiêu đề có cột Họ tên chủ hộ. Hãy dùng tệp mẫu hoặc ghép cột."
    message_en = "No header row with a head-of-household column was found. Use the template or map the columns."


class UploadChanged(Invalid):
    status_code = 409
    code = "upload_changed"
    message_vi = "Tệp gửi lên khác tệp đã xem trước. Hãy xem trước lại."
    message_en = "The file differs from the one previewed. Preview it again."


class BadRowSelection(Invalid):
    code = "bad_row_selection"
    message_vi = "Danh sách dòng không hợp lệ. Ví dụ: 2,3,10-20, 1:5 (trang tính 2, dòng 5) hoặc new."
    message_en = "Invalid row selection. For example: 2,3,10-20, 1:5 (second sheet, row 5) or new."


class RowsHaveErrors(Invalid):
    code = "rows_have_errors"
    message_vi = "Một số dòng được chọn còn lỗi. Sửa tệp hoặc bỏ chọn các dòng đó."
    message_en = "Some chosen rows have errors. Fix the file or leave them out."


class CommuneRequired(Invalid):
    code = "commune_required"
    message_vi = "Chọn xã/phường để nhập (tệp không ghi tên xã/phường)."
    message_en = "Choose the commune to import into (the file does not name one)."


class CommuneNotFound(NotFound):
    code = "commune_not_found"
    message_vi = "Không tìm thấy xã/phường ghi trong tệp. Hãy chọn xã/phường để nhập."
    message_en = "The commune named in the file was not found. Choose the commune to import into."


class CommuneAmbiguous(Invalid):
    code = "commune_ambiguous"
    message_vi = "Có nhiều xã/phường trùng tên với tên ghi trong tệp. Hãy chọn xã/phường để nhập."
    message_en = "Several communes have the name the file gives. Choose the commune to import into."


# --- checking rows ------------------------------------------------------------------------------


@dataclass
class Row:
    sheet: str
    sheet_index: int
    row: int
    hamlet_id: int | None = None
    hamlet_name: str = ""
    new_hamlet: bool = False
    address: str = ""
    head_name: str = ""
    phone: str | None = None
    member_count: int = 0
    birth_year: int | None = None
    note: str = ""
    errors: list[dict[str, str]] = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)
    household_id: uuid.UUID | None = None
    status: str = "new"  # new | duplicate | already_imported | error
    name_key: str = ""
    _dup_key: tuple[int | str, str, str] | None = None

    @property
    def key(self) -> str:
        return f"{self.sheet_index}:{self.row}"

    def error(self, code: str, column: str, vi: str, en: str) -> None:
        self.errors.append({"code": code, "column": column, "message": vi, "message_en": en})

    def hamlet_key(self) -> int | str:
        return self.hamlet_id if self.hamlet_id is not None else "new:" + fold(self.hamlet_name)

    def dup_key(self) -> tuple[int | str, str, str]:
        if self._dup_key is None or self._dup_key[0] != self.hamlet_key():
            self._dup_key = (self.hamlet_key(), self.name_key, fold(self.address))
        return self._dup_key

    def values(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "sheet": self.sheet,
            "row": self.row,
            "hamlet_id": self.hamlet_id,
            "hamlet_name": self.hamlet_name,
            "new_hamlet": self.new_hamlet,
            "address": self.address,
            "head_name": self.head_name,
            "phone": self.phone,
            "member_count": self.member_count,
            "birth_year": self.birth_year,
            "note": self.note,
            "household_id": self.household_id,
            "status": self.status,
            "errors": self.errors,
            "warnings": self.warnings,
        }


def household_id_for(hamlet_id: int, head_name: str, address: str, phone: str | None, member_count: int) -> uuid.UUID:
    # The texts are already NFC (see import_values.cell_text): the same household in NFD gets the same id.
    content = "\x1f".join((str(hamlet_id), head_name, address, phone or "", str(member_count)))
    return uuid.uuid5(NAMESPACE, content)


def head_person_id(household_id: uuid.UUID) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, f"{household_id}:head")


class Hamlets:
    """The commune's hamlets, found by id, by local code, or by name as people write it ("Ấp Thạnh
    Hòa", "THẠNH HOÀ", "ap thanh hoa")."""

    def __init__(self, hamlets: list[AdminUnit]) -> None:
        self.by_id = {h.id: h for h in hamlets}
        self.by_code = {h.code.lower(): h for h in hamlets}
        self.by_name: dict[str, AdminUnit] = {}
        self._seen: dict[str, AdminUnit | None] = {}  # the same few names on every row
        for h in hamlets:
            self.by_name[h.search_key] = h
        for h in hamlets:
            bare = _without_type(h.search_key)
            if bare != h.search_key:
                self.by_name.setdefault(bare, h)

    def by_ref(self, ref: str) -> AdminUnit | None:
        key = ref.strip().lower()
        if key.isdigit() and int(key) in self.by_id:
            return self.by_id[int(key)]
        return self.by_code.get(key)

    def by_text(self, name: str) -> AdminUnit | None:
        if name in self._seen:
            return self._seen[name]
        key = fold(name)
        found = (self.by_name.get(key) or self.by_name.get(_without_type(key))) if key else None
        if len(self._seen) < 10_000:
            self._seen[name] = found
        return found


_TYPE_KEYS = sorted({fold(t) for t in (*layout.HAMLET_TYPES, "khu")}, key=len, reverse=True)


def _without_type(key: str) -> str:
    for t in _TYPE_KEYS:
        if key.startswith(t + " ") and len(key) > len(t) + 1:
            return key[len(t) + 1 :]
    return key


def _cell(cells: list[Any], columns: dict[str, int], name: str) -> Any:
    i = columns.get(name)
    return cells[i] if i is not None and i < len(cells) else None


def _address(table: layout.SheetTable, cells: list[Any]) -> str:
    parts = []
    address = values.cell_text(_cell(cells, table.columns, "address"))
    if address:
        parts.append(address)
    number = values.cell_text(_cell(cells, table.columns, "house_number"))
    if number:
        parts.append(f"Số {number}" if number[:1].isdigit() else number)
    group = values.cell_text(_cell(cells, table.columns, "group"))
    if group:
        parts.append(f"{table.group_word} {group}" if group[:1].isdigit() else group)
    return ", ".join(parts)


@dataclass
class SheetHamlet:
    """The hamlet a sheet is about when no column says it: its name, else its title."""

    name: str
    source: str  # sheet | title


def sheet_hamlet(table: layout.SheetTable, hamlets: Hamlets) -> SheetHamlet | None:
    if table.name and (hamlets.by_text(table.name) or layout.looks_like_hamlet(table.name)):
        return SheetHamlet(table.name, "sheet")
    named = layout.hamlet_in_title(table.title)
    if named:
        return SheetHamlet(values.place_name(named), "title")
    return None


def _hamlet_column_type(table: layout.SheetTable) -> str:
    """ "Ấp" when the hamlet column is headed by a kind of hamlet ("Ấp", "Thôn", "Khóm"), else ""."""
    i = table.columns.get("hamlet")
    header = table.headers[i] if i is not None and i < len(table.headers) else ""
    key = fold(header)
    return values.place_name(header).capitalize() if key and key in _TYPE_KEYS and key != "khu" else ""


def check_rows(tables: list[layout.SheetTable], hamlets: Hamlets) -> list[Row]:
    out: list[Row] = []
    for table in tables:
        columns = table.columns
        fallback = sheet_hamlet(table, hamlets)
        column_type = _hamlet_column_type(table)
        for number, cells in table.rows:
            row = Row(sheet=table.name, sheet_index=table.index, row=number)
            row.head_name = values.person_name(_cell(cells, columns, "head_name"))
            row.address = _address(table, cells)
            hamlet_ref = values.cell_text(_cell(cells, columns, "hamlet_id"))
            hamlet_name = values.cell_text(_cell(cells, columns, "hamlet"))
            if hamlet_ref:
                hamlet = hamlets.by_ref(hamlet_ref)
                if hamlet is None:
                    row.hamlet_name = hamlet_ref
                    row.error(
                        "unknown_hamlet",
                        "hamlet_id",
                        f"Không có thôn/ấp mã “{hamlet_ref[:40]}” trong xã.",
                        f"No hamlet with code “{hamlet_ref[:40]}” in this commune.",
                    )
            else:
                name = hamlet_name or (fallback.name if fallback else "")
                hamlet = hamlets.by_text(name)
                if hamlet is None and hamlet_name and column_type and not layout.looks_like_hamlet(name):
                    # Under a column headed "Ấp", "Thạnh Hòa" and "3" are "Ấp Thạnh Hòa" and "Ấp 3".
                    name = f"{column_type} {name}"
                    hamlet = hamlets.by_text(name)
                if hamlet is None and name:
                    row.hamlet_name, row.new_hamlet = values.place_name(name), True
                    row.warnings.append(
                        {
                            "code": "new_hamlet",
                            "column": "hamlet",
                            "value": row.hamlet_name,
                            "message": f"Thôn/ấp “{row.hamlet_name}” chưa có: sẽ được tạo khi nhập.",
                            "message_en": f"Hamlet “{row.hamlet_name}” does not exist yet: created on import.",
                        }
                    )
                elif hamlet is None:
                    row.error(
                        "missing_hamlet",
                        "hamlet",
                        "Thiếu thôn/ấp (không có cột, tên trang tính hay tiêu đề nào ghi thôn/ấp).",
                        "The hamlet is missing (no column, sheet name or title gives it).",
                    )
            if hamlet is not None:
                row.hamlet_id, row.hamlet_name = hamlet.id, hamlet.name
            if not row.head_name:
                row.error("missing_head_name", "head_name", "Thiếu họ tên chủ hộ.", "The head of household is missing.")
            elif len(row.head_name) > 120:
                row.error("head_name_too_long", "head_name", "Họ tên quá dài (tối đa 120 ký tự).", "Name too long.")
            if len(row.address) > 300:
                row.error("address_too_long", "address", "Địa chỉ quá dài (tối đa 300 ký tự).", "Address too long.")
            row.phone, warning = values.parse_phone(_cell(cells, columns, "phone"))
            if warning:
                row.warnings.append(warning)
            row.member_count, warning = values.parse_member_count(_cell(cells, columns, "member_count"))
            if warning:
                row.warnings.append(warning)
            row.birth_year, warning = values.parse_birth_year(_cell(cells, columns, "birth_year"))
            if warning:
                row.warnings.append(warning)
            row.note = values.cell_text(_cell(cells, columns, "note"))[:500]
            if row.errors:
                row.status = "error"
            else:
                row.name_key = fold(row.head_name)
                if row.hamlet_id is not None:
                    row.household_id = household_id_for(
                        row.hamlet_id, row.head_name, row.address, row.phone, row.member_count
                    )
            out.append(row)
    _flag_shared_phones(out)
    return out


def _flag_shared_phones(rows: list[Row]) -> None:
    households: dict[str, set[tuple[int | str, str, str]]] = defaultdict(set)
    for r in rows:
        if r.phone and r.status != "error":
            households[r.phone].add(r.dup_key())
    for r in rows:
        if r.phone and len(households.get(r.phone, ())) >= SHARED_PHONE_HOUSEHOLDS:
            count = len(households[r.phone])
            r.warnings.append(
                {
                    "code": "shared_phone",
                    "column": "phone",
                    "value": r.phone,
                    "count": count,
                    "message": f"Số điện thoại này ghi cho {count} hộ: có thể là số tạm, hãy kiểm tra.",
                    "message_en": f"This phone is given for {count} households: likely a placeholder, check it.",
                }
            )


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
    in_db: dict[tuple[int | str, str, str], uuid.UUID] = {}
    if hamlet_ids:
        for hid, hamlet_id, name_key, address in session.exec(
            select(Household.id, Household.hamlet_id, Household.head_name_key, Household.address).where(
                col(Household.hamlet_id).in_(hamlet_ids), col(Household.deleted_at).is_(None)
            )
        ).all():
            in_db.setdefault((hamlet_id, name_key, fold(address)), hid)
    first_row: dict[tuple[int | str, str, str], Row] = {}
    for r in rows:
        if r.status == "error":
            continue
        if r.household_id in existing_ids:
            r.status = "already_imported"
            continue
        key = r.dup_key()
        if key in first_row:
            first = first_row[key]
            where = f"dòng {first.row}" + (f" (trang tính “{first.sheet}”)" if first.sheet != r.sheet else "")
            where_en = f"row {first.row}" + (f" (sheet “{first.sheet}”)" if first.sheet != r.sheet else "")
            r.warnings.append(
                {
                    "code": "duplicate_in_file",
                    "row": first.row,
                    "sheet": first.sheet,
                    "key": first.key,
                    "message": f"Có thể trùng với {where} trong tệp.",
                    "message_en": f"Likely the same household as {where_en}.",
                }
            )
        else:
            first_row[key] = r
        if key in in_db:
            r.warnings.append(
                {
                    "code": "duplicate_in_database",
                    "household_id": str(in_db[key]),
                    "message": "Có thể trùng với một hộ đã có trong danh sách.",
                    "message_en": "Likely the same household as one already listed.",
                }
            )
        if any(w["code"].startswith("duplicate_") for w in r.warnings):
            r.status = "duplicate"


# --- the commune ----------------------------------------------------------------------------------


def require_importer(scope: Scope) -> None:
    if not scope.is_admin and scope.user.role not in IMPORT_ROLES:
        raise Forbidden()


def commune_for_import(session: Session, *, scope: Scope, commune_id: int | None) -> AdminUnit:
    """The commune whose households are imported: the official's own, or one they choose below them."""
    require_importer(scope)
    commune_id = commune_id or scope.user.unit_id
    if commune_id is None:
        raise CommuneRequired()
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


def _own_commune(session: Session, scope: Scope) -> AdminUnit | None:
    own = session.get(AdminUnit, scope.user.unit_id) if scope.user.unit_id else None
    return own if own is not None and own.level == "commune" else None


def commune_named_in_file(
    session: Session, *, scope: Scope, tables: list[layout.SheetTable]
) -> tuple[AdminUnit | None, str | None]:
    """The commune a "UBND XÃ …" line names, matched by folded name within the user's scope."""
    lines = [line for t in tables for line in t.title]
    named = layout.commune_in_title(lines)
    if not named:
        return None, None
    found = list(
        session.exec(select(AdminUnit).where(AdminUnit.level == "commune", AdminUnit.search_key == fold(named))).all()
    )
    mine = [u for u in found if scope.can_manage_unit(u)]
    if not mine:
        if found:
            # The file is about a commune outside the user's area: never imported into their own.
            raise OutsideYourArea(details={"commune": named, "unit_ids": [u.id for u in found][:10]})
        return None, named
    if len(mine) > 1:
        # "UBND HUYỆN …" or "TỈNH …" in the title tells communes of the same name apart.
        text = fold(" ".join(lines))
        ancestors = units.ancestors_of(session, mine)
        scored = [
            (
                sum(
                    1
                    for a in ancestors.get(u.id or 0, [])
                    if a.level != "commune" and _without_type(a.search_key) in text
                ),
                u,
            )
            for u in mine
        ]
        best = max(score for score, _ in scored)
        mine = [u for score, u in scored if score == best]
        if len(mine) > 1:
            raise CommuneAmbiguous(
                details={
                    "commune": named,
                    "candidates": [{"id": u.id, "name": u.name, "path": u.path} for u in mine][:20],
                }
            )
    return mine[0], named


def resolve_commune(
    session: Session, *, scope: Scope, commune_id: int | None, tables: list[layout.SheetTable]
) -> AdminUnit:
    """The chosen unit, else the commune the file names, else the official's own commune."""
    require_importer(scope)
    if commune_id is not None:
        return commune_for_import(session, scope=scope, commune_id=commune_id)
    commune, named = commune_named_in_file(session, scope=scope, tables=tables)
    if commune is not None:
        return commune
    if _own_commune(session, scope) is not None:
        return commune_for_import(session, scope=scope, commune_id=None)
    if named:
        raise CommuneNotFound(details={"commune": named})
    if scope.user.unit_id is not None and not scope.is_admin:
        # A district or province official: the file must name the commune, or they choose one.
        commune_for_import(session, scope=scope, commune_id=None)
    raise CommuneRequired()


# --- preview and commit -------------------------------------------------------------------------


@dataclass
class Analysis:
    commune: AdminUnit
    token: str
    tables: list[layout.SheetTable]
    skipped_sheets: list[dict[str, Any]]
    rows: list[Row]

    def counts(self) -> dict[str, int]:
        counts = Counter(r.status for r in self.rows)
        return {s: counts.get(s, 0) for s in STATUSES}

    def new_hamlets(self) -> list[str]:
        names: dict[str, str] = {}
        for r in self.rows:
            if r.new_hamlet:
                names.setdefault(fold(r.hamlet_name), r.hamlet_name)
        return list(names.values())

    def skipped_rows(self) -> list[dict[str, Any]]:
        return [s for t in self.tables for s in t.skipped]

    def unmapped_columns(self) -> list[dict[str, Any]]:
        return [u for t in self.tables for u in t.unmapped]


def read_tables(
    content: bytes, filename: str, column_map: dict[str, str]
) -> tuple[list[layout.SheetTable], list[dict[str, Any]]]:
    budget = layout.RowBudget()
    tables: list[layout.SheetTable] = []
    skipped: list[dict[str, Any]] = []
    try:
        for raw in read_sheets(content, filename):
            table = layout.sheet_table(raw, column_map, budget)
            if isinstance(table, str):
                skipped.append({"sheet": raw.name, "reason": table})
            else:
                tables.append(table)
    except (
        ValueError,
        LookupError,
        OverflowError,
        EOFError,
        OSError,
        RecursionError,
        zipfile.BadZipFile,
        zlib.error,
    ) as exc:
        # Whatever else a corrupt file makes the readers throw: a clean 422, never a 500.
        raise UnreadableFile(details={"reason": str(exc)[:200]}) from exc
    if not tables:
        if all(s["reason"] == "empty" for s in skipped):
            raise EmptyFile()
        raise WrongColumns(
            details={
                "sheets": [s["sheet"] for s in skipped][:50],
                "expected": [c.header for c in COLUMNS],
                "required": ["Họ tên chủ hộ"],
            }
        )
    return tables, skipped


def file_token(content: bytes, column_map: dict[str, str]) -> str:
    digest = hashlib.sha256(content)
    if column_map:
        digest.update(json.dumps(column_map, sort_keys=True, ensure_ascii=False).encode())
    return digest.hexdigest()[:32]


def analyse(
    session: Session,
    *,
    content: bytes,
    filename: str = "",
    scope: Scope | None = None,
    commune_id: int | None = None,
    commune: AdminUnit | None = None,
    column_map: dict[str, str] | None = None,
) -> Analysis:
    """Read and check the file. The commune: `commune` as given (the command line), else resolved for
    the user's `scope` (the chosen `commune_id`, the file's title, their own commune)."""
    column_map = column_map or {}
    tables, skipped_sheets = read_tables(content, filename, column_map)
    if commune is None:
        assert scope is not None
        commune = resolve_commune(session, scope=scope, commune_id=commune_id, tables=tables)
    if not any(t.rows for t in tables):
        raise EmptyFile(details={"skipped_rows": [s for t in tables for s in t.skipped][:100]})
    hamlets = units_of(session, commune)
    rows = check_rows(tables, Hamlets(hamlets))
    mark_duplicates(session, rows, [h.id for h in hamlets if h.id is not None])
    return Analysis(
        commune=commune,
        token=file_token(content, column_map),
        tables=tables,
        skipped_sheets=skipped_sheets,
        rows=rows,
    )


def units_of(session: Session, commune: AdminUnit) -> list[AdminUnit]:
    return list(
        session.exec(select(AdminUnit).where(AdminUnit.parent_id == commune.id, AdminUnit.level == "hamlet")).all()
    )


def preview_body(result: Analysis, *, only_problems: bool = False) -> dict[str, Any]:
    rows = (
        [r for r in result.rows if r.status in ("error", "duplicate") or r.warnings] if only_problems else result.rows
    )
    found = {name for t in result.tables for name in t.columns}
    commune = result.commune
    return {
        "token": result.token,
        "commune_id": commune.id,
        "commune_name": commune.name,
        "total_rows": len(result.rows),
        "counts": result.counts(),
        "columns": {name: name in found for name in layout.FIELDS if name != "ignore"},
        "ignored_columns": [u["header"] for u in result.unmapped_columns() if u["header"]],
        "unmapped_columns": result.unmapped_columns(),
        "skipped_rows": result.skipped_rows(),
        "skipped_sheets": result.skipped_sheets,
        "new_hamlets": result.new_hamlets(),
        "sheets": [
            {"index": t.index, "name": t.name, "header_row": t.header_row, "rows": len(t.rows)} for t in result.tables
        ],
        "rows": [r.values() for r in rows],
    }


def preview(
    session: Session,
    *,
    scope: Scope,
    commune_id: int | None,
    content: bytes,
    filename: str,
    only_problems: bool,
    column_map: dict[str, str] | None = None,
) -> dict[str, Any]:
    result = analyse(
        session, scope=scope, commune_id=commune_id, content=content, filename=filename, column_map=column_map
    )
    return preview_body(result, only_problems=only_problems)


_RANGE = re.compile(r"(?:(\d+)\s*:\s*)?(\d+)(?:\s*-\s*(\d+))?")


def parse_selection(selection: str, rows: list[Row]) -> list[Row]:
    """ "new" (every row without a problem), "new,duplicate", row numbers and ranges of the first
    sheet ("2,3,10-20"), or of any sheet by its index ("1:5", "1:10-20": the second sheet)."""
    first_sheet = min((r.sheet_index for r in rows), default=0)
    by_key = {(r.sheet_index, r.row): r for r in rows}
    statuses = {"new", "duplicate", "already_imported"}
    chosen: dict[tuple[int, int], Row] = {}
    wanted: set[tuple[int, int]] = set()
    for part in (p.strip() for p in selection.split(",")):
        if not part:
            continue
        if part in statuses:
            chosen.update(((r.sheet_index, r.row), r) for r in rows if r.status == part)
            continue
        m = _RANGE.fullmatch(part)
        if m is None:
            raise BadRowSelection(details={"part": part[:50]})
        sheet = int(m.group(1)) if m.group(1) is not None else first_sheet
        start, end = int(m.group(2)), int(m.group(3) or m.group(2))
        if end < start or end - start > MAX_ROWS:
            raise BadRowSelection(details={"part": part[:50]})
        wanted.update((sheet, n) for n in range(start, end + 1))
    missing = sorted(k for k in wanted if k not in by_key)
    if missing:
        raise BadRowSelection(
            "Một số dòng được chọn không có trong tệp.",
            "Some chosen rows are not in the file.",
            details={"rows": [n if s == first_sheet else f"{s}:{n}" for s, n in missing[:100]]},
        )
    chosen.update((k, by_key[k]) for k in wanted)
    if not chosen and not any(p.strip() in statuses for p in selection.split(",")):
        raise BadRowSelection(details={"selection": selection[:50]})
    bad = [
        {"row": r.row, "sheet": r.sheet, "key": r.key, "errors": r.errors}
        for r in chosen.values()
        if r.status == "error"
    ]
    if bad:
        raise RowsHaveErrors(details={"rows": bad[:100], "count": len(bad)})
    return [chosen[k] for k in sorted(chosen)]


def create_new_hamlets(session: Session, *, commune: AdminUnit, rows: list[Row]) -> list[AdminUnit]:
    """The hamlets the chosen rows name but the commune lacks: created once, then every such row gets
    its hamlet and its household id."""
    if not any(r.new_hamlet and r.hamlet_id is None for r in rows):
        return []
    # Two imports naming the same new hamlet at once: the second waits here, then finds it.
    session.exec(select(AdminUnit.id).where(AdminUnit.id == commune.id).with_for_update()).all()
    existing = Hamlets(units_of(session, commune))
    created: list[AdminUnit] = []
    for r in rows:
        if not r.new_hamlet or r.hamlet_id is not None:
            continue
        hamlet = existing.by_text(r.hamlet_name)
        if hamlet is None:
            hamlet = units.create_hamlet(session, commune=commune, name=r.hamlet_name)
            created.append(hamlet)
            existing = Hamlets([*existing.by_id.values(), hamlet])
        assert hamlet.id is not None
        r.hamlet_id, r.hamlet_name = hamlet.id, hamlet.name
        r.household_id = household_id_for(hamlet.id, r.head_name, r.address, r.phone, r.member_count)
    return created


@dataclass
class CommitResult:
    inserted: int
    unchanged: int
    rows: list[dict[str, Any]]


def insert_rows(session: Session, *, actor_id: int | None, commune: AdminUnit, rows: list[Row]) -> CommitResult:
    """Insert the chosen rows not yet in the database, per hamlet in bulk (see the module's note)."""
    create_new_hamlets(session, commune=commune, rows=rows)
    by_hamlet: dict[int, dict[uuid.UUID, Row]] = defaultdict(dict)
    for r in rows:
        if r.status != "already_imported" and r.household_id is not None and r.hamlet_id is not None:
            by_hamlet[r.hamlet_id].setdefault(r.household_id, r)
    households, statuses, people = table_of(Household), table_of(HouseholdStatus), table_of(Person)
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
                # The head, recorded as a person when the list gives a birth year, is a member.
                "member_count": max(r.member_count, 1) if r.birth_year else r.member_count,
                "note": r.note,
                "source": "import",
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
        # A plain executemany: a row already there (another import got there first) is skipped.
        coverage.sql.insert_missing(session, households, ["id"], new)
        # The households this import created are those of this version still without a status row.
        h = households.alias("h")
        added = list(
            session.execute(
                core_select(h.c.id).where(
                    h.c.hamlet_id == hamlet_id,
                    h.c.version == version,
                    ~exists().where(statuses.c.household_id == h.c.id, statuses.c.campaign_id == 0),
                )
            ).scalars()
        )
        coverage.households_added(session, hamlet_id, added, version)
        heads = [
            {
                "id": head_person_id(household_id),
                "household_id": household_id,
                "hamlet_id": hamlet_id,
                "full_name": r.head_name,
                "birth_year": r.birth_year,
                "sex": None,
                "created_by_id": actor_id,
                "created_at": now,
                "updated_at": now,
                "deleted_at": None,
                "version": version,
            }
            for household_id in added
            if (r := by_hamlet[hamlet_id][household_id]).birth_year
        ]
        coverage.sql.insert_missing(session, people, ["id"], heads)
        coverage.people_added(session, hamlet_id, len(heads))
        inserted.update(added)
    out = [
        {
            "key": r.key,
            "sheet": r.sheet,
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
    column_map: dict[str, str] | None = None,
) -> dict[str, Any]:
    result = analyse(
        session, scope=scope, commune_id=commune_id, content=content, filename=filename, column_map=column_map
    )
    if token and token != result.token:
        raise UploadChanged(details={"token": result.token})
    chosen = parse_selection(selection, result.rows)
    hamlets_before = {h.id for h in units_of(session, result.commune)}
    done = insert_rows(session, actor_id=scope.user.id, commune=result.commune, rows=chosen)
    created = [h for h in units_of(session, result.commune) if h.id not in hamlets_before]
    return {
        "token": result.token,
        "commune_id": result.commune.id,
        "inserted": done.inserted,
        "unchanged": done.unchanged,
        "created_hamlets": [{"id": h.id, "name": h.name} for h in created],
        "rows": done.rows,
    }


# --- templates ----------------------------------------------------------------------------------

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
