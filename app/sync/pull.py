"""Sync v1 pull (DESIGN §5, docs/sync-v1.md): the user's area since an opaque cursor.

Every household, person, household status and visit row carries its hamlet's version at its last
change, taken under the `area_version` row lock, so versions of one hamlet commit in order. The
cursor is the position reached in each hamlet, (version, type rank, id), and a page never reads past
the versions committed when the pull began: a transaction that commits late is never skipped.
"""

import base64
import hashlib
import hmac
import uuid
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any, cast

import orjson
from sqlalchemy import ColumnElement, Table, and_, or_
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from app.auth.scope import FIELD_ROLES, Scope
from app.config import get_settings
from app.errors import AppError, Forbidden
from app.models import (
    ALL_TIME,
    AdminUnit,
    AreaVersion,
    Campaign,
    CampaignUnit,
    Household,
    HouseholdDeparture,
    HouseholdStatus,
    Milestone,
    Person,
    PersonMilestone,
    PersonSkill,
    Skill,
    SkillLabel,
    User,
    Visit,
)
from app.models.units import unit_chain
from app.models.visits import PROFICIENT
from app.privacy import notice
from app.privacy.service import WITHDRAWN_LABEL
from app.skills import service as skills_service

# Within one version of a hamlet, rows go in this order. A departure comes before the household's
# own rows, so a household that left and came back in one transaction ends up present.
DEPARTURE, HOUSEHOLD, PERSON, STATUS, VISIT = range(5)
DEFAULT_LIMIT = 500
MAX_LIMIT = 1000


class InvalidCursor(AppError):
    status_code = 400
    code = "invalid_cursor"
    message_vi = "Mốc đồng bộ không hợp lệ. Tải lại dữ liệu địa bàn từ đầu."
    message_en = "Invalid sync cursor. Download the area again from the start."


class NamedPullForField(Forbidden):
    """Need to know (DESIGN §11): only the roles that visit download named households, and only their
    hamlets. Officials work from aggregates and reach names through the logged to-visit list."""

    code = "pull_for_field_roles_only"
    message_vi = (
        "Chỉ tình nguyện viên và tổ trưởng mới tải danh sách hộ của địa bàn mình. Cán bộ xem số liệu ở "
        "mục Báo cáo và danh sách hộ cần thăm."
    )
    message_en = (
        "Only volunteers and team leaders download the households of their hamlets. Officials read the "
        "figures in Reports and the list of households to visit."
    )


DONE = 9  # position rank: everything up to the version has been sent
_CURSOR_VERSION = 1


@dataclass(frozen=True)
class Position:
    """Everything of the hamlet sorting at or before (version, rank, key) has been sent."""

    version: int = 0
    rank: int = 0
    key: str = ""

    def encode(self) -> list[Any]:
        return [self.version] if self.rank == DONE else [self.version, self.rank, self.key]


START = Position()


@dataclass
class _Row:
    version: int
    rank: int
    sort_key: Any
    key: str
    changes: list[dict[str, Any]]


def _sign(body: bytes) -> bytes:
    secret = get_settings().secret_key.encode()
    return hmac.new(secret, b"tungnha-sync-cursor:" + body, hashlib.sha256).digest()[:16]


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def encode_cursor(*, user_id: int, marker: str, positions: dict[int, Position]) -> str:
    payload = {
        "v": _CURSOR_VERSION,
        "u": user_id,
        "c": marker,
        "h": {str(h): p.encode() for h, p in sorted(positions.items()) if p != START},
    }
    body = orjson.dumps(payload)
    return f"{_b64(body)}.{_b64(_sign(body))}"


@dataclass
class Cursor:
    user_id: int
    marker: str
    positions: dict[int, Position]


