"""Input that cannot break the server (issue 9): text at the edge, ids, nulls, wildcards, exports."""

import csv
import io
import uuid

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlmodel import Session

from app.models import Household
from app.text import clean_text, csv_cell, printable
from tests.factories import Tree, login, make_campaign, make_tree, make_user, new_id
from tests.sync.helpers import household, new_client_id, numbered, person, push, statuses, visit

BIG = 2**31  # one past PostgreSQL's integer


def _official(client: TestClient, session: Session, role: str = "province_official"):  # type: ignore[no-untyped-def]
    tree = make_tree(session)
    unit = {"province_official": tree.province, "commune_official": tree.commune}[role]
    user = make_user(session, role, unit=unit)
    make_campaign(session, unit=tree.province)
    session.commit()
    return tree, login(client, user.phone)


def _volunteer(client: TestClient, session: Session):  # type: ignore[no-untyped-def]
    tree = make_tree(session)
    user = make_user(session, "volunteer", hamlets=[tree.hamlet])
    make_campaign(session, unit=tree.province)
    session.commit()
    return tree, login(client, user.phone)


def _post_household(client: TestClient, headers: dict[str, str], hamlet_id: int, **fields: object):  # type: ignore[no-untyped-def]
    body = {"id": new_id(), "hamlet_id": hamlet_id, "address": "Số 1", "head_name": "Nguyễn Văn A", **fields}
    return client.post("/api/v1/households", json=body, headers=headers)


# --- the one text cleaner -----------------------------------------------------------------------------


def test_clean_text_normalises_strips_invisible_and_refuses_control_characters() -> None:
    assert clean_text("  Nguye\u0302\u0303n \u200bVăn\u202e   A \t") == "Nguyễn Văn A"
    assert clean_text("dòng 1\r\n\r\n\r\n  dòng   2 ", multiline=True) == "dòng 1\n\ndòng 2"
    for bad in ("a\x00b", "a\x01b", "a\x7fb", "a\x9bb", "a\ud800b"):
        with pytest.raises(ValueError, match="control characters"):
            clean_text(bad)


def test_free_text_over_http_is_cleaned_or_refused_naming_the_field(client: TestClient, session: Session) -> None:
    tree, headers = _official(client, session, "commune_official")
    r = _post_household(client, headers, tree.hamlet.id, head_name="Lê\u200b Thị\u202e  Bé")
    assert r.status_code == 201, r.text
    assert r.json()["head_name"] == "Lê Thị Bé"
    for field, value in (("head_name", "Lê\x01Bé"), ("address", "Số\x00 1")):
        r = _post_household(client, headers, tree.hamlet.id, **{field: value})
        assert r.status_code == 422, r.text
        assert r.json()["error"]["details"][0]["loc"] == ["body", field]
        assert "U+00" in r.json()["error"]["details"][0]["msg"]


# --- 1. NUL in a pushed mutation ------------------------------------------------------------------------


def test_nul_in_a_pushed_mutation_rejects_that_mutation_only(client: TestClient, session: Session) -> None:
    tree, headers = _volunteer(client, session)
    good = household(tree.hamlet.id)
    p = person(good["id"])
    batch = numbered(
        [
            household(tree.hamlet.id, head_name="Trần\x00Bé"),
            good,
            person(good["id"], full_name="Lê\x00Tư"),
            p,
            visit(good["id"], [p["id"]], notes="ghi chú\x00"),
            visit(good["id"], [], consent_notice_version="2024\x00"),
            visit(good["id"], [p["id"]], day=3),
        ]
    )
    r = push(client, headers, new_client_id(), batch)
    assert r.status_code == 200, r.text
    assert statuses(r) == ["rejected", "applied", "rejected", "applied", "rejected", "rejected", "applied"]
    rejected = [x for x in r.json()["results"] if x["status"] == "rejected"]
    assert [x["details"][0]["loc"] for x in rejected] == [
        ["data", "head_name"],
        ["data", "full_name"],
        ["data", "notes"],
        ["data", "consent_notice_version"],
    ]
    # The phone resends (its answer was lost): still the same answers, never a 500.
    again = push(client, headers, new_client_id(), batch)
    assert again.status_code == 200


