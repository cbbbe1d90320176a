"""Loading an official list of administrative units, idempotently and fast.

The national lists are ~10,000 rows; an ORM object per row with a flush each (to learn its id for the
materialized path) takes minutes on PostgreSQL. So each level is written in bulk: new rows inserted in
chunks with RETURNING, their paths computed here from the parent's path and the returned id, then set
with one executemany. Rows already present are compared and only the ones that differ are updated, so
running the import twice changes nothing. Units missing from the file are left alone: households and
hamlets may hang off them.
"""

import csv
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Table, func, insert, literal, select, update
from sqlmodel import Session, col

from app.errors import Invalid
from app.models import AdminUnit
from app.models.base import table_of, utcnow
from app.models.units import SCHEME_2004, SCHEME_2025
from app.text import fold, nfc
from app.units import conversion

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
CHUNK = 1000

Progress = Callable[[str], None]


@dataclass(frozen=True)
class SchemeSpec:
    levels: tuple[str, ...]
    valid_from: date | None
    valid_to: date | None
    shipped_file: str


SCHEMES: dict[str, SchemeSpec] = {
    SCHEME_2004: SchemeSpec(("province", "district", "commune"), None, date(2025, 6, 30), "units-legacy-2024.csv"),
    SCHEME_2025: SchemeSpec(("province", "commune"), date(2025, 7, 1), None, "units-2025.csv"),
}

# The parent of each level in each scheme; vn2025 has no district tier.
PARENT_LEVEL = {
    SCHEME_2004: {"district": "province", "commune": "district"},
    SCHEME_2025: {"commune": "province"},
}
CODE_LENGTH = {"province": 2, "district": 3, "commune": 5}


class UnitFileInvalid(Invalid):
    code = "unit_file_invalid"
    message_vi = "Tệp danh mục đơn vị hành chính không hợp lệ."
    message_en = "The administrative unit file is not valid."


@dataclass(frozen=True)
class OfficialUnit:
    level: str
    code: str
    name: str
    unit_type: str
    parent_code: str | None
    province_code: str


@dataclass
class LevelCounts:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass
class ImportResult:
    scheme: str
    levels: dict[str, LevelCounts] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def inserted(self) -> int:
        return sum(c.inserted for c in self.levels.values())

    @property
    def updated(self) -> int:
        return sum(c.updated for c in self.levels.values())

    @property
    def unchanged(self) -> int:
        return sum(c.unchanged for c in self.levels.values())


def read_units(path: Path, *, scheme: str) -> list[OfficialUnit]:
    """Parse a list with the columns of the shipped files (one row per commune), provinces first.

    A code seen twice must carry the same name each time: a file mixing the two schemes (where codes
    mean different places) is refused rather than half loaded.
    """
    spec = _spec(scheme)
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        needed = [f"{level}_{part}" for level in spec.levels for part in ("code", "name", "type")]
        missing = [c for c in needed if c not in (reader.fieldnames or [])]
        if missing:
            raise UnitFileInvalid(
                f"Tệp {path.name} thiếu cột: {', '.join(missing)}.",
                f"{path.name} lacks the columns: {', '.join(missing)}.",
                details={"missing": missing, "scheme": scheme},
            )
        if "district" not in spec.levels and "district_code" in (reader.fieldnames or []):
            raise UnitFileInvalid(
                f"Tệp {path.name} có cấp huyện: đây là danh mục trước 2025, hãy dùng --scheme vn2004.",
                f"{path.name} has a district tier: it is a pre-2025 list, use --scheme vn2004.",
                details={"scheme": scheme},
            )
        units: dict[tuple[str, str], OfficialUnit] = {}
        for line, row in enumerate(reader, start=2):
            parent: str | None = None
            province_code = (row.get("province_code") or "").strip()
            for level in spec.levels:
                unit = OfficialUnit(
                    level=level,
                    code=(row[f"{level}_code"] or "").strip(),
                    name=nfc(row[f"{level}_name"] or ""),
                    unit_type=nfc(row[f"{level}_type"] or ""),
                    parent_code=parent,
                    province_code=province_code,
                )
                _check(unit, path=path, line=line)
                seen = units.setdefault((level, unit.code), unit)
                if seen != unit:
                    raise UnitFileInvalid(
                        f"{path.name} dòng {line}: mã {unit.code} đã gặp với tên khác ({seen.name}).",
                        f"{path.name} line {line}: code {unit.code} was seen with another name ({seen.name}).",
                        details={"line": line, "code": unit.code},
                    )
                parent = unit.code
    order = {level: i for i, level in enumerate(spec.levels)}
    return sorted(units.values(), key=lambda u: (order[u.level], u.code))