def decode_cursor(token: str) -> Cursor:
    """A cursor this server signed, or 400: never a 500 for a forged or truncated one."""
    try:
        body_text, sig_text = token.split(".")
        body = _unb64(body_text)
        if not hmac.compare_digest(_unb64(sig_text), _sign(body)):
            raise ValueError("bad signature")
        payload = orjson.loads(body)
        if payload["v"] != _CURSOR_VERSION:
            raise ValueError("cursor version")
        user_id, marker, raw = payload["u"], payload["c"], payload["h"]
        if not isinstance(user_id, int) or not isinstance(marker, str) or not isinstance(raw, dict):
            raise ValueError("shape")
        positions = {int(h): _position(p) for h, p in raw.items()}
    except (ValueError, KeyError, TypeError, AttributeError, orjson.JSONDecodeError) as exc:
        raise InvalidCursor() from exc
    return Cursor(user_id=user_id, marker=marker, positions=positions)


def _position(raw: Any) -> Position:
    if not isinstance(raw, list) or not all(isinstance(x, int) and x >= 0 for x in raw[:2]):
        raise ValueError("position")
    if len(raw) == 1:
        return Position(raw[0], DONE, "")
    version, rank, key = raw
    if rank > VISIT or not isinstance(key, str):
        raise ValueError("position")
    if key:
        _key_value(rank, key)  # must parse
    return Position(version, rank, key)


def _key_value(rank: int, key: str) -> Any:
    if rank == STATUS:
        household_id, _, campaign_id = key.partition(":")
        return uuid.UUID(household_id), int(campaign_id)
    return uuid.UUID(key)


def pull(
    session: Session, *, actor: User, scope: Scope, cursor: str | None, limit: int = DEFAULT_LIMIT
) -> dict[str, Any]:
    """The next page of the user's area: `{changes, cursor, has_more, reset}` (docs/sync-v1.md)."""
    if actor.role not in FIELD_ROLES:
        raise NamedPullForField(details={"role": actor.role})
    limit = max(1, min(limit, MAX_LIMIT))
    state = decode_cursor(cursor) if cursor else None
    area = _area(session, scope)
    catalogue = _catalogue(session, area)
    marker = hashlib.sha256(orjson.dumps(catalogue)).hexdigest()[:16]
    # The high-water mark: the versions committed now. Reading no further keeps every page a
    # consistent cut even at READ COMMITTED, where each statement sees newer commits.
    tops = dict(
        session.exec(
            select(AreaVersion.hamlet_id, AreaVersion.version).where(col(AreaVersion.hamlet_id).in_(sorted(area)))
        ).all()
    )
    positions: dict[int, Position] = {}
    sent_marker = ""
    reset = False
    if state is not None:
        # Another user's cursor, a hamlet no longer in the area, or a cursor from another database:
        # the phone's copy cannot be patched, so it starts again.
        stale = state.user_id != actor.id or any(
            h not in area or p.version > tops.get(h, 0) for h, p in state.positions.items()
        )
        if stale:
            reset = True
        else:
            positions, sent_marker = dict(state.positions), state.marker

    changes: list[dict[str, Any]] = []
    if sent_marker != marker:
        # Small and rarely changed: sent whole whenever any of it changes, and not counted in limit.
        changes.extend(c for c in catalogue if sent_marker or c["op"] == "put")
    campaign_ids = [int(c["id"]) for c in catalogue if c["type"] == "campaign"]
    budget = limit
    has_more = False
    for hamlet_id in sorted(area):
        top = tops.get(hamlet_id, 0)
        pos = positions.get(hamlet_id, START)
        if top == 0 or (pos.version == top and pos.rank == DONE):
            continue
        if budget == 0:
            has_more = True
            break
        rows, done = _hamlet_page(session, hamlet_id, pos, top, budget, campaign_ids, area)
        # Tombstones even on a hamlet's first page: the phone may hold its rows from another hamlet
        # (a household moved in from one it already had).
        for row in rows:
            changes.extend(row.changes)
        budget -= len(rows)
        if done:
            positions[hamlet_id] = Position(top, DONE, "")
        else:
            last = rows[-1]
            positions[hamlet_id] = Position(last.version, last.rank, last.key)
            has_more = True
            break
    return {
        "changes": changes,
        "cursor": encode_cursor(user_id=actor.id, marker=marker, positions=positions),  # type: ignore[arg-type]
        "has_more": has_more,
        "reset": reset,
    }


