"""The 2025 conversion: which 2025 commune each pre-2025 commune (and each of its hamlets) went into.

`unit_conversion` holds the national table (`app/data/conversion-2025.csv`) by unit id: an old commune
(vn2004) with one row went whole into that 2025 commune; one with several rows was split, and each of
its hamlets is placed once by an admin (`hamlet_assignment`). Until then such a hamlet is *unassigned*:
it lies in every 2025 province that received part of its commune, in the "chưa phân bổ" row of the
province's reports, never inside a 2025 commune.

Hamlets themselves are never converted: data stays under the hamlet where it was recorded, and a 2025
unit reads the hamlets it now contains (`Area`).
"""

import csv
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, insert
from sqlmodel import Session, col, select

from app.errors import Invalid
from app.models import AdminUnit, HamletAssignment, UnitConversion
from app.models.base import table_of
from app.models.units import SCHEME_2004, SCHEME_2025

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
SHIPPED_FILE = "conversion-2025.csv"
COLUMNS = (
    "old_province_code",
    "old_district_code",
    "old_commune_code",
    "new_province_code",
    "new_commune_code",
    "old_commune_partly_merged",
)
UNASSIGNED = 0
"""The child id of the "chưa phân bổ" row: hamlets of a split commune not yet assigned."""

Progress = Callable[[str], None]


class ConversionFileInvalid(Invalid):
    code = "conversion_file_invalid"
    message_vi = "Tệp bảng chuyển đổi đơn vị hành chính không hợp lệ."
    message_en = "The unit conversion file is not valid."


@dataclass
class ConversionResult:
    rows: int = 0
    inserted: int = 0
    removed: int = 0
    unchanged: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (old commune code, new commune code)
    seconds: float = 0.0


def read_conversion(path: Path) -> list[tuple[str, str, bool]]:
    """(old commune code, new commune code, partly merged) for each row of the file."""
    out: list[tuple[str, str, bool]] = []
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise ConversionFileInvalid(
                f"Tệp {path.name} thiếu cột: {', '.join(missing)}.",
                f"{path.name} lacks the columns: {', '.join(missing)}.",
                details={"missing": missing},
            )
        for line, row in enumerate(reader, start=2):
            old, new = (row["old_commune_code"] or "").strip(), (row["new_commune_code"] or "").strip()
            flag = (row["old_commune_partly_merged"] or "").strip()
            if not (old.isdigit() and len(old) == 5 and new.isdigit() and len(new) == 5 and flag in ("0", "1")):
                raise ConversionFileInvalid(
                    f"{path.name} dòng {line}: mã xã hoặc cờ không hợp lệ ({old!r}, {new!r}, {flag!r}).",
                    f"{path.name} line {line}: bad commune code or flag ({old!r}, {new!r}, {flag!r}).",
                    details={"line": line},
                )
            out.append((old, new, flag == "1"))
    return out


def _commune_ids(session: Session, scheme: str) -> dict[str, int]:
    rows = session.exec(
        select(AdminUnit.code, AdminUnit.id).where(AdminUnit.scheme == scheme, AdminUnit.level == "commune")
    ).all()
    return {code: unit_id or 0 for code, unit_id in rows}


