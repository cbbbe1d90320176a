import unicodedata

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.models import HouseholdHistory, UnitCoverage
from tests.factories import aggregate, login, make_tree, make_user, new_id
from tests.test_visits import SKILLS


def _world(client: TestClient, session: Session):  # type: ignore[no-untyped-def]
    tree = make_tree(session)
    official = make_user(session, "commune_official", unit=tree.commune)
    session.commit()
    return tree, login(client, official.phone)


def _household(client: TestClient, headers, hamlet_id: int, head: str, address: str) -> str:  # type: ignore[no-untyped-def]
    hid = new_id()
    body = {"id": hid, "hamlet_id": hamlet_id, "address": address, "head_name": head}
    assert client.post("/api/v1/households", json=body, headers=headers).status_code == 201
    return hid


def _met(client: TestClient, headers, hid: str, skills: dict[str, str] | None, outcome: str = "met") -> None:  # type: ignore[no-untyped-def]
    people = []
    if skills is not None:
        pid = new_id()
        assert client.post("/api/v1/people", json={"id": pid, "household_id": hid}, headers=headers).status_code == 201
        people = [{"person_id": pid, "skills": skills}]
    visit = {
        "id": new_id(),
        "household_id": hid,
        "visited_at": "2024-10-03T10:00:00+07:00",
        "outcome": outcome,
        "consent_given": True,
        "people": people,
    }
    assert client.post("/api/v1/visits", json=visit, headers=headers).status_code == 201


def test_search_folds_diacritics_and_nfd(client: TestClient, session: Session) -> None:
    tree, headers = _world(client, session)
    _household(client, headers, tree.hamlet.id, "Nguyễn Văn A", "Số 1")
    _household(client, headers, tree.hamlet.id, "Trần Thị Hoà", "Số 2")
    _household(client, headers, tree.hamlet.id, "Đặng Hòa Bình", "Số 3")

    def heads(q: str) -> set[str]:
        items = client.get("/api/v1/households", params={"q": q}, headers=headers).json()["items"]
        return {i["head_name"] for i in items}

    assert heads("nguyen van a") == {"Nguyễn Văn A"}
    assert heads("hoa") == {"Trần Thị Hoà", "Đặng Hòa Bình"}
    assert heads("dang") == {"Đặng Hòa Bình"}
    assert heads(unicodedata.normalize("NFD", "Nguyễn")) == {"Nguyễn Văn A"}


def test_status_filters_and_pagination(client: TestClient, session: Session) -> None:
    tree, headers = _world(client, session)
    covered = _household(client, headers, tree.hamlet.id, "Hộ phủ", "Số 1")
    taught = _household(client, headers, tree.hamlet.id, "Hộ đã hướng dẫn", "Số 2")
    away = _household(client, headers, tree.hamlet.id, "Hộ vắng", "Số 3")
    untouched = _household(client, headers, tree.hamlet.id, "Hộ chưa thăm", "Số 4")
    _met(client, headers, covered, dict.fromkeys(SKILLS, "proficient"))
    _met(client, headers, taught, {"online_payment": "taught"})
    _met(client, headers, away, None, outcome="not_home")

    def ids(status: str) -> set[str]:
        items = client.get("/api/v1/households", params={"status": status}, headers=headers).json()["items"]
        return {i["id"] for i in items}

    assert ids("visited") == {covered, taught}
    assert ids("not_visited") == {away, untouched}
    assert ids("covered") == {covered}
    assert ids("to_revisit") == {taught, away}
    page = client.get("/api/v1/households", params={"limit": 2, "offset": 2}, headers=headers).json()
    assert page["total"] == 4 and len(page["items"]) == 2
    assert [i["address"] for i in page["items"]] == ["Số 3", "Số 4"]
    bad = client.get("/api/v1/households", params={"status": "everything"}, headers=headers)
    assert bad.status_code == 422


def test_updates_keep_history_and_moves_carry_the_figures(client: TestClient, session: Session) -> None:
    tree, headers = _world(client, session)
    hid = _household(client, headers, tree.hamlet.id, "Lê Thị Mai", "Số 7")
    _met(client, headers, hid, dict.fromkeys(SKILLS, "proficient"))
    r = client.patch(f"/api/v1/households/{hid}", json={"hamlet_id": tree.other_hamlet.id}, headers=headers)
    assert r.status_code == 200, r.text
    history = session.exec(select(HouseholdHistory)).all()
    assert [h.previous["hamlet_id"] for h in history] == [tree.hamlet.id]
    old = aggregate(session, UnitCoverage, (tree.hamlet.id, 0))
    new = aggregate(session, UnitCoverage, (tree.other_hamlet.id, 0))
    commune = aggregate(session, UnitCoverage, (tree.commune.id, 0))
    assert old is not None and new is not None and commune is not None
    assert (old.households, old.households_covered_1) == (0, 0)
    assert (new.households, new.households_covered_1) == (1, 1)
    assert (commune.households, commune.households_covered_1) == (1, 1)
    detail = client.get(f"/api/v1/households/{hid}", headers=headers).json()
    assert detail["hamlet_id"] == tree.other_hamlet.id and detail["status"]["covered"] is True


def test_removing_a_person_uncovers_the_household(client: TestClient, session: Session) -> None:
    tree, headers = _world(client, session)
    hid = _household(client, headers, tree.hamlet.id, "Huỳnh Văn Sáu", "Số 8")
    _met(client, headers, hid, dict.fromkeys(SKILLS, "proficient"))
    person = client.get(f"/api/v1/households/{hid}", headers=headers).json()["people"][0]
    body = {"id": person["id"], "household_id": hid, "deleted": True}
    assert client.post("/api/v1/people", json=body, headers=headers).status_code == 200
    row = aggregate(session, UnitCoverage, (tree.province.id, 0))
    assert row is not None and (row.households_covered_1, row.people_proficient_all, row.households) == (0, 0, 1)