# --- 2 and 3. exports: stored control characters and formulas --------------------------------------------


HOSTILE = [
    ('=HYPERLINK("http://x.example","Bấm")', "Số 1"),
    ("+84 Trần", "-1+2"),
    ("@SUM(A1)", "\tSố 3"),
    ("Lê\x01Văn\x00Bé", "Ấp\x1b 4\u200b"),  # stored before the text checks existed
]


def _store_hostile(client: TestClient, session: Session, tree: Tree) -> None:
    """Households written through the API, then given the text rows stored before the checks held."""
    official = make_user(session, "commune_official", unit=tree.commune)
    session.commit()
    headers = login(client, official.phone)
    for head, address in HOSTILE:
        hid = _post_household(client, headers, tree.hamlet.id).json()["id"]
        row = session.get(Household, uuid.UUID(hid))
        assert row is not None
        row.head_name = head.replace("\x00", "") if session.get_bind().dialect.name == "postgresql" else head
        row.address = address
        session.add(row)
    session.commit()


def test_xlsx_exports_survive_stored_control_characters_and_never_hold_formulas(
    client: TestClient, session: Session
) -> None:
    tree, headers = _official(client, session)
    _store_hostile(client, session, tree)
    params = {"unit_id": tree.province.id, "campaign_id": 0}
    r = client.get("/api/v1/reports/to-visit.xlsx", params=params, headers=headers)
    assert r.status_code == 200, r.text
    ws = load_workbook(io.BytesIO(r.content)).active
    cells = [c for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert not [c.coordinate for c in cells if c.data_type != "s"]
    values = {c.value for c in cells}
    assert '=HYPERLINK("http://x.example","Bấm")' in values and "@SUM(A1)" in values
    assert "LêVănBé" in values and "Ấp 4" in values
    for export in ("coverage.xlsx", "progress.xlsx"):
        assert client.get(f"/api/v1/reports/{export}", params=params, headers=headers).status_code == 200


def test_csv_exports_neutralise_formulas(client: TestClient, session: Session) -> None:
    tree, headers = _official(client, session)
    _store_hostile(client, session, tree)
    r = client.get("/api/v1/reports/to-visit.csv", params={"unit_id": tree.province.id}, headers=headers)
    assert r.status_code == 200, r.text
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    text_cells = [c for row in rows[1:] for c in (row[2], row[3])]
    assert not [c for c in text_cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert '\'=HYPERLINK("http://x.example","Bấm")' in text_cells
    assert {"'+84 Trần", "'-1+2", "'@SUM(A1)", "LêVănBé"} <= set(text_cells)
    assert all(c.isprintable() for c in text_cells)


def test_export_cell_helpers() -> None:
    assert [csv_cell(s) for s in ("=1", "+1", "-1", "@a", "\ta", "\ra", "a=1", "")] == [
        "'=1",
        "'+1",
        "'-1",
        "'@a",
        "'\ta",
        "'\ra",
        "a=1",
        "",
    ]
    assert printable("a\x00b\x1fc\u202ed\ne") == "abcd e"


# --- 7. ids beyond PostgreSQL's integer -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", f"/api/v1/units/{BIG}", None),
        ("get", f"/api/v1/units?parent_id={BIG}", None),
        ("get", f"/api/v1/households?unit_id={BIG}", None),
        ("get", f"/api/v1/households?campaign_id={BIG}", None),
        ("get", f"/api/v1/reports/coverage?unit_id={BIG}", None),
        ("get", f"/api/v1/reports/to-visit.csv?campaign_id={BIG}", None),
        ("get", f"/api/v1/users/{BIG}", None),
        ("get", f"/api/v1/teams/{BIG}", None),
        ("get", f"/api/v1/campaigns/{BIG}", None),
        ("delete", f"/api/v1/teams/1/members/{BIG}", None),
        ("post", f"/api/v1/users/{BIG}/deactivate", None),
        ("post", "/api/v1/households", {"id": str(uuid.uuid4()), "hamlet_id": BIG}),
        (
            "post",
            "/api/v1/campaigns",
            {"name": "A", "starts_on": "2024-10-01", "ends_on": "2024-10-02", "unit_id": BIG},
        ),
        ("post", "/api/v1/teams", {"name": "Tổ", "unit_id": BIG}),
        ("put", f"/api/v1/users/{BIG}/area", {"hamlet_ids": [BIG]}),
    ],
)
def test_ids_beyond_int4_are_422_not_500(
    client: TestClient, session: Session, method: str, path: str, body: object
) -> None:
    _, headers = _official(client, session)
    r = client.request(method, path, json=body, headers=headers)
    assert r.status_code in (404, 422), (r.status_code, r.text)
    assert "error" in r.json()


