"""Every read of named households, by every role: allowed and logged, allowed within one's own hamlets
(not logged), or refused in the one error shape."""

from fastapi.testclient import TestClient
from sqlmodel import Session

from tests.privacy.helpers import ROLES, World, add_household, audit_rows, make_world
from tests.sync.helpers import PULL

FIELD = {"volunteer", "team_leader"}
# Officials above the commune, and admins: named households one search at a time, never a full list.
SEARCH_ONLY = {"district_official", "province_official", "admin"}
ACTIONS = (
    "pull",
    "households",
    "households_search",
    "households_by_phone",
    "households_by_id",
    "households_short_query",
    "households_next_page",
    "household",
    "to_visit",
    "to_visit_xlsx",
    "team_day",
    "access_json",
    "access_xlsx",
    "audit",
)


def expected(role: str, action: str) -> tuple[int, str | None, str | None]:
    """(status, the audit category the read must leave or None for none, and its kind)."""
    field = role in FIELD
    if action == "pull":
        return (200, None, None) if field else (403, None, None)
    if action.startswith("households"):
        if field:
            return 200, None, None
        if role not in SEARCH_ONLY:
            return 200, "named_read", "households"
        if action in ("households", "households_short_query", "households_next_page"):
            return 403, None, None
        return 200, "named_read", "household_search"
    if action in ("household", "to_visit"):
        return (200, None, None) if field else (200, "named_read", action)
    if action == "to_visit_xlsx":
        return 200, "export", "to_visit"
    if action == "team_day":
        # The team leader's day names the households left: teams' leaders and officials only.
        if role == "volunteer":
            return 403, None, None
        return (200, None, None) if field else (200, "named_read", "to_visit")
    if action.startswith("access"):
        return (403, None, None) if field else (200, "access_request", "household_data")
    return (403, None, None) if field else (200, None, None)


def test_role_by_action_matrix_for_named_reads(client: TestClient, session: Session) -> None:
    world = make_world(client, session)
    # Taught only: the household is on the to-visit list.
    hid, _, _ = add_household(
        client,
        world,
        head="Vương Thị Lài",
        address="Số 8",
        phone="0912 345 678",
        person_name="Vương Văn Lực",
        level="taught",
    )
    hamlet = world.tree.hamlet.id
    paths = {
        "pull": (PULL, {}),
        "households": ("/api/v1/households", {"limit": 10}),
        "households_search": ("/api/v1/households", {"q": "vuong thi"}),
        "households_by_phone": ("/api/v1/households", {"q": "0912 345"}),
        "households_by_id": ("/api/v1/households", {"q": hid}),
        "households_short_query": ("/api/v1/households", {"q": "Vư"}),
        "households_next_page": ("/api/v1/households", {"q": "vuong", "offset": 20}),
        "household": (f"/api/v1/households/{hid}", {}),
        "to_visit": ("/api/v1/reports/to-visit", {"unit_id": hamlet}),
        "to_visit_xlsx": ("/api/v1/reports/to-visit.xlsx", {"unit_id": hamlet}),
        "team_day": ("/api/v1/reports/volunteers", {"campaign_id": world.campaign_id, "unit_id": hamlet}),
        "access_json": (f"/api/v1/households/{hid}/export", {}),
        "access_xlsx": (f"/api/v1/households/{hid}/export", {"format": "xlsx"}),
        "audit": ("/api/v1/audit", {}),
    }
    for role in ROLES:
        _check_role(client, session, world, paths, role)


def _check_role(
    client: TestClient, session: Session, world: World, paths: dict[str, tuple[str, dict[str, object]]], role: str
) -> None:
    headers = world.headers[role]
    for action in ACTIONS:
        status, category, kind = expected(role, action)
        before = len(audit_rows(session))
        path, params = paths[action]
        r = client.get(path, params=params, headers=headers)
        assert r.status_code == status, (role, action, r.text)
        if status == 403:
            assert set(r.json()["error"]) >= {"code", "message", "details"}
            if action.startswith("households"):
                assert r.json()["error"]["code"] == "household_search_required"
                assert "tra cứu từng hộ" in r.json()["error"]["message"]
        added = audit_rows(session)[before:]
        assert [(e.category, e.kind) for e in added] == ([(category, kind)] if category else []), (role, action)
        if action.startswith("households") and status == 200:
            found = [h["id"] for h in r.json()["items"]]
            assert found == ([] if action == "households_next_page" else [r.json()["items"][0]["id"]]), (role, action)
            assert r.json()["search_only"] == (role in SEARCH_ONLY)
        if category:
            [entry] = added
            assert entry.user_id == world.users[role].id
            # Which unit: the reader's own (the whole country for an admin's search).
            assert entry.unit_id is not None or (role == "admin" and action.startswith("households")), (role, action)
            if action.startswith("households"):
                assert entry.row_count == len(r.json()["items"])
            else:
                assert entry.row_count >= 1, (role, action)
    if role not in FIELD:
        r = client.get(PULL, headers=headers)
        assert r.json()["error"]["code"] == "pull_for_field_roles_only"


