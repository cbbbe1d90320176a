"""Builders for sync tests: mutations in the wire format of docs/sync-v1.md."""

import gzip
import uuid
from typing import Any

from fastapi.testclient import TestClient

SKILLS = ["public_services", "online_shopping", "online_payment", "online_safety", "digital_platforms"]
PUSH = "/api/v1/sync/push"
PULL = "/api/v1/sync/pull"


def new_client_id() -> str:
    return uuid.uuid4().hex


def household(hamlet_id: int, *, hid: str | None = None, **fields: Any) -> dict[str, Any]:
    data = {
        "id": hid or str(uuid.uuid4()),
        "hamlet_id": hamlet_id,
        "address": "Số 5, Khu vực 1",
        "head_name": "Trần Thị Bé",
    }
    data.update(fields)
    return {"id": data["id"], "kind": "household.upsert", "data": data}


def person(household_id: str, *, pid: str | None = None, **fields: Any) -> dict[str, Any]:
    data = {"id": pid or str(uuid.uuid4()), "household_id": household_id, "full_name": "Lê Văn Tư", "birth_year": 1980}
    data.update(fields)
    return {"id": data["id"], "kind": "person.upsert", "data": data}


def visit(
    household_id: str, people: list[str], *, level: str = "proficient", day: int = 2, **fields: Any
) -> dict[str, Any]:
    data = {
        "id": str(uuid.uuid4()),
        "household_id": household_id,
        "visited_at": f"2024-10-0{day}T09:30:00+07:00",
        "outcome": "met" if people else "not_home",
        "consent_given": True,
        "consent_notice_version": "2024-1",
        "people": [
            {"person_id": p, "skills": dict.fromkeys(SKILLS, level), "milestones": ["vneid_level2"]} for p in people
        ],
    }
    data.update(fields)
    return {"id": data["id"], "kind": "visit.create", "data": data}


def numbered(mutations: list[dict[str, Any]], start: int = 1) -> list[dict[str, Any]]:
    return [{**m, "seq": start + i} for i, m in enumerate(mutations)]


def push(client: TestClient, headers: dict[str, str], client_id: str, mutations: list[dict[str, Any]], **extra: Any):  # type: ignore[no-untyped-def]
    body = {"client_id": client_id, "schema_version": 1, "mutations": mutations, **extra}
    return client.post(PUSH, json=body, headers=headers)


def statuses(response: Any) -> list[str]:
    assert response.status_code == 200, response.text
    return [r["status"] for r in response.json()["results"]]


def pull_all(
    client: TestClient, headers: dict[str, str], cursor: str | None = None, limit: int = 500
) -> tuple[list[dict[str, Any]], str, bool]:
    """Every page until has_more is false: (changes, last cursor, any reset)."""
    changes: list[dict[str, Any]] = []
    reset = False
    for _ in range(1000):
        params: dict[str, Any] = {"limit": limit}
        if cursor:
            params["cursor"] = cursor
        r = client.get(PULL, params=params, headers=headers)
        assert r.status_code == 200, r.text
        page = r.json()
        reset = reset or page["reset"]
        changes.extend(page["changes"])
        cursor = page["cursor"]
        if not page["has_more"]:
            return changes, cursor, reset
    raise AssertionError("pull never finished")


def apply(store: dict[tuple[str, str], dict[str, Any]], changes: list[dict[str, Any]]) -> None:
    """What a phone does with a page: put or delete each row by (type, id)."""
    for c in changes:
        if c["op"] == "put":
            store[(c["type"], c["id"])] = c["data"]
        else:
            store.pop((c["type"], c["id"]), None)


def ids(changes: list[dict[str, Any]], kind: str, op: str = "put") -> set[str]:
    return {c["id"] for c in changes if c["type"] == kind and c["op"] == op}


def gunzipped_size(raw: bytes) -> int:
    return len(gzip.decompress(raw))