def test_a_huge_id_in_a_pushed_mutation_is_rejected_alone(client: TestClient, session: Session) -> None:
    tree, headers = _volunteer(client, session)
    good = household(tree.hamlet.id)
    batch = numbered([household(BIG), good, visit(good["id"], [], campaign_id=BIG)])
    r = push(client, headers, new_client_id(), batch)
    assert statuses(r) == ["rejected", "applied", "rejected"]


# --- 8. nulls in PATCH -------------------------------------------------------------------------------------


def test_patch_household_with_null_for_a_required_field_is_422(client: TestClient, session: Session) -> None:
    tree, headers = _official(client, session, "commune_official")
    hid = _post_household(client, headers, tree.hamlet.id).json()["id"]
    for field in ("hamlet_id", "address", "head_name", "member_count"):
        r = client.patch(f"/api/v1/households/{hid}", json={field: None}, headers=headers)
        assert r.status_code == 422, (field, r.status_code, r.text)
        assert r.json()["error"]["details"][0]["loc"] == ["body", field]
    r = client.patch(f"/api/v1/households/{hid}", json={"phone": None, "latitude": None}, headers=headers)
    assert r.status_code == 200, r.text


# --- 14. wildcards, plausible values, strict types ---------------------------------------------------------


def test_percent_and_underscore_in_a_search_are_literal(client: TestClient, session: Session) -> None:
    tree, headers = _official(client, session, "commune_official")
    _post_household(client, headers, tree.hamlet.id, head_name="Nguyễn Văn A", address="Số 1")
    _post_household(client, headers, tree.hamlet.id, head_name="Hộ 100% đạt", address="Số_2")

    def heads(q: str) -> set[str]:
        r = client.get("/api/v1/households", params={"q": q}, headers=headers)
        assert r.status_code == 200, r.text
        return {i["head_name"] for i in r.json()["items"]}

    assert heads("%") == {"Hộ 100% đạt"}
    assert heads("_") == {"Hộ 100% đạt"}
    assert heads("s_ 1") == set()
    r = client.get("/api/v1/households", params={"q": "a\x00"}, headers=headers)
    assert r.status_code == 422


def test_implausible_birth_year_and_non_integer_counts_are_refused(client: TestClient, session: Session) -> None:
    tree, headers = _official(client, session, "commune_official")
    for fields in ({"member_count": False}, {"member_count": True}, {"member_count": "3"}, {"member_count": 2.5}):
        r = _post_household(client, headers, tree.hamlet.id, **fields)
        assert r.status_code == 422, (fields, r.text)
    hid = _post_household(client, headers, tree.hamlet.id, member_count=3).json()["id"]
    for year in (2030, 1899, True):
        r = client.post(
            "/api/v1/people", json={"id": new_id(), "household_id": hid, "birth_year": year}, headers=headers
        )
        assert r.status_code == 422, (year, r.text)
    r = client.post("/api/v1/people", json={"id": new_id(), "household_id": hid, "birth_year": 1950}, headers=headers)
    assert r.status_code == 201, r.text
