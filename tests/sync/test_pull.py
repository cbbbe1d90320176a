"""Pull: the area's rows by per-hamlet version, paged, with tombstones, an opaque signed cursor."""

import base64
import json
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, event
from sqlmodel import Session

from app.models import VolunteerArea
from tests.factories import login, make_campaign, make_tree, make_user
from tests.sync.helpers import (
    PULL,
    SKILLS,
    apply,
    household,
    ids,
    new_client_id,
    numbered,
    person,
    pull_all,
    push,
    statuses,
    visit,
)


def _area(client: TestClient, session: Session):  # type: ignore[no-untyped-def]
    tree = make_tree(session)
    user = make_user(session, "volunteer", hamlets=[tree.hamlet, tree.other_hamlet])
    campaign = make_campaign(session, unit=tree.province)
    session.commit()
    return tree, user, campaign, login(client, user.phone)


def _seed(client: TestClient, headers: dict[str, str], hamlet_id: int, n: int, campaign_id: int | None = None):  # type: ignore[no-untyped-def]
    cid = new_client_id()
    made = []
    batch = []
    for _ in range(n):
        h = household(hamlet_id)
        p = person(h["id"])
        v = visit(h["id"], [p["id"]], campaign_id=campaign_id)
        batch += [h, p, v]
        made.append((h["id"], p["id"], v["id"]))
    assert set(statuses(push(client, headers, cid, numbered(batch)))) == {"applied"}
    return made


def test_a_first_pull_has_the_area_catalogue_and_rows_gzip_compressed(client: TestClient, session: Session) -> None:
    tree, _, campaign, headers = _area(client, session)
    made = _seed(client, headers, tree.hamlet.id, 5, campaign.id)
    r = client.get(PULL, headers={**headers, "Accept-Encoding": "gzip"})
    assert r.status_code == 200
    assert r.headers["content-encoding"] == "gzip"
    page = r.json()
    assert page["reset"] is False and page["has_more"] is False
    changes = page["changes"]
    assert ids(changes, "unit") == {str(tree.hamlet.id), str(tree.other_hamlet.id)}
    assert ids(changes, "skill") == set(SKILLS)
    assert "vneid_level2" in ids(changes, "milestone")
    assert ids(changes, "campaign") == {str(campaign.id)}
    assert ids(changes, "household") == {h for h, _, _ in made}
    assert ids(changes, "visit") == {v for _, _, v in made}
    assert ids(changes, "household_status") == {f"{h}:{c}" for h, _, _ in made for c in (0, campaign.id)}
    people = {c["id"]: c["data"] for c in changes if c["type"] == "person"}
    assert set(people) == {p for _, p, _ in made}
    first = next(iter(people.values()))
    assert first["skills"] == dict.fromkeys(SKILLS, "proficient") and first["milestones"] == ["vneid_level2"]
    status = next(c["data"] for c in changes if c["type"] == "household_status" and c["id"].endswith(":0"))
    assert status["visited"] and status["covered_1"] and status["proficient_people"] == 1
    assert not any(c["op"] == "delete" for c in changes)
    # Nothing changed: the next pull is empty, catalogue included.
    again = client.get(PULL, params={"cursor": page["cursor"]}, headers=headers).json()
    assert again["changes"] == [] and again["has_more"] is False


def test_small_pages_add_up_to_the_full_pull_even_inside_one_version(client: TestClient, session: Session) -> None:
    tree, _, campaign, headers = _area(client, session)
    _seed(client, headers, tree.hamlet.id, 12, campaign.id)  # one transaction: one version, 60+ rows
    _seed(client, headers, tree.other_hamlet.id, 3)
    full, _, _ = pull_all(client, headers)
    paged, cursor, _ = pull_all(client, headers, limit=7)
    assert sorted((c["type"], c["id"]) for c in paged) == sorted((c["type"], c["id"]) for c in full)
    assert len(paged) == len({(c["type"], c["id"]) for c in paged})  # nothing sent twice
    # Later changes arrive after the cursor, and only those.
    extra = _seed(client, headers, tree.hamlet.id, 1)
    more, _, _ = pull_all(client, headers, cursor, limit=3)
    assert ids(more, "household") == {extra[0][0]}


def test_deleted_rows_and_their_children_arrive_as_tombstones(client: TestClient, session: Session) -> None:
    tree, _, campaign, headers = _area(client, session)
    (h, p, v), (h2, p2, _) = _seed(client, headers, tree.hamlet.id, 2, campaign.id)
    store: dict = {}
    changes, cursor, _ = pull_all(client, headers)
    apply(store, changes)
    cid = new_client_id()
    deleted = household(tree.hamlet.id, hid=h, deleted=True)
    r = push(client, headers, cid, numbered([deleted, person(h2, pid=p2, deleted=True)]))
    assert statuses(r) == ["applied", "applied"]
    changes, cursor, _ = pull_all(client, headers, cursor)
    assert h in ids(changes, "household", "delete") and p2 in ids(changes, "person", "delete")
    apply(store, changes)
    assert ("household", h) not in store and ("person", p) not in store and ("visit", v) not in store
    assert not [k for k in store if k[0] == "household_status" and k[1].startswith(h)]
    assert ("household", h2) in store and ("person", p2) not in store
    # Restored: the household comes back with its people and visits.
    r = push(client, headers, cid, numbered([household(tree.hamlet.id, hid=h)], start=3))
    assert statuses(r) == ["applied"]
    changes, cursor, _ = pull_all(client, headers, cursor)
    apply(store, changes)
    assert ("household", h) in store and ("person", p) in store and ("visit", v) in store
    fresh: dict = {}
    apply(fresh, pull_all(client, headers)[0])
    assert fresh == store


