import unicodedata
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, String, cast, func
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select
from typer.testing import CliRunner

from app import cli, db
from app.models import AdminUnit, AreaVersion
from app.units import importer, service
from tests.factories import Tree, login, make_team, make_tree, make_user

HEADER_2004 = (
    "province_code,province_name,province_type,district_code,district_name,district_type,"
    "commune_code,commune_name,commune_type\n"
)
SMALL_2004 = HEADER_2004 + (
    "93,Tỉnh Hậu Giang,tỉnh,930,Thành phố Vị Thanh,thành phố,31318,Phường I,phường\n"
    "93,Tỉnh Hậu Giang,tỉnh,930,Thành phố Vị Thanh,thành phố,31321,Phường III,phường\n"
    "93,Tỉnh Hậu Giang,tỉnh,935,Huyện Vị Thuỷ,huyện,31471,Xã Vị Thuỷ,xã\n"
    "15,Tỉnh Yên Bái,tỉnh,132,Thành phố Yên Bái,thành phố,04249,Phường Hồng Hà,phường\n"
)
SMALL_2025 = (
    "province_code,province_name,province_type,commune_code,commune_name,commune_type\n"
    "92,Thành phố Cần Thơ,thành phố trung ương,31318,Phường Vị Thanh,phường\n"
    "15,Tỉnh Lào Cai,tỉnh,04249,Phường Yên Bái,phường\n"
)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def unit(session: Session, scheme: str, level: str, code: str) -> AdminUnit:
    return service.get_by_code(session, scheme=scheme, level=level, code=code)


def counts(result: importer.ImportResult) -> tuple[int, int, int]:
    return result.inserted, result.updated, result.unchanged


# --- search -----------------------------------------------------------------------------------------


@pytest.fixture
def tree(session: Session) -> Tree:
    tree = make_tree(session)
    # Old-style (Hoà) and new-style (Hòa) accent placement both occur in official names.
    service.create_unit(
        session, scheme="vn2004", level="commune", code="31480", name="Xã Hòa An", parent=tree.other_district
    )
    service.create_hamlet(session, commune=tree.far_commune, name="Ấp Đặng Văn Rớt")
    session.flush()
    return tree


def names(response_json: list[dict]) -> set[str]:  # type: ignore[type-arg]
    return {u["name"] for u in response_json}


def test_search_is_diacritic_and_form_insensitive(client: TestClient, session: Session, tree: Tree) -> None:
    headers = login(client, make_user(session, "volunteer", hamlets=[tree.hamlet]).phone)

    def search(q: str, **params: str) -> set[str]:
        response = client.get("/api/v1/units/search", params={"q": q, **params}, headers=headers)
        assert response.status_code == 200, response.text
        return names(response.json())

    assert "Ấp Đặng Văn Rớt" in search("dang")
    assert {"Huyện Vị Thuỷ", "Xã Vị Thuỷ"} <= search("vi thuy")
    assert {"Ấp Vị Hoà", "Xã Hòa An"} <= search("hoa")
    # Typed with the other accent placement, or decomposed (NFD) as some keyboards send it.
    assert "Xã Hòa An" in search("Hoà An")
    assert "Ấp Vị Hoà" in search("Vị Hòa")
    nfd = unicodedata.normalize("NFD", "Vị Thuỷ")
    assert nfd != "Vị Thuỷ"
    assert {"Huyện Vị Thuỷ", "Xã Vị Thuỷ"} <= search(nfd)
    assert search("VI   THUY", level="commune") == {"Xã Vị Thuỷ"}
    assert search("vi thuy", scheme="vn2025") == set()
    assert search("%") == set()


def test_search_puts_word_starts_and_bigger_units_first(session: Session, tree: Tree) -> None:
    hits = service.search(session, query="vi thuy")
    assert [h.name for h in hits[:2]] == ["Huyện Vị Thuỷ", "Xã Vị Thuỷ"]