def _check(unit: OfficialUnit, *, path: Path, line: int) -> None:
    if not (unit.code.isdigit() and len(unit.code) == CODE_LENGTH[unit.level]) or not unit.name:
        raise UnitFileInvalid(
            f"{path.name} dòng {line}: mã hoặc tên {unit.level} không hợp lệ ({unit.code!r}, {unit.name!r}).",
            f"{path.name} line {line}: bad {unit.level} code or name ({unit.code!r}, {unit.name!r}).",
            details={"line": line, "level": unit.level, "code": unit.code},
        )


def _spec(scheme: str) -> SchemeSpec:
    if scheme not in SCHEMES:
        raise UnitFileInvalid(
            f"Hệ danh mục không hợp lệ: {scheme} (vn2004 hoặc vn2025).",
            f"Unknown scheme {scheme} (vn2004 or vn2025).",
            details={"scheme": scheme},
        )
    return SCHEMES[scheme]


_COMPARED = ("name", "unit_type", "search_key", "parent_id", "path", "province_code", "valid_from", "valid_to")


def import_units(
    session: Session, *, scheme: str, units: Sequence[OfficialUnit], progress: Progress | None = None
) -> ImportResult:
    """Insert what is new, update what differs, leave the rest. Flushes only; the caller commits."""
    spec = _spec(scheme)
    say = progress or (lambda _: None)
    started = time.perf_counter()
    result = ImportResult(scheme=scheme)
    placed: dict[str, dict[str, tuple[int, str]]] = {}  # level → code → (id, path)
    for level in spec.levels:
        wanted = [u for u in units if u.level == level]
        parents = placed.get(PARENT_LEVEL[scheme].get(level, ""), {})
        counts, placed[level] = _import_level(
            session, scheme=scheme, spec=spec, level=level, wanted=wanted, parents=parents
        )
        result.levels[level] = counts
        say(
            f"  {scheme} {level}: {len(wanted)} — thêm {counts.inserted}, sửa {counts.updated}, "
            f"giữ nguyên {counts.unchanged} (inserted/updated/unchanged)"
        )
    result.seconds = time.perf_counter() - started
    return result