def _area(session: Session, scope: Scope) -> dict[int, AdminUnit]:
    """The hamlets a phone of this user downloads."""
    stmt = select(AdminUnit).where(AdminUnit.level == "hamlet")
    if scope.is_admin:
        pass
    elif scope.unit_path is not None:
        stmt = stmt.where(col(AdminUnit.path).startswith(scope.unit_path))
    else:
        stmt = stmt.where(col(AdminUnit.id).in_(sorted(scope.hamlet_ids)))
    return {u.id: u for u in session.exec(stmt).all() if u.id is not None}


def _catalogue(session: Session, area: dict[int, AdminUnit]) -> list[dict[str, Any]]:
    """Units of the area, the skills (with the province's own labels), milestones and campaigns."""
    changes: list[dict[str, Any]] = []
    for unit in sorted(area.values(), key=lambda u: u.id or 0):
        data: dict[str, Any] = {
            "id": unit.id,
            "name": unit.name,
            "level": unit.level,
            "code": unit.code,
            "parent_id": unit.parent_id,
        }
        changes.append({"type": "unit", "op": "put", "id": str(unit.id), "data": data})
    chains = {u.id: unit_chain(u.path) for u in area.values()}
    provinces = sorted({chain[0] for chain in chains.values() if chain})
    labels: dict[str, tuple[str, str]] = {}
    if provinces:
        for label in session.exec(select(SkillLabel).where(SkillLabel.province_unit_id == provinces[0])).all():
            labels[label.skill_id] = (label.label_vi, label.label_en)
    own_lessons = skills_service.lessons_of(session, provinces[0] if provinces else None)
    for skill in session.exec(select(Skill).order_by(col(Skill.position))).all():
        vi, en = labels.get(skill.id, (skill.label_vi, skill.label_en))
        data = {
            "id": skill.id,
            "position": skill.position,
            "label_vi": vi,
            "label_en": en,
            # The lesson cards travel with the catalogue, so the phone opens them with no signal.
            "lessons": own_lessons.get(skill.id, skill.lessons or []),
        }
        changes.append({"type": "skill", "op": "put", "id": skill.id, "data": data})
    milestones = session.exec(
        select(Milestone)
        .where(col(Milestone.province_unit_id).is_(None) | col(Milestone.province_unit_id).in_(provinces))
        .order_by(col(Milestone.position), col(Milestone.id))
    ).all()
    for ms in milestones:
        if not ms.is_active:
            changes.append({"type": "milestone", "op": "delete", "id": ms.id})
            continue
        data = {"id": ms.id, "position": ms.position, "label_vi": ms.label_vi, "label_en": ms.label_en}
        changes.append({"type": "milestone", "op": "put", "id": ms.id, "data": data})
    above = {unit_id for chain in chains.values() for unit_id in chain}
    if above:
        campaigns = session.exec(
            select(Campaign).where(col(Campaign.unit_id).in_(sorted(above))).order_by(col(Campaign.id))
        ).all()
        listed: dict[int, set[int]] = {}
        for cu in session.exec(
            select(CampaignUnit).where(col(CampaignUnit.campaign_id).in_([c.id for c in campaigns]))
        ).all():
            listed.setdefault(cu.campaign_id, set()).add(cu.unit_id)
        for c in campaigns:
            if c.id in listed and not listed[c.id] & above:
                continue
            data = {
                "id": c.id,
                "name": c.name,
                "unit_id": c.unit_id,
                "starts_on": c.starts_on,
                "ends_on": c.ends_on,
                "covered_threshold": c.covered_threshold,
            }
            changes.append({"type": "campaign", "op": "put", "id": str(c.id), "data": data})
    # The notice read out at the door travels with the catalogue: the phone shows it with no signal.
    current = notice.current()
    data = {"version": current.version, "text_vi": current.text_vi, "text_en": current.text_en}
    changes.append({"type": "notice", "op": "put", "id": "current", "data": data})
    return changes


