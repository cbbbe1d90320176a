"""Checking an import's rows: each sheet row read into a `Row` (its hamlet found by id, code or name
as people write it, the cells cleaned by `import_values`), its errors and warnings (a phone shared by
several households, a likely duplicate in the file or in the database), and its household id: a UUID5
of the row's normalised content, so the same file imported again finds every row already there."""

import uuid
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, col, select

from app.households import import_layout as layout
from app.households import import_values as values
from app.models import AdminUnit, Household
from app.text import fold

CHUNK = 1000
SHARED_PHONE_HOUSEHOLDS = 3  # a phone on this many households or more is likely a placeholder
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://tungnha.vn/household-import")


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
            bare = without_type(h.search_key)
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
        found = (self.by_name.get(key) or self.by_name.get(without_type(key))) if key else None
        if len(self._seen) < 10_000:
            self._seen[name] = found
        return found


_TYPE_KEYS = sorted({fold(t) for t in (*layout.HAMLET_TYPES, "khu")}, key=len, reverse=True)


def without_type(key: str) -> str:
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
