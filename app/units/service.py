"""Administrative units: the tree, hamlets created by communes, diacritic-insensitive search."""

from sqlalchemy import case, func
from sqlmodel import Session, col, select

from app.auth.scope import Scope
from app.errors import AppError, Invalid, NotFound
from app.models import AdminUnit, AreaVersion
from app.models.units import SCHEME_2004
from app.text import fold, nfc

CHILD_LEVEL = {"province": ("district", "commune"), "district": ("commune",), "commune": ("hamlet",)}
LEVEL_RANK = {"province": 0, "district": 1, "commune": 2, "hamlet": 3}
# What local names start with, longest first: "Khu vực 3" is a khu vực, not a khu.
HAMLET_TYPES = (
    "tổ dân phố",
    "khu dân cư",
    "khu vực",
    "khu phố",
    "thôn",
    "ấp",
    "bản",
    "buôn",
    "làng",
    "xóm",
    "khóm",
    "khu",
    "tổ",
    "sóc",
    "plei",
)


class UnitNotFound(NotFound):
    code = "unit_not_found"
    message_vi = "Không tìm thấy đơn vị hành chính."
    message_en = "Administrative unit not found."


def create_unit(
    session: Session,
    *,
    scheme: str,
    level: str,
    code: str,
    name: str,
    parent: AdminUnit | None,
    unit_type: str = "",
) -> AdminUnit:
    """Insert a unit and its materialized path ("/<province id>/…/<own id>/")."""
    name = nfc(name)
    unit = AdminUnit(
        scheme=scheme,
        level=level,
        code=code,
        name=name,
        unit_type=unit_type,
        search_key=fold(name),
        parent_id=parent.id if parent else None,
        province_code=parent.province_code if parent else code,
    )
    session.add(unit)
    session.flush()
    unit.path = f"{parent.path if parent else '/'}{unit.id}/"
    session.add(unit)
    return unit


class HamletExists(AppError):
    status_code = 409
    code = "hamlet_exists"
    message_vi = "Xã này đã có thôn/ấp cùng tên."
    message_en = "This commune already has a hamlet with that name."


def hamlet_type(name: str) -> str:
    """The kind of hamlet a local name announces ("Ấp Thạnh Lợi" → "ấp", "Khu vực 3" → "khu vực")."""
    key = fold(name)
    for kind in HAMLET_TYPES:
        if key == fold(kind) or key.startswith(fold(kind) + " "):
            return kind
    return "thôn"


def create_hamlet(session: Session, *, commune: AdminUnit, name: str, unit_type: str = "") -> AdminUnit:
    """Communes create their own hamlets; the code is local ("<commune code>-<n>"), never national.

    The hamlet's area_version row is created with it so the first sync write in it has a row to lock.
    """
    if commune.level != "commune":
        raise Invalid("Chỉ xã/phường mới có thôn, ấp.", "Only a commune can have hamlets.", code="not_a_commune")
    name = nfc(name)
    if not name:
        raise Invalid("Tên thôn/ấp không được để trống.", "The hamlet needs a name.", code="name_required")
    siblings = session.exec(select(AdminUnit).where(AdminUnit.parent_id == commune.id)).all()
    if any(s.search_key == fold(name) for s in siblings):
        raise HamletExists(details={"name": name})
    number = 1 + max((int(s.code.rsplit("-", 1)[-1]) for s in siblings if "-" in s.code), default=0)
    hamlet = create_unit(
        session,
        scheme=commune.scheme,
        level="hamlet",
        code=f"{commune.code}-{number:02d}",
        name=name,
        parent=commune,
        unit_type=nfc(unit_type).lower() or hamlet_type(name),
    )
    assert hamlet.id is not None
    session.add(AreaVersion(hamlet_id=hamlet.id, version=0))
    session.flush()
    return hamlet


def get_unit(session: Session, unit_id: int) -> AdminUnit:
    unit = session.get(AdminUnit, unit_id)
    if unit is None:
        raise UnitNotFound(details={"unit_id": unit_id})
    return unit


def get_by_code(session: Session, *, scheme: str, level: str, code: str) -> AdminUnit:
    """Codes are looked up with their scheme: "15" is Yên Bái in vn2004 and Lào Cai in vn2025."""
    unit = session.exec(
        select(AdminUnit).where(AdminUnit.scheme == scheme, AdminUnit.level == level, AdminUnit.code == code)
    ).first()
    if unit is None:
        raise UnitNotFound(details={"scheme": scheme, "level": level, "code": code})
    return unit


