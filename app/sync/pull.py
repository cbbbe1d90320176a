"""Sync v1 pull (DESIGN §5, docs/sync-v1.md): the user's area since an opaque cursor.

Every household, person, household status and visit row carries its hamlet's version at its last
change, taken under the `area_version` row lock, so versions of one hamlet commit in order. The
cursor is the position reached in each hamlet, (version, type rank, key) (`app/sync/cursor.py`), and
a page never reads past the versions committed when the pull began: a transaction that commits late
is never skipped.

A page costs the same few statements however many rows it holds: the area with its versions, the
catalogue (three reads), then per hamlet one look-ahead over the keys of all its tables, which finds
where the page ends, and one keyset read per table with rows in the page, bounded on both sides, so
no row is read twice or thrown away. Rows come back as plain tuples, never ORM objects.
"""

import hashlib
import uuid
from collections.abc import Collection
from typing import Any

import orjson
from sqlalchemy import ColumnElement, Integer, Table, Uuid, and_, bindparam, literal_column, or_, tuple_, union_all
from sqlalchemy import select as sa_select
from sqlmodel import Session

from app.auth.scope import FIELD_ROLES, Scope
from app.errors import Forbidden
from app.models import (
    ALL_TIME,
    Household,
    HouseholdDeparture,
    HouseholdStatus,
    Person,
    PersonMilestone,
    PersonSkill,
    User,
    Visit,
)
from app.models.base import table_of
from app.models.visits import PROFICIENT
from app.privacy.service import WITHDRAWN_LABEL
from app.sync import catalogue
from app.sync.cursor import (
    DEPARTURE,
    DONE,
    HOUSEHOLD,
    PERSON,
    START,
    STATUS,
    VISIT,
    InvalidCursor,
    Position,
    decode_cursor,
    encode_cursor,
    key_text,
    key_value,
)

__all__ = ["DEFAULT_LIMIT", "MAX_LIMIT", "InvalidCursor", "NamedPullForField", "pull"]

DEFAULT_LIMIT = 500
MAX_LIMIT = 1000


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


def pull(
    session: Session, *, actor: User, scope: Scope, cursor: str | None, limit: int = DEFAULT_LIMIT
) -> dict[str, Any]:
    """The next page of the user's area: `{changes, cursor, has_more, reset}` (docs/sync-v1.md)."""
    if actor.role not in FIELD_ROLES:
        raise NamedPullForField(details={"role": actor.role})
    limit = max(1, min(limit, MAX_LIMIT))
    state = decode_cursor(cursor) if cursor else None
    # The high-water mark comes with the area: the versions committed now. Reading no further keeps
    # every page a consistent cut even at READ COMMITTED, where each statement sees newer commits.
    area, tops = catalogue.area_of(session, scope)
    sent = catalogue.catalogue(session, area)
    marker = hashlib.sha256(orjson.dumps(sent)).hexdigest()[:16]
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
        changes.extend(c for c in sent if sent_marker or c["op"] == "put")
    campaign_ids = [int(c["id"]) for c in sent if c["type"] == "campaign"]
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
        page = _HamletPage(session, hamlet_id, pos, top, campaign_ids, area)
        end, rows = page.read(budget)
        # Tombstones even on a hamlet's first page: the phone may hold its rows from another hamlet
        # (a household moved in from one it already had).
        changes.extend(page.changes)
        budget -= rows
        if end is None:
            positions[hamlet_id] = Position(top, DONE, "")
        else:
            positions[hamlet_id] = end
            has_more = True
            break
    return {
        "changes": changes,
        "cursor": encode_cursor(user_id=actor.id, marker=marker, positions=positions),  # type: ignore[arg-type]
        "has_more": has_more,
        "reset": reset,
    }


# --- one hamlet's page ------------------------------------------------------------------------------
#
# A row's place in its hamlet is (version, rank, k1, k2): k1 its id (a status: its household), k2 a
# status's campaign and 0 elsewhere. A page is the window of places after the cursor's position and up
# to the page's end, one row-value comparison on each side, so every statement below is built once
# and only its parameters change.

NIL = uuid.UUID(int=0)
_ZERO = literal_column("0", Integer)


def _place(table: Table, rank: int, k1: Any, k2: Any = _ZERO) -> Any:
    return tuple_(table.c.version, literal_column(str(rank), Integer), k1, k2)