def import_conversion(session: Session, *, path: Path, progress: Progress | None = None) -> ConversionResult:
    """Make `unit_conversion` equal to the file (both unit lists loaded first). Rows naming a commune
    missing from the loaded lists are skipped and counted. Idempotent; flushes only."""
    say = progress or (lambda _: None)
    started = time.perf_counter()
    result = ConversionResult()
    rows = read_conversion(path)
    result.rows = len(rows)
    old_ids, new_ids = _commune_ids(session, SCHEME_2004), _commune_ids(session, SCHEME_2025)
    wanted: dict[tuple[int, int], bool] = {}
    for old, new, partly in rows:
        if old not in old_ids or new not in new_ids:
            result.skipped.append((old, new))
            continue
        wanted[(old_ids[old], new_ids[new])] = partly
    have = {
        (o, n): p
        for o, n, p in session.exec(
            select(UnitConversion.old_unit_id, UnitConversion.new_unit_id, UnitConversion.partly_merged)
        ).all()
    }
    stale = [key for key, partly in have.items() if wanted.get(key) != partly]
    for chunk in _chunks(stale, 500):
        for old_id, new_id in chunk:
            session.execute(
                delete(UnitConversion).where(
                    col(UnitConversion.old_unit_id) == old_id, col(UnitConversion.new_unit_id) == new_id
                )
            )
    fresh = [
        {"old_unit_id": o, "new_unit_id": n, "partly_merged": p}
        for (o, n), p in wanted.items()
        if have.get((o, n)) != p
    ]
    for chunk in _chunks(fresh, 1000):
        session.execute(insert(table_of(UnitConversion)), chunk)
    session.flush()
    result.inserted = len(fresh)
    result.removed = len(stale) - sum(1 for key in stale if key in wanted)
    result.unchanged = len(wanted) - len(fresh)
    result.seconds = time.perf_counter() - started
    say(
        f"  chuyển đổi 2025: {len(rows)} dòng — thêm {result.inserted}, bỏ {result.removed}, giữ nguyên "
        f"{result.unchanged}, thiếu đơn vị {len(result.skipped)} (conversion rows inserted/removed/unchanged/skipped)"
    )
    return result


def import_shipped_conversion(session: Session, *, progress: Progress | None = None) -> ConversionResult:
    return import_conversion(session, path=DATA_DIR / SHIPPED_FILE, progress=progress)