def _import_level(
    session: Session,
    *,
    scheme: str,
    spec: SchemeSpec,
    level: str,
    wanted: list[OfficialUnit],
    parents: dict[str, tuple[int, str]],
) -> tuple[LevelCounts, dict[str, tuple[int, str]]]:
    columns = [col(AdminUnit.id), col(AdminUnit.code), *(col(getattr(AdminUnit, c)) for c in _COMPARED)]
    existing = {
        row.code: row._asdict()
        for row in session.execute(
            select(*columns).where(col(AdminUnit.scheme) == scheme, col(AdminUnit.level) == level)
        )
    }
    counts = LevelCounts()
    placed: dict[str, tuple[int, str]] = {}
    new_rows: list[dict[str, Any]] = []
    changed: list[dict[str, Any]] = []
    moved: list[tuple[str, str, str]] = []  # old path, new path, province code
    for unit in wanted:
        parent_id, parent_path = parents[unit.parent_code] if unit.parent_code else (None, "/")
        desired: dict[str, Any] = {
            "name": unit.name,
            "unit_type": unit.unit_type,
            "search_key": fold(unit.name),
            "parent_id": parent_id,
            "province_code": unit.province_code,
            "valid_from": spec.valid_from,
            "valid_to": spec.valid_to,
        }
        row = existing.get(unit.code)
        if row is None:
            new_rows.append(
                {**desired, "scheme": scheme, "level": level, "code": unit.code, "created_at": utcnow(), "path": ""}
            )
            continue
        desired["path"] = f"{parent_path}{row['id']}/"
        placed[unit.code] = (row["id"], desired["path"])
        if all(row[c] == desired[c] for c in _COMPARED):
            counts.unchanged += 1
            continue
        counts.updated += 1
        changed.append({"id": row["id"], **desired})
        if row["path"] and row["path"] != desired["path"]:
            moved.append((row["path"], desired["path"], unit.province_code))

    parent_paths = {code: path for code, (_, path) in parents.items()}
    parent_of = {u.code: u.parent_code for u in wanted}
    paths: list[dict[str, Any]] = []
    if new_rows:
        bulk_insert(session, table_of(AdminUnit), new_rows)
        fresh = session.execute(
            select(col(AdminUnit.id), col(AdminUnit.code)).where(
                col(AdminUnit.scheme) == scheme, col(AdminUnit.level) == level, col(AdminUnit.path) == ""
            )
        )
        for unit_id, code in fresh:
            parent_code = parent_of[code]
            path = f"{parent_paths[parent_code] if parent_code else '/'}{unit_id}/"
            placed[code] = (unit_id, path)
            paths.append({"id": unit_id, "path": path})
    counts.inserted = len(paths)
    if paths:
        session.execute(update(AdminUnit), paths)
    if changed:
        session.execute(update(AdminUnit), changed)
    for old, new, province_code in moved:
        _move_descendants(session, old=old, new=new, province_code=province_code)
    session.flush()
    return counts, placed


def _move_descendants(session: Session, *, old: str, new: str, province_code: str) -> None:
    """A unit moved to another parent: its hamlets and communes follow (rare, so one UPDATE each)."""
    session.execute(
        update(AdminUnit)
        .where(col(AdminUnit.path).startswith(old), col(AdminUnit.path) != old)
        .values(
            path=literal(new) + func.substr(col(AdminUnit.path), len(old) + 1),
            province_code=province_code,
        )
        .execution_options(synchronize_session=False)
    )


def bulk_insert(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """COPY on PostgreSQL (one stream, no statement to parse per chunk), executemany on SQLite.

    Every row must have the same keys, and every value its final Python type: nothing is defaulted.
    """
    if not rows:
        return
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        for chunk in _chunks(rows, CHUNK):
            connection.execute(insert(table), chunk)
        return
    names = list(rows[0])
    driver = connection.connection.driver_connection
    assert driver is not None
    with driver.cursor() as cursor, cursor.copy(f"COPY {table.name} ({', '.join(names)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([row[name] for name in names])


def _chunks(rows: list[dict[str, Any]], size: int) -> Iterable[list[dict[str, Any]]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def shipped_file(scheme: str) -> Path:
    return DATA_DIR / _spec(scheme).shipped_file


def import_file(session: Session, *, path: Path, scheme: str, progress: Progress | None = None) -> ImportResult:
    say = progress or (lambda _: None)
    units = read_units(path, scheme=scheme)
    say(f"{scheme}: đọc {len(units)} đơn vị từ {path.name} (read {len(units)} units)")
    return import_units(session, scheme=scheme, units=units, progress=progress)


def import_shipped(session: Session, *, progress: Progress | None = None) -> list[ImportResult]:
    """Both national lists shipped in app/data, the pre-2025 one first (the demo uses it), then the 2025
    conversion table between them."""
    results = [
        import_file(session, path=shipped_file(scheme), scheme=scheme, progress=progress)
        for scheme in (SCHEME_2004, SCHEME_2025)
    ]
    conversion.import_shipped_conversion(session, progress=progress)
    return results