def test_search_hits_carry_their_ancestors(client: TestClient, session: Session, tree: Tree) -> None:
    headers = login(client, make_user(session, "volunteer", hamlets=[tree.hamlet]).phone)
    hits = client.get("/api/v1/units/search", params={"q": "dang"}, headers=headers).json()
    (hit,) = [h for h in hits if h["name"] == "Ấp Đặng Văn Rớt"]
    assert [a["name"] for a in hit["ancestors"]] == ["Tỉnh Hậu Giang", "Huyện Vị Thuỷ", "Xã Vị Thuỷ"]


# --- reading the tree -------------------------------------------------------------------------------


def test_children_and_breadcrumb(client: TestClient, session: Session, tree: Tree) -> None:
    headers = login(client, make_user(session, "volunteer", hamlets=[tree.hamlet]).phone)
    provinces = client.get("/api/v1/units", headers=headers).json()
    assert [(p["code"], p["name"], p["child_count"]) for p in provinces] == [("93", "Tỉnh Hậu Giang", 2)]

    districts = client.get("/api/v1/units", params={"parent_id": tree.province.id}, headers=headers).json()
    assert [d["name"] for d in districts] == ["Thành phố Vị Thanh", "Huyện Vị Thuỷ"]

    hamlet = client.get(f"/api/v1/units/{tree.hamlet.id}", headers=headers).json()
    assert hamlet["name"] == "Khu vực 1"
    assert [a["name"] for a in hamlet["ancestors"]] == ["Tỉnh Hậu Giang", "Thành phố Vị Thanh", "Phường I"]


def test_reading_units_needs_a_login_and_an_existing_unit(client: TestClient, session: Session, tree: Tree) -> None:
    assert client.get("/api/v1/units").status_code == 401
    headers = login(client, make_user(session, "volunteer", hamlets=[tree.hamlet]).phone)
    missing = client.get("/api/v1/units/999999", headers=headers)
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "unit_not_found"
    assert client.get("/api/v1/units", params={"parent_id": 999999}, headers=headers).status_code == 404
    bad_scheme = client.get("/api/v1/units", params={"scheme": "vn1990"}, headers=headers)
    assert bad_scheme.status_code == 422
    assert bad_scheme.json()["error"]["code"] == "invalid"


# --- hamlets ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "where", "status"),
    [
        ("commune_official", "commune", 201),
        ("district_official", "district", 201),
        ("province_official", "province", 201),
        ("admin", None, 201),
        ("commune_official", "other_commune", 403),
        ("district_official", "other_district", 403),
        ("team_leader", "hamlet", 403),
        ("volunteer", "hamlet", 403),
    ],
)
def test_who_may_add_a_hamlet(
    client: TestClient, session: Session, tree: Tree, role: str, where: str | None, status: int
) -> None:
    if role in ("volunteer", "team_leader"):
        user = make_user(session, role, hamlets=[tree.hamlet])
        if role == "team_leader":
            make_team(session, unit=tree.commune, leader=user)
    else:
        user = make_user(session, role, unit=getattr(tree, where) if where else None)
    headers = login(client, user.phone)
    response = client.post(f"/api/v1/units/{tree.commune.id}/hamlets", json={"name": "Khu vực 4"}, headers=headers)
    assert response.status_code == status, response.text
    if status == 403:
        assert response.json()["error"]["code"] == "outside_your_area"
        return
    hamlet = response.json()
    assert (hamlet["level"], hamlet["unit_type"], hamlet["parent_id"]) == ("hamlet", "khu vực", tree.commune.id)
    assert hamlet["path"] == f"{tree.commune.path}{hamlet['id']}/"
    assert hamlet["code"] == "31318-03"  # after Khu vực 1 and 2
    assert session.get(AreaVersion, hamlet["id"]) is not None


