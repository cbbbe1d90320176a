"""The commune an import goes into: the one the official chooses, else the one the file's title block
names ("UBND XÃ …", told apart from its namesakes by the district or province named beside it), else the
official's own; always within the official's area."""

from sqlmodel import Session, select

from app.auth.scope import Scope
from app.errors import Forbidden, Invalid, NotFound, OutsideYourArea
from app.households import import_layout as layout
from app.households.import_rows import without_type
from app.models import AdminUnit
from app.text import fold
from app.units import service as units

IMPORT_ROLES = ("commune_official", "district_official", "province_official", "admin")


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
                    if a.level != "commune" and without_type(a.search_key) in text
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
