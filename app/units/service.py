"""Administrative units: the tree, hamlets created by communes, diacritic-insensitive search."""

from sqlmodel import Session, col, select

from app.errors import AppError, Invalid, NotFound
from app.models import AdminUnit
from app.models.units import SCHEME_2004
from app.text import fold, nfc

CHILD_LEVEL = {"province": ("district", "commune"), "district": ("commune",), "commune": ("hamlet",)}


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


def create_hamlet(session: Session, *, commune: AdminUnit, name: str, unit_type: str = "") -> AdminUnit:
    if commune.level != "commune":
        raise Invalid("Chỉ xã/phường mới có thôn, ấp.", "Only a commune can have hamlets.", code="not_a_commune")
    name = nfc(name)
    if not name:
        raise Invalid("Tên thôn/ấp không được để trống.", "The hamlet needs a name.", code="name_required")
    siblings = session.exec(select(AdminUnit).where(AdminUnit.parent_id == commune.id)).all()
    if any(s.search_key == fold(name) for s in siblings):
        raise HamletExists(details={"name": name})
    number = 1 + max((int(s.code.rsplit("-", 1)[-1]) for s in siblings if "-" in s.code), default=0)
    return create_unit(
        session,
        scheme=commune.scheme,
        level="hamlet",
        code=f"{commune.code}-{number:02d}",
        name=name,
        parent=commune,
        unit_type=unit_type or name.split(" ")[0].lower(),
    )


def get_unit(session: Session, unit_id: int) -> AdminUnit:
    unit = session.get(AdminUnit, unit_id)
    if unit is None:
        raise UnitNotFound(details={"unit_id": unit_id})
    return unit


def children(session: Session, *, unit_id: int | None, scheme: str = SCHEME_2004) -> list[AdminUnit]:
    query = select(AdminUnit).where(AdminUnit.scheme == scheme)
    query = query.where(AdminUnit.parent_id == unit_id) if unit_id else query.where(AdminUnit.level == "province")
    return list(session.exec(query.order_by(AdminUnit.code)).all())


def search(
    session: Session, *, query: str, scheme: str | None = None, level: str | None = None, limit: int = 20
) -> list[AdminUnit]:
    """`dang` finds `Đặng`, `vi thuy` finds `Vị Thuỷ`, `hoa` finds `Hoà` and `Hòa`; NFD input works."""
    key = fold(query)
    if not key:
        return []
    stmt = select(AdminUnit).where(col(AdminUnit.search_key).contains(key))
    if scheme:
        stmt = stmt.where(AdminUnit.scheme == scheme)
    if level:
        stmt = stmt.where(AdminUnit.level == level)
    return list(session.exec(stmt.order_by(AdminUnit.level, AdminUnit.search_key).limit(limit)).all())