def _after(pos: Position, rank: int, version: Any, key_after: ColumnElement[bool] | None, top: int) -> Any:
    """Rows of this type sorting after the position, up to the high-water version."""
    if rank > pos.rank or (rank == pos.rank and not pos.key):
        since = version >= pos.version
    elif rank < pos.rank:
        since = version > pos.version
    else:
        assert key_after is not None
        since = or_(version > pos.version, and_(version == pos.version, key_after))
    return and_(since, version <= top)


def _key_after(pos: Position, rank: int, *columns: Any) -> ColumnElement[bool] | None:
    if rank != pos.rank or not pos.key:
        return None
    value = _key_value(rank, pos.key)
    if rank == STATUS:
        household_id, campaign_id = value
        return or_(
            columns[0] > household_id,
            and_(columns[0] == household_id, columns[1] > campaign_id),
        )
    return columns[0] > value  # type: ignore[no-any-return]


def _hamlet_page(
    session: Session,
    hamlet_id: int,
    pos: Position,
    top: int,
    budget: int,
    campaign_ids: list[int],
    area: Collection[int],
) -> tuple[list[_Row], bool]:
    """Up to `budget` rows of the hamlet after `pos`; done when nothing up to `top` is left."""
    fetched: list[list[_Row]] = [
        _departures(session, hamlet_id, pos, top, budget, area),
        _households(session, hamlet_id, pos, top, budget, campaign_ids),
        _people(session, hamlet_id, pos, top, budget),
        _statuses(session, hamlet_id, pos, top, budget),
        _visits(session, hamlet_id, pos, top, budget),
    ]
    rows = sorted((r for batch in fetched for r in batch), key=lambda r: (r.version, r.rank, r.sort_key))
    done = len(rows) <= budget and all(len(batch) < budget for batch in fetched)
    rows = rows[:budget]
    _fill_levels(session, rows)
    return rows, done


def _departures(
    session: Session, hamlet_id: int, pos: Position, top: int, budget: int, area: Collection[int]
) -> list[_Row]:
    v, hid = col(HouseholdDeparture.version), col(HouseholdDeparture.household_id)
    stmt = (
        select(HouseholdDeparture.version, HouseholdDeparture.household_id, Household.hamlet_id)
        .join(Household, col(Household.id) == HouseholdDeparture.household_id)
        .where(
            HouseholdDeparture.hamlet_id == hamlet_id,
            _after(pos, DEPARTURE, v, _key_after(pos, DEPARTURE, hid), top),
        )
        .order_by(v, hid)
        .limit(budget)
    )
    found = session.exec(stmt).all()
    # Moved to another hamlet of the same area: that hamlet's rows carry it, and a tombstone here
    # could reach the phone after them (hamlets are read one after the other) and delete it.
    gone = [household_id for _, household_id, now_in in found if now_in not in area]
    # The household took its people, statuses and visits out of the area: drop them all.
    children: dict[uuid.UUID, list[dict[str, Any]]] = {i: [_delete("household", str(i))] for i in gone}
    if gone:
        for person_id, household_id in session.exec(
            select(Person.id, Person.household_id).where(col(Person.household_id).in_(gone))
        ).all():
            children[household_id].append(_delete("person", str(person_id)))
        for household_id, campaign_id in session.exec(
            select(HouseholdStatus.household_id, HouseholdStatus.campaign_id).where(
                col(HouseholdStatus.household_id).in_(gone)
            )
        ).all():
            children[household_id].append(_delete("household_status", f"{household_id}:{campaign_id}"))
        for visit_id, household_id in session.exec(
            select(Visit.id, Visit.household_id).where(col(Visit.household_id).in_(gone))
        ).all():
            children[household_id].append(_delete("visit", str(visit_id)))
    return [
        _Row(version, DEPARTURE, household_id, str(household_id), children.get(household_id, []))
        for version, household_id, _ in found
    ]


