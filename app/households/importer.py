"""Household import from Excel or CSV as communes keep their lists: a template, a preview with
row-level problems, a commit of the rows an official chose.

Reading the file (every sheet, streamed, within limits) is `import_reader`; finding the title block,
the header row and the household rows is `import_layout`; cleaning each cell is `import_values`;
checking each row and finding duplicates is `import_rows`; the commune it goes into is `import_commune`;
the templates are `import_template`.

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

import hashlib
import json
import re
import uuid
import zipfile
import zlib
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import exists
from sqlalchemy import select as core_select
from sqlmodel import Session, select

from app import coverage
from app.auth.scope import Scope
from app.errors import Invalid
from app.households import import_layout as layout
from app.households.import_commune import resolve_commune
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
from app.households.import_rows import (
    Hamlets,
    Row,
    check_rows,
    head_person_id,
    household_id_for,
    mark_duplicates,
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