def _window(table: Table, rank: int, k1: Any, k2: Any = _ZERO) -> ColumnElement[bool]:
    """The table's rows of the hamlet after the position and up to the end (both given as parameters)."""
    place = _place(table, rank, k1, k2)
    after = tuple_(bindparam("pv"), bindparam("pr"), bindparam("pk1", type_=Uuid()), bindparam("pk2"))
    upto = tuple_(bindparam("ev"), bindparam("er"), bindparam("ek1", type_=Uuid()), bindparam("ek2"))
    return and_(
        table.c.hamlet_id == bindparam("hamlet_id"),
        table.c.version.between(bindparam("pv"), bindparam("ev")),  # the (hamlet, version) index's range
        place > after,
        place <= upto,
    )


def _bound(pos: Position) -> tuple[int, int, uuid.UUID, int]:
    """A position as a place: a named row's own, else before every row of its (version, rank)."""
    if not pos.key:
        return pos.version, pos.rank, NIL, -1
    value = key_value(pos.rank, pos.key)
    return (pos.version, pos.rank, *value) if pos.rank == STATUS else (pos.version, pos.rank, value, 0)


def _look_ahead_statement() -> Any:
    def first(table: Table, rank: int, k1: Any, k2: Any = _ZERO) -> Any:
        # Each table's own first n by its (hamlet, version) index, then the first n of them all.
        keys = (
            sa_select(
                table.c.version.label("version"),
                literal_column(str(rank), Integer).label("rank"),
                k1.label("k1"),
                k2.label("k2"),
            )
            .where(_window(table, rank, k1, k2))
            .order_by(table.c.version, k1, *([] if k2 is _ZERO else [k2]))
            .limit(bindparam("n"))
            .subquery()
        )
        return sa_select(keys)

    d, h, p, s, v = (table_of(m) for m in (HouseholdDeparture, Household, Person, HouseholdStatus, Visit))
    merged = union_all(
        first(d, DEPARTURE, d.c.household_id),
        first(h, HOUSEHOLD, h.c.id),
        first(p, PERSON, p.c.id),
        first(s, STATUS, s.c.household_id, s.c.campaign_id),
        first(v, VISIT, v.c.id),
    ).subquery()
    c = merged.c
    return sa_select(merged).order_by(c.version, c.rank, c.k1, c.k2).limit(bindparam("n"))


def _reads() -> dict[str, Any]:
    d, h, p, s, v = (table_of(m) for m in (HouseholdDeparture, Household, Person, HouseholdStatus, Visit))
    ps, pm = table_of(PersonSkill), table_of(PersonMilestone)
    gone = or_(h.c.deleted_at.is_not(None), h.c.erased_at.is_not(None))
    people = _window(p, PERSON, p.c.id)
    return {
        "departures": sa_select(d.c.version, d.c.household_id, h.c.hamlet_id)
        .join(h, h.c.id == d.c.household_id)
        .where(_window(d, DEPARTURE, d.c.household_id))
        .order_by(d.c.version, d.c.household_id),
        "households": sa_select(
            h.c.version,
            h.c.id,
            h.c.hamlet_id,
            h.c.address,
            h.c.head_name,
            h.c.phone,
            h.c.member_count,
            h.c.latitude,
            h.c.longitude,
            h.c.created_at,
            h.c.updated_at,
            gone,
            h.c.consent,
            h.c.consent_notice_version,
            h.c.consent_on,
        )
        .where(_window(h, HOUSEHOLD, h.c.id))
        .order_by(h.c.version, h.c.id),
        "people": sa_select(
            p.c.version,
            p.c.id,
            p.c.household_id,
            p.c.full_name,
            p.c.birth_year,
            p.c.sex,
            or_(p.c.deleted_at.is_not(None), gone),
            h.c.consent,
        )
        .join(h, h.c.id == p.c.household_id)
        .where(people)
        .order_by(p.c.version, p.c.id),
        # The page's people's all-time levels and milestones in one read over the same window (a
        # milestone row has no level).
        "levels": union_all(
            sa_select(ps.c.person_id, ps.c.skill_id, ps.c.level)
            .join(p, p.c.id == ps.c.person_id)
            .where(people, ps.c.campaign_id == ALL_TIME),
            sa_select(pm.c.person_id, pm.c.milestone_id, literal_column("-1", Integer))
            .join(p, p.c.id == pm.c.person_id)
            .where(people, pm.c.campaign_id == ALL_TIME),
        ),
        "statuses": sa_select(
            s.c.version,
            s.c.household_id,
            s.c.campaign_id,
            s.c.visits,
            s.c.last_outcome,
            s.c.last_visit_at,
            s.c.visited_on.is_not(None),
            s.c.proficient_people,
            s.c.covered_1_on.is_not(None),
            s.c.covered_2_on.is_not(None),
            gone,
        )
        .join(h, h.c.id == s.c.household_id)
        .where(_window(s, STATUS, s.c.household_id, s.c.campaign_id))
        .order_by(s.c.version, s.c.household_id, s.c.campaign_id),
        "visits": sa_select(
            v.c.version,
            v.c.id,
            v.c.household_id,
            v.c.campaign_id,
            v.c.volunteer_id,
            v.c.visited_at,
            v.c.received_at,
            v.c.outcome,
            v.c.consent_given,
            v.c.notes,
            gone,
        )
        .join(h, h.c.id == v.c.household_id)
        .where(_window(v, VISIT, v.c.id))
        .order_by(v.c.version, v.c.id),
    }