def _households(
    session: Session, hamlet_id: int, pos: Position, top: int, budget: int, campaign_ids: list[int]
) -> list[_Row]:
    h = _columns(Household)
    v, hid = h.version, h.id
    stmt = (
        sa_select(
            h.version,
            h.id,
            h.hamlet_id,
            h.address,
            h.head_name,
            h.phone,
            h.member_count,
            h.latitude,
            h.longitude,
            h.created_at,
            h.updated_at,
            h.deleted_at,
            h.erased_at,
            h.consent,
            h.consent_notice_version,
            h.consent_on,
        )
        .where(h.hamlet_id == hamlet_id, _after(pos, HOUSEHOLD, v, _key_after(pos, HOUSEHOLD, hid), top))
        .order_by(v, hid)
        .limit(budget)
    )
    out = []
    for r in session.execute(stmt).all():
        key = str(r.id)
        if r.deleted_at is not None or r.erased_at is not None:
            # Deleting a household drops its statuses for every campaign (their rows are gone); an erased
            # one is dropped whole, so no phone keeps a copy of what was erased.
            statuses = [_delete("household_status", f"{key}:{c}") for c in [ALL_TIME, *campaign_ids]]
            out.append(_Row(r.version, HOUSEHOLD, r.id, key, [_delete("household", key), *statuses]))
            continue
        data = {
            "id": r.id,
            "hamlet_id": r.hamlet_id,
            "address": r.address,
            "head_name": r.head_name,
            "phone": r.phone,
            "member_count": r.member_count,
            "latitude": r.latitude,
            "longitude": r.longitude,
            "created_at": r.created_at,
            "updated_at": r.updated_at,
            "deleted": False,
            "consent": {"state": r.consent, "notice_version": r.consent_notice_version, "on": r.consent_on},
        }
        if r.consent == "withdrawn":
            # Withdrawn consent: the household stays on the walk list, without its name or address.
            data.update(head_name=WITHDRAWN_LABEL, address="", phone=None, latitude=None, longitude=None)
        out.append(_Row(r.version, HOUSEHOLD, r.id, key, [{"type": "household", "op": "put", "id": key, "data": data}]))
    return out


def _people(session: Session, hamlet_id: int, pos: Position, top: int, budget: int) -> list[_Row]:
    p = _columns(Person)
    v, pid = p.version, p.id
    stmt = (
        sa_select(
            p.version,
            p.id,
            p.household_id,
            p.full_name,
            p.birth_year,
            p.sex,
            p.deleted_at,
            _columns(Household).deleted_at.label("household_deleted_at"),
            _columns(Household).erased_at,
            _columns(Household).consent,
        )
        .join(Household, col(Household.id) == p.household_id)
        .where(p.hamlet_id == hamlet_id, _after(pos, PERSON, v, _key_after(pos, PERSON, pid), top))
        .order_by(v, pid)
        .limit(budget)
    )
    out = []
    for r in session.execute(stmt).all():
        version, person_id, household_id, name = r.version, r.id, r.household_id, r.full_name
        key = str(person_id)
        if r.deleted_at is not None or r.household_deleted_at is not None or r.erased_at is not None:
            out.append(_Row(version, PERSON, person_id, key, [_delete("person", key)]))
            continue
        data = {
            "id": person_id,
            "household_id": household_id,
            "full_name": None if r.consent == "withdrawn" else name,
            "birth_year": r.birth_year,
            "sex": r.sex,
            "skills": {},
            "milestones": [],
        }
        out.append(_Row(version, PERSON, person_id, key, [{"type": "person", "op": "put", "id": key, "data": data}]))
    return out


def _fill_levels(session: Session, rows: Iterable[_Row]) -> None:
    """All-time levels and milestones of the people in the page, in two queries."""
    people = {c["data"]["id"]: c["data"] for r in rows if r.rank == PERSON for c in r.changes if c["op"] == "put"}
    if not people:
        return
    ids = list(people)
    for person_id, skill_id, level in session.exec(
        select(PersonSkill.person_id, PersonSkill.skill_id, PersonSkill.level).where(
            col(PersonSkill.person_id).in_(ids), PersonSkill.campaign_id == ALL_TIME
        )
    ).all():
        people[person_id]["skills"][skill_id] = "proficient" if level >= PROFICIENT else "taught"
    for person_id, milestone_id in session.exec(
        select(PersonMilestone.person_id, PersonMilestone.milestone_id).where(
            col(PersonMilestone.person_id).in_(ids), PersonMilestone.campaign_id == ALL_TIME
        )
    ).all():
        people[person_id]["milestones"].append(milestone_id)
    for data in people.values():
        data["milestones"].sort()