def test_above_the_commune_a_search_shows_at_most_twenty_households(client: TestClient, session: Session) -> None:
    world = make_world(client, session)
    for n in range(25):
        add_household(client, world, head=f"Trần Văn Bảy {n}", address=f"Số {n + 1}")
    add_household(client, world, head="Đỗ Thị Mận", address="Số 99")
    commune = world.headers["commune_official"]
    listed = client.get("/api/v1/households", params={"q": "tran van", "limit": 100}, headers=commune).json()
    assert (len(listed["items"]), listed["total"], listed["search_only"]) == (25, 25, False)
    assert client.get("/api/v1/households", params={"limit": 100}, headers=commune).json()["total"] == 26
    for role in SEARCH_ONLY:
        before = len(audit_rows(session))
        r = client.get("/api/v1/households", params={"q": "tran van", "limit": 100}, headers=world.headers[role])
        page = r.json()
        assert (len(page["items"]), page["total"], page["limit"], page["search_only"]) == (20, 25, 20, True), role
        assert all(h["head_name"].startswith("Trần Văn Bảy") for h in page["items"])
        [entry] = audit_rows(session)[before:]
        assert (entry.category, entry.kind, entry.row_count) == ("named_read", "household_search", 20)
        # A status filter is no way around it: still a search, or nothing.
        r = client.get("/api/v1/households", params={"status": "visited"}, headers=world.headers[role])
        assert r.status_code == 403 and r.json()["error"]["code"] == "household_search_required"


def test_officials_read_the_audit_of_their_unit_and_admins_all(client: TestClient, session: Session) -> None:
    world = make_world(client, session)
    hid, _, _ = add_household(client, world, head="Vương Thị Lài", address="Số 8")
    # A read in the commune, and one by the official of another commune in theirs.
    client.get(f"/api/v1/households/{hid}", headers=world.headers["commune_official"])
    client.get("/api/v1/households", headers=world.headers["other_commune_official"])
    client.get(f"/api/v1/households/{hid}/export", headers=world.headers["commune_official"])

    def seen(role: str, **params: object) -> list[tuple[str, str]]:
        r = client.get("/api/v1/audit", params=params, headers=world.headers[role])
        assert r.status_code == 200, r.text
        return [(e["category"], e["kind"]) for e in r.json()["items"]]

    mine = seen("commune_official")
    assert ("named_read", "household") in mine and ("access_request", "household_data") in mine
    assert ("named_read", "households") not in mine  # the other commune's read
    assert ("named_read", "households") in seen("district_official")
    assert seen("commune_official", category="access_request") == [("access_request", "household_data")]
    assert seen("admin", date_from="2000-01-01", date_to="2000-01-02") == []
    everything = client.get("/api/v1/audit", params={"limit": 2}, headers=world.headers["admin"]).json()
    assert everything["total"] == 3 and len(everything["items"]) == 2

    for fmt, kind in (("xlsx", "application/vnd.openxmlformats"), ("csv", "text/csv")):
        r = client.get(f"/api/v1/audit.{fmt}", headers=world.headers["commune_official"])
        assert r.status_code == 200 and r.headers["content-type"].startswith(kind)
    assert [e.kind for e in audit_rows(session, "export")][-2:] == ["audit", "audit"]
    assert client.get("/api/v1/audit", params={"category": "nope"}, headers=world.headers["admin"]).status_code == 422


def test_volunteers_see_their_leaders_phone_not_their_teammates(client: TestClient, session: Session) -> None:
    world = make_world(client, session)
    me = client.get("/api/v1/me", headers=world.headers["volunteer"]).json()
    team_id = me["teams"][0]["id"]

    def phones(role: str) -> dict[str, str | None]:
        r = client.get(f"/api/v1/teams/{team_id}", headers=world.headers[role])
        assert r.status_code == 200, r.text
        return {m["full_name"]: m["phone"] for m in r.json()["members"]}

    seen = phones("volunteer")
    assert seen["Hà Văn Tổ"] == world.users["team_leader"].phone
    assert seen["Lý Thị Hoa"] == world.users["volunteer"].phone
    assert seen["Mạc Văn Sơn"] is None
    assert phones("team_leader")["Mạc Văn Sơn"] == world.users["teammate"].phone
    assert phones("commune_official")["Mạc Văn Sơn"] == world.users["teammate"].phone


def test_account_changes_and_password_resets_are_audited(client: TestClient, session: Session) -> None:
    world = make_world(client, session)
    official = world.headers["commune_official"]
    teammate = world.users["teammate"].id
    assert client.patch(f"/api/v1/users/{teammate}", json={"reset_password": True}, headers=official).status_code == 200
    assert client.post(f"/api/v1/users/{teammate}/deactivate", headers=official).status_code == 200
    rows = [(e.category, e.kind, e.target_user_id) for e in audit_rows(session)]
    assert rows == [("password_reset", "reset", teammate), ("user_change", "deactivate", teammate)]


def test_an_officials_read_of_flagged_visits_is_logged_and_a_leaders_is_not(
    client: TestClient, session: Session
) -> None:
    """The visits awaiting confirmation carry the head of household's name."""
    world = make_world(client, session)
    for role, unit, logged in (
        ("team_leader", world.tree.hamlet.id, False),
        ("commune_official", world.tree.commune.id, True),
    ):
        before = len(audit_rows(session, "named_read"))
        r = client.get("/api/v1/visits/flagged", params={"unit_id": unit}, headers=world.headers[role])
        assert r.status_code == 200, r.text
        rows = audit_rows(session, "named_read")[before:]
        assert [(e.kind, e.user_id) for e in rows] == ([("flagged_visits", world.users[role].id)] if logged else []), (
            role
        )