def test_hamlet_names_are_checked(client: TestClient, session: Session, tree: Tree) -> None:
    headers = login(client, make_user(session, "commune_official", unit=tree.commune).phone)
    url = f"/api/v1/units/{tree.commune.id}/hamlets"
    created = client.post(url, json={"name": "  Ấp   Thạnh Lợi "}, headers=headers)
    assert created.status_code == 201
    assert (created.json()["name"], created.json()["unit_type"]) == ("Ấp Thạnh Lợi", "ấp")
    again = client.post(url, json={"name": "ap thanh loi"}, headers=headers)
    assert (again.status_code, again.json()["error"]["code"]) == (409, "hamlet_exists")
    blank = client.post(url, json={"name": "   "}, headers=headers)
    assert (blank.status_code, blank.json()["error"]["code"]) == (422, "name_required")
    assert client.post(url, json={"name": "x" * 201}, headers=headers).status_code == 422
    typed = client.post(url, json={"name": "Số 7", "unit_type": "Tổ dân phố"}, headers=headers)
    assert typed.json()["unit_type"] == "tổ dân phố"

    district_headers = login(client, make_user(session, "district_official", unit=tree.district).phone)
    not_commune = client.post(
        f"/api/v1/units/{tree.district.id}/hamlets", json={"name": "Ấp 1"}, headers=district_headers
    )
    assert (not_commune.status_code, not_commune.json()["error"]["code"]) == (422, "not_a_commune")


# --- import -----------------------------------------------------------------------------------------


def test_import_is_idempotent_and_keeps_schemes_apart(session: Session, tmp_path: Path) -> None:
    legacy = write(tmp_path, "legacy.csv", SMALL_2004)
    current = write(tmp_path, "current.csv", SMALL_2025)

    first = importer.import_file(session, path=legacy, scheme="vn2004")
    assert counts(first) == (2 + 3 + 4, 0, 0)
    assert counts(importer.import_file(session, path=current, scheme="vn2025")) == (2 + 2, 0, 0)
    assert counts(importer.import_file(session, path=legacy, scheme="vn2004")) == (0, 0, 9)
    assert counts(importer.import_file(session, path=current, scheme="vn2025")) == (0, 0, 4)

    # The same code, two places: province 15 is Yên Bái before 2025 and Lào Cai after.
    assert unit(session, "vn2004", "province", "15").name == "Tỉnh Yên Bái"
    assert unit(session, "vn2025", "province", "15").name == "Tỉnh Lào Cai"
    old = unit(session, "vn2004", "commune", "31471")
    new = unit(session, "vn2025", "commune", "31318")
    district = unit(session, "vn2004", "district", "935")
    assert old.path == f"/{district.parent_id}/{district.id}/{old.id}/"
    assert (old.search_key, old.unit_type, old.province_code) == ("xa vi thuy", "xã", "93")
    assert (old.valid_from, old.valid_to) == (None, date(2025, 6, 30))
    assert (new.valid_from, new.valid_to) == (date(2025, 7, 1), None)
    assert new.path == f"/{new.parent_id}/{new.id}/"


def test_reimport_updates_what_changed_and_moves_hamlets_along(session: Session, tmp_path: Path) -> None:
    importer.import_file(session, path=write(tmp_path, "a.csv", SMALL_2004), scheme="vn2004")
    commune = unit(session, "vn2004", "commune", "31321")
    hamlet = service.create_hamlet(session, commune=commune, name="Khu vực 5")
    # Phường III renamed and moved under Huyện Vị Thuỷ.
    changed = SMALL_2004.replace(
        "930,Thành phố Vị Thanh,thành phố,31321,Phường III", "935,Huyện Vị Thuỷ,huyện,31321,Phường Ba"
    )
    result = importer.import_file(session, path=write(tmp_path, "b.csv", changed), scheme="vn2004")
    assert counts(result) == (0, 1, 8)
    assert result.levels["commune"].updated == 1
    session.expire_all()
    district = unit(session, "vn2004", "district", "935")
    commune = unit(session, "vn2004", "commune", "31321")
    assert (commune.name, commune.search_key, commune.parent_id) == ("Phường Ba", "phuong ba", district.id)
    assert commune.path == f"{district.path}{commune.id}/"
    moved = session.get(AdminUnit, hamlet.id)
    assert moved is not None
    assert moved.path == f"{commune.path}{hamlet.id}/"


