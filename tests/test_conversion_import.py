"""The 2025 conversion table loads by unit id, idempotently, and says what it could not place."""

from pathlib import Path

import pytest
from sqlmodel import Session, select

from app.models import UnitConversion
from app.units import conversion
from app.units.service import create_unit
from tests.factories import make_tree

HEADER = ",".join(conversion.COLUMNS) + "\n"


def test_the_conversion_table_loads_idempotently(session: Session, tmp_path: Path) -> None:
    old = make_tree(session)
    province = create_unit(session, scheme="vn2025", level="province", code="92", name="Thành phố Cần Thơ", parent=None)
    ward = create_unit(session, scheme="vn2025", level="commune", code="31321", name="Phường Vị Thanh", parent=province)
    commune = create_unit(session, scheme="vn2025", level="commune", code="31471", name="Xã Vị Thủy", parent=province)
    table = tmp_path / "conversion.csv"
    table.write_text(
        HEADER
        + "93,930,31318,92,31321,0\n93,930,31321,92,31321,0\n93,935,31471,92,31321,1\n93,935,31471,92,31471,1\n"
        + "93,935,31999,92,31471,0\n",  # an old commune missing from the loaded list
        encoding="utf-8",
    )
    first = conversion.import_conversion(session, path=table)
    assert (first.rows, first.inserted, first.removed, first.skipped) == (5, 4, 0, [("31999", "31471")])
    rows = set(session.exec(select(UnitConversion.old_unit_id, UnitConversion.new_unit_id)).all())
    assert rows == {
        (old.commune.id, ward.id),
        (old.other_commune.id, ward.id),
        (old.far_commune.id, ward.id),
        (old.far_commune.id, commune.id),
    }
    again = conversion.import_conversion(session, path=table)
    assert (again.inserted, again.removed, again.unchanged) == (0, 0, 4)
    # A new edition: the split commune goes whole into Xã Vị Thủy.
    table.write_text(
        HEADER + "93,930,31318,92,31321,0\n93,930,31321,92,31321,0\n93,935,31471,92,31471,0\n", encoding="utf-8"
    )
    changed = conversion.import_conversion(session, path=table)
    assert (changed.inserted, changed.removed, changed.unchanged) == (1, 1, 2)  # one pair gone, one re-flagged
    assert conversion.candidates_of(session, old.far_commune.id or 0) == [commune.id]


def test_a_bad_conversion_file_is_refused(session: Session, tmp_path: Path) -> None:
    table = tmp_path / "conversion.csv"
    table.write_text("old_commune_code,new_commune_code\n31318,31321\n", encoding="utf-8")
    with pytest.raises(conversion.ConversionFileInvalid):
        conversion.import_conversion(session, path=table)
    table.write_text(HEADER + "93,930,3131,92,31321,0\n", encoding="utf-8")
    with pytest.raises(conversion.ConversionFileInvalid):
        conversion.import_conversion(session, path=table)
