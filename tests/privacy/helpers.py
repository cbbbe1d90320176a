"""Shared pieces of the personal-data tests: a small world and a search through every stored value."""

import json
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlmodel import Session, col
from sqlmodel import select as sm_select

from app.auth.security import create_token, hash_password
from app.db import metadata
from app.models import AdminUnit, AuditEntry, User, VolunteerArea
from tests.factories import PASSWORD, Tree, make_campaign, make_team, make_tree, next_phone
from tests.sync.helpers import household, new_client_id, numbered, person, push, statuses, visit

ROLES = ("volunteer", "team_leader", "commune_official", "district_official", "province_official", "admin")


@dataclass
class World:
    tree: Tree
    users: dict[str, Any]
    headers: dict[str, dict[str, str]]
    campaign_id: int


_HASH: list[str] = []


def _user(
    session: Session,
    role: str,
    *,
    unit: AdminUnit | None = None,
    hamlets: list[AdminUnit] = (),
    name: str = "Nguyễn Văn An",
) -> User:  # type: ignore[assignment]
    """An account with one shared password hash: these tests are about reads, not about logging in."""
    if not _HASH:
        _HASH.append(hash_password(PASSWORD))
    user = User(
        phone=f"+84{next_phone()[1:]}",
        full_name=name,
        password_hash=_HASH[0],
        role=role,
        unit_id=unit.id if unit else None,
    )
    session.add(user)
    session.flush()
    for hamlet in hamlets:
        session.add(VolunteerArea(user_id=user.id, hamlet_id=hamlet.id))
    return user


def bearer(user: User) -> dict[str, str]:
    return {"Authorization": f"Bearer {create_token(user.id or 0, 'access', user.credential_version)}"}


def make_world(client: TestClient, session: Session) -> World:
    tree = make_tree(session)
    campaign = make_campaign(session, unit=tree.province)
    users = {
        "volunteer": _user(session, "volunteer", unit=tree.commune, hamlets=[tree.hamlet], name="Lý Thị Hoa"),
        "teammate": _user(session, "volunteer", unit=tree.commune, hamlets=[tree.hamlet], name="Mạc Văn Sơn"),
        "team_leader": _user(session, "team_leader", unit=tree.commune, hamlets=[tree.hamlet], name="Hà Văn Tổ"),
        "commune_official": _user(session, "commune_official", unit=tree.commune),
        "other_commune_official": _user(session, "commune_official", unit=tree.other_commune),
        "district_official": _user(session, "district_official", unit=tree.district),
        "province_official": _user(session, "province_official", unit=tree.province),
        "admin": _user(session, "admin"),
    }
    make_team(session, unit=tree.hamlet, leader=users["team_leader"], members=[users["volunteer"], users["teammate"]])
    session.commit()
    headers = {name: bearer(u) for name, u in users.items()}
    return World(tree, users, headers, campaign.id or 0)


def add_household(
    client: TestClient,
    world: World,
    *,
    head: str,
    address: str,
    phone: str | None = None,
    person_name: str = "",
    note: str = "",
    client_id: str | None = None,
    level: str = "proficient",
) -> tuple[str, str, str]:
    """A household with one person and one `met` visit, pushed by the volunteer: (household, person, visit)."""
    h = household(world.tree.hamlet.id, head_name=head, address=address, phone=phone)
    p = person(h["id"], full_name=person_name or None, birth_year=1961)
    v = visit(
        h["id"], [p["id"]], level=level, campaign_id=world.campaign_id, notes=note, consent_notice_version="2026-01"
    )
    r = push(client, world.headers["volunteer"], client_id or new_client_id(), numbered([h, p, v]))
    assert statuses(r) == ["applied"] * 3, r.text
    return h["id"], p["id"], v["id"]


def audit_rows(session: Session, category: str | None = None) -> list[AuditEntry]:
    session.expire_all()
    stmt = sm_select(AuditEntry).order_by(col(AuditEntry.id))
    if category:
        stmt = stmt.where(AuditEntry.category == category)
    return list(session.exec(stmt).all())


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, default=str)
    if isinstance(value, (bytes, bytearray)):
        return value.decode("utf-8", "replace")
    if isinstance(value, (int, float, bool, date, datetime, uuid.UUID)):
        return str(value)
    return str(value)


def find_everywhere(session: Session, terms: list[str]) -> list[tuple[str, str, str]]:
    """(table, column, term) for every stored value of every table containing one of the terms."""
    session.expire_all()
    found = []
    for table in metadata.sorted_tables:
        for row in session.execute(select(table)).mappings():
            for column, value in row.items():
                text = _text(value)
                for term in terms:
                    if term and term in text:
                        found.append((table.name, column, term))
    return found


def figures(report: dict[str, Any]) -> dict[str, Any]:
    """A report without the moment it was generated."""
    return {k: v for k, v in report.items() if k != "generated_at"}