def _path_ids(path: str) -> list[int]:
    return [int(part) for part in path.strip("/").split("/") if part]


def ancestors_of(session: Session, units: list[AdminUnit]) -> dict[int, list[AdminUnit]]:
    """Each unit's chain from the province down to its parent, read from the paths in one query."""
    wanted = {i for u in units for i in _path_ids(u.path)[:-1]}
    found = {a.id: a for a in session.exec(select(AdminUnit).where(col(AdminUnit.id).in_(sorted(wanted))))}
    return {u.id: [found[i] for i in _path_ids(u.path)[:-1] if i in found] for u in units if u.id is not None}


def child_counts(session: Session, unit_ids: list[int]) -> dict[int, int]:
    if not unit_ids:
        return {}
    rows = session.exec(
        select(AdminUnit.parent_id, func.count())
        .where(col(AdminUnit.parent_id).in_(unit_ids))
        .group_by(col(AdminUnit.parent_id))
    ).all()
    return {parent: count for parent, count in rows if parent is not None}


def children(session: Session, *, unit_id: int | None, scheme: str = SCHEME_2004) -> list[AdminUnit]:
    """The units right below `unit_id`, or the provinces of the scheme when there is no parent."""
    if unit_id:
        get_unit(session, unit_id)
        query = select(AdminUnit).where(AdminUnit.parent_id == unit_id)
    else:
        query = select(AdminUnit).where(AdminUnit.scheme == scheme, AdminUnit.level == "province")
    return list(session.exec(query.order_by(col(AdminUnit.code))).all())


def search(
    session: Session, *, query: str, scheme: str | None = None, level: str | None = None, limit: int = 20
) -> list[AdminUnit]:
    """`dang` finds `Đặng`, `vi thuy` finds `Vị Thuỷ`, `hoa` finds `Hoà` and `Hòa`; NFD input works.

    Both sides are folded, so old-style (Hoà) and new-style (Hòa) accents and NFD/NFC meet. Names where a
    word starts with the query come before names that merely contain it; bigger units first.
    """
    key = fold(query)
    if not key:
        return []
    search_key = col(AdminUnit.search_key)
    stmt = select(AdminUnit).where(search_key.contains(key, autoescape=True))
    if scheme:
        stmt = stmt.where(AdminUnit.scheme == scheme)
    if level:
        stmt = stmt.where(AdminUnit.level == level)
    word_start = case(
        (search_key == key, 0),
        (search_key.startswith(key, autoescape=True), 1),
        (search_key.contains(" " + key, autoescape=True), 1),
        else_=2,
    )
    level_rank = case(LEVEL_RANK, value=col(AdminUnit.level), else_=9)
    ordered = stmt.order_by(word_start, level_rank, search_key, col(AdminUnit.id))
    return list(session.exec(ordered.limit(limit)).all())


def _with_counts(session: Session, units: list[AdminUnit]) -> list[dict[str, object]]:
    counts = child_counts(session, [u.id for u in units if u.id is not None])
    return [{**u.model_dump(), "child_count": counts.get(u.id or 0, 0)} for u in units]


def list_children(session: Session, *, parent_id: int | None, scheme: str = SCHEME_2004) -> list[dict[str, object]]:
    """The tree one level at a time, each unit with how many units sit right below it."""
    return _with_counts(session, children(session, unit_id=parent_id, scheme=scheme))


def unit_detail(session: Session, *, unit_id: int) -> dict[str, object]:
    unit = get_unit(session, unit_id)
    (row,) = _with_counts(session, [unit])
    return {**row, "ancestors": ancestors_of(session, [unit]).get(unit_id, [])}


def search_with_ancestors(
    session: Session, *, query: str, scheme: str | None = None, level: str | None = None, limit: int = 20
) -> list[dict[str, object]]:
    units = search(session, query=query, scheme=scheme, level=level, limit=limit)
    chains = ancestors_of(session, units)
    return [
        {**row, "ancestors": chains.get(u.id or 0, [])}
        for u, row in zip(units, _with_counts(session, units), strict=True)
    ]


def add_hamlet(session: Session, *, scope: Scope, commune_id: int, name: str, unit_type: str = "") -> AdminUnit:
    """Officials of the commune or above (and admins) add hamlets; everyone else is outside their area."""
    commune = get_unit(session, commune_id)
    scope.require_unit(commune)
    return create_hamlet(session, commune=commune, name=name, unit_type=unit_type)