def _chunks(items: list[Any], size: int) -> Iterable[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# --- where a hamlet is in the 2025 tree -----------------------------------------------------------------


def path_ids(path: str) -> list[int]:
    return [int(p) for p in path.strip("/").split("/") if p]


@dataclass(frozen=True)
class Area:
    """The hamlets a 2025 unit (province or commune) contains, described by their parents.

    `inside`: the unit's 2025 communes (native 2025 hamlets hang off them). `old`: each pre-2025 commune
    that sent at least part of itself into the unit, with all its 2025 communes (some may lie outside).
    Data is read from the hamlet rows whose parent is in either, and `owner` says where each goes.
    """

    unit: AdminUnit
    inside: frozenset[int]
    old: dict[int, tuple[int, ...]]
    paths: dict[int, str]  # of the unit's 2025 communes

    @property
    def parents(self) -> list[int]:
        return sorted(self.inside | set(self.old))

    def owner(self, parent_id: int, assigned: int | None) -> int | None:
        """The 2025 commune inside the unit a hamlet belongs to; UNASSIGNED for a hamlet of a split
        commune not assigned yet (only inside a province); None when the hamlet is not the unit's."""
        if parent_id in self.inside:
            return parent_id
        candidates = self.old.get(parent_id)
        if not candidates:
            return None
        if len(candidates) == 1:
            return candidates[0] if candidates[0] in self.inside else None
        if assigned is not None:
            return assigned if assigned in self.inside else None
        return UNASSIGNED if self.unit.level == "province" else None


def area_of(session: Session, unit: AdminUnit) -> Area:
    """Two small queries: the unit's 2025 communes, and the conversion rows of the old communes that
    sent anything into it."""
    assert unit.scheme == SCHEME_2025 and unit.level in ("province", "commune")
    if unit.level == "commune":
        paths = {unit.id or 0: unit.path}
    else:
        paths = {
            i or 0: path
            for i, path in session.exec(select(AdminUnit.id, AdminUnit.path).where(AdminUnit.parent_id == unit.id))
        }
    inside = frozenset(paths)
    into = select(UnitConversion.old_unit_id).where(col(UnitConversion.new_unit_id).in_(sorted(inside)))
    old: dict[int, list[int]] = {}
    for old_id, new_id in session.exec(
        select(UnitConversion.old_unit_id, UnitConversion.new_unit_id)
        .where(col(UnitConversion.old_unit_id).in_(into))
        .order_by(col(UnitConversion.old_unit_id), col(UnitConversion.new_unit_id))
    ).all():
        old.setdefault(old_id, []).append(new_id)
    return Area(unit=unit, inside=inside, old={k: tuple(v) for k, v in old.items()}, paths=paths)


def candidates_of(session: Session, old_commune_id: int) -> list[int]:
    return list(
        session.exec(
            select(UnitConversion.new_unit_id)
            .where(UnitConversion.old_unit_id == old_commune_id)
            .order_by(col(UnitConversion.new_unit_id))
        ).all()
    )


def new_commune_of(session: Session, hamlet: AdminUnit) -> tuple[int | None, list[int]]:
    """(the 2025 commune of a pre-2025 hamlet or None while unassigned, the candidates)."""
    candidates = candidates_of(session, hamlet.parent_id or 0)
    if len(candidates) == 1:
        return candidates[0], candidates
    assigned = session.get(HamletAssignment, hamlet.id)
    return (assigned.commune_id if assigned and assigned.commune_id in candidates else None), candidates


def contained_in(session: Session, unit: AdminUnit, outer_path: str) -> bool:
    """Whether a pre-2025 unit lies wholly inside the 2025 unit whose path is `outer_path`.

    A hamlet: its 2025 commune is inside (unassigned: every candidate of its commune is, which only a
    province can hold). A commune: every 2025 commune it went into is inside. A district or province:
    each of its communes is (and it has at least one).
    """
    if unit.scheme != SCHEME_2004:
        return False
    if unit.level == "hamlet":
        target, candidates = new_commune_of(session, unit)
        wanted = [target] if target is not None else candidates
    else:
        communes = (
            [unit.id or 0]
            if unit.level == "commune"
            else select(AdminUnit.id).where(AdminUnit.level == "commune", col(AdminUnit.path).startswith(unit.path))
        )
        wanted = list(
            session.exec(
                select(UnitConversion.new_unit_id).where(col(UnitConversion.old_unit_id).in_(communes)).distinct()
            ).all()
        )
    if not wanted:
        return False
    outside = session.exec(
        select(func.count())
        .select_from(AdminUnit)
        .where(col(AdminUnit.id).in_(wanted), col(AdminUnit.path).startswith(outer_path).is_(False))
    ).one()
    return outside == 0


def chain_2025(session: Session, hamlet: AdminUnit) -> list[AdminUnit]:
    """The 2025 units above a pre-2025 hamlet, province first ([] while it is unassigned between
    several provinces)."""
    target, candidates = new_commune_of(session, hamlet)
    if target is not None:
        commune = session.get(AdminUnit, target)
        if commune is None:
            return []
        above = {u.id: u for u in session.exec(select(AdminUnit).where(col(AdminUnit.id).in_(path_ids(commune.path))))}
        return [above[i] for i in path_ids(commune.path) if i in above]
    provinces = {
        path_ids(p)[0] for p in session.exec(select(AdminUnit.path).where(col(AdminUnit.id).in_(candidates))).all()
    }
    if len(provinces) != 1:
        return []
    province = session.get(AdminUnit, provinces.pop())
    return [province] if province is not None else []


def pre_2025_units_reaching(session: Session, unit: AdminUnit) -> list[int]:
    """The pre-2025 communes that sent anything into a 2025 province or commune, and the districts and
    provinces above them: the units whose campaigns reach it."""
    if unit.scheme != SCHEME_2025 or unit.level not in ("province", "commune"):
        return []
    old = list(area_of(session, unit).old)
    paths = session.exec(select(AdminUnit.path).where(col(AdminUnit.id).in_(old))).all() if old else []
    return sorted({i for path in paths for i in path_ids(path)})
