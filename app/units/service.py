"""Administrative units: the tree, hamlets created by communes, diacritic-insensitive search."""

from sqlalchemy import case, func
from sqlmodel import Session, col, select

from app.auth.scope import Scope
from app.errors import AppError, Conflict, Forbidden, Invalid, NotFound, OutsideYourArea
from app.households import service as households
from app.households.schemas import HouseholdIn
from app.models import AdminUnit, AreaVersion, Household, Team, VolunteerArea
from app.models.base import utcnow
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


# --- hamlet management (officials of the commune and above) -------------------------------------------


class NotAHamlet(Invalid):
    code = "not_a_hamlet"
    message_vi = "Đơn vị này không phải là thôn/ấp."
    message_en = "This unit is not a hamlet."


class HamletInactive(Conflict):
    code = "hamlet_inactive"
    message_vi = "Thôn/ấp này đã ngừng sử dụng."
    message_en = "This hamlet is no longer in use."


def _managed_hamlet(session: Session, scope: Scope, hamlet_id: int) -> AdminUnit:
    hamlet = get_unit(session, hamlet_id)
    if hamlet.level != "hamlet":
        raise NotAHamlet(details={"unit_id": hamlet_id})
    if not scope.is_admin and scope.unit_path is None:
        raise Forbidden()
    scope.require_unit(hamlet)
    return hamlet


def list_hamlets(session: Session, *, scope: Scope, commune_id: int) -> list[dict[str, object]]:
    """A commune's hamlets with how many households, volunteers and teams each has; inactive ones last."""
    commune = get_unit(session, commune_id)
    if not scope.can_read_unit(commune):
        raise OutsideYourArea(details={"unit_id": commune_id})
    hamlets = list(session.exec(select(AdminUnit).where(AdminUnit.parent_id == commune.id)).all())
    ids = [h.id for h in hamlets]

    def count_by(column: object, extra: object = None) -> dict[int, int]:
        if not ids:
            return {}
        stmt = select(column, func.count()).where(col(column).in_(ids))  # type: ignore[call-overload]
        if extra is not None:
            stmt = stmt.where(extra)
        return {int(k): int(n) for k, n in session.exec(stmt.group_by(column)).all()}

    households = count_by(Household.hamlet_id, col(Household.deleted_at).is_(None))
    volunteers = count_by(VolunteerArea.hamlet_id)
    teams = count_by(Team.unit_id)
    rows = [
        {
            **h.model_dump(),
            "child_count": 0,
            "active": h.valid_to is None,
            "household_count": households.get(h.id or 0, 0),
            "volunteer_count": volunteers.get(h.id or 0, 0),
            "team_count": teams.get(h.id or 0, 0),
        }
        for h in hamlets
    ]
    rows.sort(key=lambda r: (not r["active"], str(r["search_key"])))
    return rows


def rename_hamlet(session: Session, *, scope: Scope, hamlet_id: int, name: str, unit_type: str | None) -> AdminUnit:
    hamlet = _managed_hamlet(session, scope, hamlet_id)
    name = nfc(name)
    if not name:
        raise Invalid("Tên thôn/ấp không được để trống.", "The hamlet needs a name.", code="name_required")
    taken = session.exec(
        select(AdminUnit.id).where(
            AdminUnit.parent_id == hamlet.parent_id, AdminUnit.search_key == fold(name), AdminUnit.id != hamlet.id
        )
    ).first()
    if taken is not None:
        raise HamletExists(details={"name": name})
    hamlet.name = name
    hamlet.search_key = fold(name)
    if unit_type is not None:
        hamlet.unit_type = nfc(unit_type).lower() or hamlet_type(name)
    session.add(hamlet)
    session.flush()
    return hamlet


def set_hamlet_active(session: Session, *, scope: Scope, hamlet_id: int, active: bool) -> AdminUnit:
    """A hamlet is never deleted (households, visits and reports refer to it): it stops being offered."""
    hamlet = _managed_hamlet(session, scope, hamlet_id)
    if active:
        hamlet.valid_to = None
    elif hamlet.valid_to is None:
        hamlet.valid_to = utcnow().date()
    session.add(hamlet)
    session.flush()
    return hamlet


def merge_hamlets(session: Session, *, scope: Scope, hamlet_id: int, into_id: int) -> dict[str, int]:
    """Move everything of `hamlet_id` into `into_id` (same commune), then deactivate it.

    Households move through the household service so visits, people, derived figures and the phones of
    both hamlets follow (the phones of the old hamlet pull tombstones). Volunteers' areas and teams move too.
    """
    source = _managed_hamlet(session, scope, hamlet_id)
    target = _managed_hamlet(session, scope, into_id)
    if source.id == target.id:
        raise Invalid("Chọn hai thôn/ấp khác nhau.", "Choose two different hamlets.", code="same_hamlet")
    if source.parent_id != target.parent_id:
        raise Invalid(
            "Chỉ gộp được hai thôn/ấp của cùng một xã.",
            "Only two hamlets of the same commune can be merged.",
            code="different_communes",
        )
    if target.valid_to is not None:
        raise HamletInactive(details={"unit_id": target.id})
    moved = 0
    for household in session.exec(select(Household).where(Household.hamlet_id == source.id)).all():
        data = HouseholdIn.model_validate(
            {
                **household.model_dump(include=set(HouseholdIn.model_fields) - {"id", "deleted", "hamlet_id"}),
                "id": household.id,
                "hamlet_id": target.id,
                "deleted": household.deleted_at is not None,
            }
        )
        households.upsert_household(session, actor=scope.user, scope=scope, data=data)
        moved += 1
    areas = session.exec(select(VolunteerArea).where(VolunteerArea.hamlet_id == source.id)).all()
    for area in areas:
        if session.get(VolunteerArea, (area.user_id, target.id)) is None:
            session.add(VolunteerArea(user_id=area.user_id, hamlet_id=target.id))  # type: ignore[arg-type]
        session.delete(area)
    teams = session.exec(select(Team).where(Team.unit_id == source.id)).all()
    for team in teams:
        team.unit_id = target.id  # type: ignore[assignment]
        session.add(team)
    source.valid_to = utcnow().date()
    session.add(source)
    session.flush()
    return {"households": moved, "volunteers": len(areas), "teams": len(teams)}