_LOOK_AHEAD = _look_ahead_statement()
_READ = _reads()


class _HamletPage:
    """The hamlet's rows after `pos`, never past `top`, in (version, rank, key) order."""

    def __init__(
        self, session: Session, hamlet_id: int, pos: Position, top: int, campaign_ids: list[int], area: Collection[int]
    ) -> None:
        self.session, self.hamlet_id, self.pos, self.top = session, hamlet_id, pos, top
        self.campaign_ids, self.area = campaign_ids, area
        # The tables are read in rank order, each in (version, key) order, so a stable sort of the
        # changes by version alone puts them in (version, rank, key) order.
        self._versions: list[int] = []
        self._changes: list[dict[str, Any]] = []
        self._params: dict[str, Any] = {}

    @property
    def changes(self) -> list[dict[str, Any]]:
        order = sorted(range(len(self._changes)), key=self._versions.__getitem__)
        return [self._changes[i] for i in order]

    def read(self, budget: int) -> tuple[Position | None, int]:
        """Read up to `budget` rows: (the position reached, or None when nothing up to `top` is left;
        the rows counted)."""
        pv, pr, pk1, pk2 = _bound(self.pos)
        self._params = {"hamlet_id": self.hamlet_id, "pv": pv, "pr": pr, "pk1": pk1, "pk2": pk2}
        self._params.update(ev=self.top, er=DONE, ek1=NIL, ek2=-1)
        keys = self.session.execute(_LOOK_AHEAD, {**self._params, "n": budget + 1}).all()
        end = None
        if len(keys) > budget:
            keys = keys[:budget]
            version, rank, k1, k2 = keys[-1]
            end = Position(version, rank, key_text(rank, k1, k2))
            self._params.update(ev=version, er=rank, ek1=k1, ek2=k2)
        reads = {
            DEPARTURE: self._departures,
            HOUSEHOLD: self._households,
            PERSON: self._people,
            STATUS: self._statuses,
            VISIT: self._visits,
        }
        for rank in sorted({rank for _, rank, _, _ in keys}):
            reads[rank]()
        return end, len(keys)

    def _rows(self, name: str) -> Any:
        return self.session.execute(_READ[name], self._params).all()

    def _put(self, version: int, kind: str, key: str, data: dict[str, Any]) -> None:
        self._versions.append(version)
        self._changes.append({"type": kind, "op": "put", "id": key, "data": data})

    def _delete(self, version: int, kind: str, key: str) -> None:
        self._versions.append(version)
        self._changes.append({"type": kind, "op": "delete", "id": key})

    def _departures(self) -> None:
        # Moved to another hamlet of the same area: that hamlet's rows carry it, and a tombstone here
        # could reach the phone after them (hamlets are read one after the other) and delete it.
        gone = {hid: version for version, hid, now_in in self._rows("departures") if now_in not in self.area}
        if not gone:
            return
        # The household took its people, statuses and visits out of the area: drop them all.
        p, s, v = table_of(Person), table_of(HouseholdStatus), table_of(Visit)
        ids = sorted(gone)
        children: dict[uuid.UUID, list[tuple[str, str]]] = {h: [("household", str(h))] for h in gone}
        for person_id, household_id in self.session.execute(
            sa_select(p.c.id, p.c.household_id).where(p.c.household_id.in_(ids))
        ).all():
            children[household_id].append(("person", str(person_id)))
        for household_id, campaign_id in self.session.execute(
            sa_select(s.c.household_id, s.c.campaign_id).where(s.c.household_id.in_(ids))
        ).all():
            children[household_id].append(("household_status", f"{household_id}:{campaign_id}"))
        for visit_id, household_id in self.session.execute(
            sa_select(v.c.id, v.c.household_id).where(v.c.household_id.in_(ids))
        ).all():
            children[household_id].append(("visit", str(visit_id)))
        for household_id, version in gone.items():
            for kind, key in children[household_id]:
                self._delete(version, kind, key)

    def _households(self) -> None:
        scopes = [ALL_TIME, *self.campaign_ids]
        for (
            version,
            hid,
            hamlet_id,
            address,
            head,
            phone,
            members,
            lat,
            lon,
            created,
            updated,
            gone,
            consent,
            notice_version,
            consent_on,
        ) in self._rows("households"):
            key = str(hid)
            if gone:
                # Deleting a household drops its statuses for every campaign (their rows are gone); an
                # erased one is dropped whole, so no phone keeps a copy of what was erased.
                self._delete(version, "household", key)
                for campaign_id in scopes:
                    self._delete(version, "household_status", f"{key}:{campaign_id}")
                continue
            if consent == "withdrawn":
                # Withdrawn consent: the household stays on the walk list, without its name or address.
                head, address, phone, lat, lon = WITHDRAWN_LABEL, "", None, None, None
            data = {
                "id": hid,
                "hamlet_id": hamlet_id,
                "address": address,
                "head_name": head,
                "phone": phone,
                "member_count": members,
                "latitude": lat,
                "longitude": lon,
                "created_at": created,
                "updated_at": updated,
                "deleted": False,
                "consent": {"state": consent, "notice_version": notice_version, "on": consent_on},
            }
            self._put(version, "household", key, data)

    def _people(self) -> None:
        people: dict[Any, dict[str, Any]] = {}
        for version, person_id, household_id, name, birth_year, sex, gone, consent in self._rows("people"):
            key = str(person_id)
            if gone:
                self._delete(version, "person", key)
                continue
            data = {
                "id": person_id,
                "household_id": household_id,
                "full_name": None if consent == "withdrawn" else name,
                "birth_year": birth_year,
                "sex": sex,
                "skills": {},
                "milestones": [],
            }
            people[person_id] = data
            self._put(version, "person", key, data)
        if not people:
            return
        reached = set()
        for person_id, item, level in self._rows("levels"):
            person = people.get(person_id)
            if person is None:
                continue
            if level < 0:
                person["milestones"].append(item)
                reached.add(person_id)
            else:
                person["skills"][item] = "proficient" if level >= PROFICIENT else "taught"
        for person_id in reached:
            people[person_id]["milestones"].sort()

    def _statuses(self) -> None:
        for version, hid, cid, visits, outcome, last_at, visited, proficient, cov1, cov2, gone in self._rows(
            "statuses"
        ):
            key = f"{hid}:{cid}"
            if gone:
                self._delete(version, "household_status", key)
                continue
            data = {
                "household_id": hid,
                "campaign_id": cid,
                "visits": visits,
                "last_outcome": outcome,
                "last_visit_at": last_at,
                "visited": visited,
                "proficient_people": proficient,
                "covered_1": cov1,
                "covered_2": cov2,
            }
            self._put(version, "household_status", key, data)

    def _visits(self) -> None:
        for version, vid, hid, cid, volunteer_id, visited_at, received_at, outcome, consent, notes, gone in self._rows(
            "visits"
        ):
            key = str(vid)
            if gone:
                self._delete(version, "visit", key)
                continue
            data = {
                "id": vid,
                "household_id": hid,
                "campaign_id": cid,
                "volunteer_id": volunteer_id,
                "visited_at": visited_at,
                "received_at": received_at,
                "outcome": outcome,
                "consent_given": consent,
                "notes": notes,
            }
            self._put(version, "visit", key, data)