def test_a_bad_file_is_refused_whole(session: Session, tmp_path: Path) -> None:
    with pytest.raises(importer.UnitFileInvalid) as missing:
        importer.import_file(session, path=write(tmp_path, "c.csv", SMALL_2025), scheme="vn2004")
    assert "district_code" in missing.value.message_en
    clash = SMALL_2004 + "93,Tỉnh Hậu Giang,tỉnh,930,Thành phố Vị Thanh,thành phố,31318,Phường Một,phường\n"
    with pytest.raises(importer.UnitFileInvalid):
        importer.import_file(session, path=write(tmp_path, "d.csv", clash), scheme="vn2004")
    assert session.exec(select(func.count()).select_from(AdminUnit)).one() == 0


def test_import_units_command_on_a_given_file(
    committed_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db, "get_engine", lambda: committed_engine)
    path = str(write(tmp_path, "units.csv", SMALL_2004))
    runner = CliRunner()
    first = runner.invoke(cli.app, ["import-units", path, "--scheme", "vn2004"])
    assert first.exit_code == 0, first.output
    assert "vn2004: thêm 9, sửa 0, giữ nguyên 0" in first.output
    second = runner.invoke(cli.app, ["import-units", path, "--scheme", "vn2004"])
    assert "vn2004: thêm 0, sửa 0, giữ nguyên 9" in second.output
    added = runner.invoke(cli.app, ["add-hamlet", "31318", "Khu vực 1"])
    assert added.exit_code == 0, added.output
    assert "Khu vực 1" in added.output
    duplicate = runner.invoke(cli.app, ["add-hamlet", "31318", "khu vuc 1"])
    assert duplicate.exit_code == 1
    wrong = runner.invoke(cli.app, ["import-units", path, "--scheme", "vn2025"])
    assert wrong.exit_code == 1


def test_shipped_lists_load_whole_with_consistent_paths(session: Session) -> None:
    results = {r.scheme: r for r in importer.import_shipped(session)}
    legacy, current = results["vn2004"].levels, results["vn2025"].levels
    assert {level: c.inserted for level, c in legacy.items()} == {"province": 63, "district": 691, "commune": 10051}
    assert {level: c.inserted for level, c in current.items()} == {"province": 34, "commune": 3321}

    per_level = dict(
        session.exec(
            select(AdminUnit.scheme + ":" + AdminUnit.level, func.count()).group_by(
                col(AdminUnit.scheme), col(AdminUnit.level)
            )
        ).all()
    )
    assert per_level == {
        "vn2004:province": 63,
        "vn2004:district": 691,
        "vn2004:commune": 10051,
        "vn2025:province": 34,
        "vn2025:commune": 3321,
    }
    parent = aliased(AdminUnit)
    broken = session.exec(
        select(func.count())
        .select_from(AdminUnit)
        .join(parent, col(parent.id) == AdminUnit.parent_id)
        .where(col(AdminUnit.path) != col(parent.path) + cast(AdminUnit.id, String) + "/")
    ).one()
    assert broken == 0
    hau_giang = unit(session, "vn2004", "province", "93")
    communes = session.exec(
        select(func.count()).where(AdminUnit.level == "commune", col(AdminUnit.path).startswith(hau_giang.path))
    ).one()
    assert communes == 75
    assert unit(session, "vn2025", "province", "92").name == "Thành phố Cần Thơ"
    assert [c.inserted for c in (r for s in importer.import_shipped(session) for r in s.levels.values())] == [0] * 5