def test_a_household_moved_out_of_the_area_is_dropped_from_phones(client: TestClient, session: Session) -> None:
    tree, _, campaign, headers = _area(client, session)
    (h, p, v), _ = _seed(client, headers, tree.hamlet.id, 2, campaign.id)
    store: dict = {}
    changes, cursor, _ = pull_all(client, headers)
    apply(store, changes)
    official = make_user(session, "province_official", unit=tree.province)
    session.commit()
    r = client.patch(
        f"/api/v1/households/{h}", json={"hamlet_id": tree.far_hamlet.id}, headers=login(client, official.phone)
    )
    assert r.status_code == 200, r.text
    changes, cursor, _ = pull_all(client, headers, cursor)
    assert h in ids(changes, "household", "delete")
    apply(store, changes)
    assert not [k for k in store if h in k[1] or k[1] in (p, v)]
    fresh: dict = {}
    apply(fresh, pull_all(client, headers)[0])
    assert fresh == store


def test_a_new_hamlet_comes_from_the_start_and_a_removed_one_resets(client: TestClient, session: Session) -> None:
    tree, user, _, headers = _area(client, session)
    official = make_user(session, "province_official", unit=tree.province)
    session.commit()
    made = _seed(client, login(client, official.phone), tree.hamlet_of_other_commune.id, 2)
    _, cursor, _ = pull_all(client, headers)
    session.add(VolunteerArea(user_id=user.id, hamlet_id=tree.hamlet_of_other_commune.id))
    session.commit()
    changes, cursor, reset = pull_all(client, headers, cursor)
    assert not reset
    assert ids(changes, "household") == {h for h, _, _ in made}
    assert str(tree.hamlet_of_other_commune.id) in ids(changes, "unit")
    area = session.get(VolunteerArea, (user.id, tree.hamlet_of_other_commune.id))
    session.delete(area)
    session.commit()
    page = client.get(PULL, params={"cursor": cursor}, headers=headers).json()
    assert page["reset"] is True
    assert ids(page["changes"], "household") == set()
    assert ids(page["changes"], "unit") == {str(tree.hamlet.id), str(tree.other_hamlet.id)}


def test_forged_malformed_and_foreign_cursors(client: TestClient, session: Session) -> None:
    tree, _, _, headers = _area(client, session)
    other = make_user(session, "volunteer", hamlets=[tree.hamlet])
    session.commit()
    _seed(client, headers, tree.hamlet.id, 1)
    _, cursor, _ = pull_all(client, headers)
    body, sig = cursor.split(".")
    payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    payload["h"] = {k: [0, 0, ""] for k in payload["h"]}
    forged = base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=") + "." + sig
    for bad in (forged, "garbage", "a.b.c", cursor[:-3], "%%%.%%%", cursor.replace(".", "")):
        r = client.get(PULL, params={"cursor": bad}, headers=headers)
        assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_cursor", bad
    # A real cursor of another user (a shared phone): start again rather than trust it.
    page = client.get(PULL, params={"cursor": cursor}, headers=login(client, other.phone)).json()
    assert page["reset"] is True and ids(page["changes"], "household")
    assert client.get(PULL, params={"limit": 0}, headers=headers).status_code == 422
    assert client.get(PULL, params={"limit": 1001}, headers=headers).status_code == 422


def test_a_volunteer_pulls_only_their_area(client: TestClient, session: Session) -> None:
    tree, _, _, headers = _area(client, session)
    official = make_user(session, "province_official", unit=tree.province)
    session.commit()
    official_headers = login(client, official.phone)
    mine = _seed(client, headers, tree.hamlet.id, 1)
    theirs = _seed(client, official_headers, tree.far_hamlet.id, 1)
    changes, _, _ = pull_all(client, headers)
    assert ids(changes, "household") == {mine[0][0]}
    assert theirs
    # Need to know: an official's phone downloads no named households at all (issue 15).
    refused = client.get(PULL, headers=official_headers)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "pull_for_field_roles_only"


def test_a_page_costs_the_same_statements_however_many_rows_it_holds(
    client: TestClient, session: Session, engine: Engine
) -> None:
    """No per-row query: ten times the households, people, statuses and visits in a page, and the same
    statements (issue 11: a 500-household first pull in a few pages of a few reads each)."""
    tree, _, campaign, headers = _area(client, session)
    seen: list[str] = []

    def count(*args: Any) -> None:
        seen.append(args[2])

    def first_page() -> tuple[int, int]:
        seen.clear()
        event.listen(engine, "before_cursor_execute", count)
        try:
            page = client.get(PULL, headers=headers).json()
        finally:
            event.remove(engine, "before_cursor_execute", count)
        assert page["has_more"] is False
        return len(page["changes"]), len(seen)

    _seed(client, headers, tree.hamlet.id, 3, campaign.id)
    few_changes, few_statements = first_page()
    _seed(client, headers, tree.hamlet.id, 27, campaign.id)
    many_changes, many_statements = first_page()
    assert many_changes - few_changes >= 27 * 3  # at least a household, its person and a visit each
    assert many_statements == few_statements, seen