def _statuses(session: Session, hamlet_id: int, pos: Position, top: int, budget: int) -> list[_Row]:
    s = _columns(HouseholdStatus)
    v, hid, cid = s.version, s.household_id, s.campaign_id
    stmt = (
        sa_select(
            s.version,
            s.household_id,
            s.campaign_id,
            s.visits,
            s.last_outcome,
            s.last_visit_at,
            s.visited_on,
            s.proficient_people,
            s.covered_1_on,
            s.covered_2_on,
            _columns(Household).deleted_at,
            _columns(Household).erased_at,
        )
        .join(Household, col(Household.id) == s.household_id)
        .where(s.hamlet_id == hamlet_id, _after(pos, STATUS, v, _key_after(pos, STATUS, hid, cid), top))
        .order_by(v, hid, cid)
        .limit(budget)
    )
    out = []
    for r in session.execute(stmt).all():
        key = f"{r.household_id}:{r.campaign_id}"
        sort_key = (r.household_id, r.campaign_id)
        if r.deleted_at is not None or r.erased_at is not None:
            out.append(_Row(r.version, STATUS, sort_key, key, [_delete("household_status", key)]))
            continue
        data = {
            "household_id": r.household_id,
            "campaign_id": r.campaign_id,
            "visits": r.visits,
            "last_outcome": r.last_outcome,
            "last_visit_at": r.last_visit_at,
            "visited": r.visited_on is not None,
            "proficient_people": r.proficient_people,
            "covered_1": r.covered_1_on is not None,
            "covered_2": r.covered_2_on is not None,
        }
        out.append(
            _Row(r.version, STATUS, sort_key, key, [{"type": "household_status", "op": "put", "id": key, "data": data}])
        )
    return out


def _visits(session: Session, hamlet_id: int, pos: Position, top: int, budget: int) -> list[_Row]:
    t = _columns(Visit)
    v, vid = t.version, t.id
    stmt = (
        sa_select(
            t.version,
            t.id,
            t.household_id,
            t.campaign_id,
            t.volunteer_id,
            t.visited_at,
            t.received_at,
            t.outcome,
            t.consent_given,
            t.notes,
            _columns(Household).deleted_at,
            _columns(Household).erased_at,
        )
        .join(Household, col(Household.id) == t.household_id)
        .where(t.hamlet_id == hamlet_id, _after(pos, VISIT, v, _key_after(pos, VISIT, vid), top))
        .order_by(v, vid)
        .limit(budget)
    )
    out = []
    for r in session.execute(stmt).all():
        key = str(r.id)
        if r.deleted_at is not None or r.erased_at is not None:
            out.append(_Row(r.version, VISIT, r.id, key, [_delete("visit", key)]))
            continue
        data = {
            "id": r.id,
            "household_id": r.household_id,
            "campaign_id": r.campaign_id,
            "volunteer_id": r.volunteer_id,
            "visited_at": r.visited_at,
            "received_at": r.received_at,
            "outcome": r.outcome,
            "consent_given": r.consent_given,
            "notes": r.notes,
        }
        out.append(_Row(r.version, VISIT, r.id, key, [{"type": "visit", "op": "put", "id": key, "data": data}]))
    return out


def _columns(model: type) -> Any:
    """The Core columns of a table: plain column selects skip building ORM objects for big pages."""
    return cast(Table, model.__table__).c  # type: ignore[attr-defined]


def _delete(kind: str, key: str) -> dict[str, Any]:
    return {"type": kind, "op": "delete", "id": key}
