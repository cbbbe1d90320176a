"""Several phones work offline and sync through the real app while the network misbehaves.

Each simulated device has its own client_id, local store, cursor and outbox (an entry leaves the
outbox only on its own acknowledgement). The test duplicates requests, drops requests, drops answers
after the server committed, sends batches out of order and with expired tokens. After everyone syncs
with no faults: every acknowledged mutation was applied exactly once, no outbox entry is missing on
the server, every device's copy of its area equals the server's, and every aggregate row equals a
recomputation from the raw visits.
"""

import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import jwt
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test
from sqlalchemy import Engine, text
from sqlmodel import Session

from app.auth.security import create_token
from app.config import get_settings
from app.main import create_app
from app.models import AdminUnit, Household, User, VolunteerArea
from app.models.base import utcnow
from tests import dbs
from tests.factories import make_campaign, make_tree
from tests.reports.test_aggregates_match_raw import assert_matches
from tests.sync.helpers import PULL, PUSH, SKILLS, apply

MILESTONES = ["vneid_level2", "public_service_account", "payment_app"]
Key = tuple[str, str]


@dataclass
class Device:
    name: str
    client_id: str
    user_id: int
    hamlets: list[int]
    token: str
    outbox: list[dict[str, Any]] = field(default_factory=list)
    next_seq: int = 1
    store: dict[Key, dict[str, Any]] = field(default_factory=dict)
    cursor: str | None = None
    # What the phone knows it wrote and has not seen back yet (the PWA overlays its outbox).
    mine: dict[Key, dict[str, Any]] = field(default_factory=dict)
    needs_attention: dict[int, str] = field(default_factory=dict)
    deleted: dict[str, dict[str, Any]] = field(default_factory=dict)
    created: list[dict[str, Any]] = field(default_factory=list)

    def enqueue(self, kind: str, data: dict[str, Any]) -> None:
        entry = {"seq": self.next_seq, "id": data["id"], "kind": kind, "data": data}
        self.next_seq += 1
        self.outbox.append(entry)
        self.created.append(entry)
        type_ = kind.split(".")[0]
        if type_ != "visit":
            self.mine[(type_, data["id"])] = data

    def households(self) -> list[dict[str, Any]]:
        rows = {k[1]: v for k, v in self.store.items() if k[0] == "household"}
        rows.update({k[1]: v for k, v in self.mine.items() if k[0] == "household"})
        return [rows[k] for k in sorted(rows) if not rows[k].get("deleted")]

    def people_of(self, household_id: str) -> list[str]:
        rows = {k[1]: v for k, v in self.store.items() if k[0] == "person"}
        rows.update({k[1]: v for k, v in self.mine.items() if k[0] == "person"})
        return sorted(pid for pid, p in rows.items() if p["household_id"] == household_id and not p.get("deleted"))


def _expired(user_id: int) -> str:
    s = get_settings()
    now = utcnow()
    claims = {"sub": str(user_id), "type": "access", "iat": now - timedelta(hours=2), "exp": now - timedelta(hours=1)}
    return jwt.encode(claims, s.secret_key, algorithm=s.jwt_algorithm)


def _user(session: Session, phone: str, hamlets: list[AdminUnit]) -> User:
    # No password: these phones hold tokens, and hashing one per example would dominate the run.
    user = User(phone=phone, full_name="Tổ viên", password_hash="!", role="volunteer")
    session.add(user)
    session.flush()
    for h in hamlets:
        session.add(VolunteerArea(user_id=user.id, hamlet_id=h.id))
    return user


class SyncMachine(RuleBasedStateMachine):
    engine: Engine
    client: TestClient

    def __init__(self) -> None:
        super().__init__()
        dbs.reset_database(self.engine)
        with Session(self.engine) as session:
            tree = make_tree(session)
            self.campaign_id = make_campaign(session, unit=tree.province).id
            a = _user(session, "+84910000001", [tree.hamlet])
            b = _user(session, "+84910000002", [tree.hamlet, tree.other_hamlet])
            session.commit()
            self.hamlets = [tree.hamlet.id, tree.other_hamlet.id]
            people = [(a.id, [tree.hamlet.id]), (b.id, self.hamlets), (a.id, [tree.hamlet.id])]
        self.devices = [
            Device(f"phone{i}", uuid.uuid4().hex, uid, hamlets, create_token(uid, "access"))  # type: ignore[arg-type]
            for i, (uid, hamlets) in enumerate(people)
        ]
        # Everything the server answered, including answers the network then "lost".
        self.applied: Counter[tuple[str, int]] = Counter()
        self.acked: dict[tuple[str, int], str] = {}
        self.expected_households: dict[str, dict[str, Any]] = {}
        self.expected_people: dict[str, dict[str, Any]] = {}
        self.expected_visits: set[str] = set()

    # --- offline work ---------------------------------------------------------------------------

    @initialize(sizes=st.lists(st.integers(1, 3), min_size=3, max_size=3))
    def first_households(self, sizes: list[int]) -> None:
        for d, n in enumerate(sizes):
            self.create_household(d, d, n, "Hộ đầu tiên")

    @rule(
        d=st.integers(0, 2), hamlet=st.integers(0, 1), n=st.integers(0, 3), name=st.sampled_from(["Hộ Lê", "Hộ Trần"])
    )
    def create_household(self, d: int, hamlet: int, n: int, name: str) -> None:
        dev = self.devices[d]
        hid = str(uuid.uuid4())
        dev.enqueue(
            "household.upsert",
            {"id": hid, "hamlet_id": dev.hamlets[hamlet % len(dev.hamlets)], "address": f"Số {n}", "head_name": name},
        )
        for i in range(n):
            dev.enqueue(
                "person.upsert",
                {"id": str(uuid.uuid4()), "household_id": hid, "full_name": f"Người {i}", "birth_year": 1960 + i},
            )

    @rule(
        d=st.integers(0, 2), pick=st.integers(0, 50), change=st.sampled_from(["address", "move", "delete", "restore"])
    )
    def edit_household(self, d: int, pick: int, change: str) -> None:
        dev = self.devices[d]
        rows = dev.households() if change != "restore" else [dev.deleted[k] for k in sorted(dev.deleted)]
        if not rows:
            return
        h = rows[pick % len(rows)]
        data = {k: h[k] for k in ("id", "hamlet_id", "address", "head_name")}
        if change == "address":
            data["address"] = f"{h['address']}*"
        elif change == "move":
            data["hamlet_id"] = (
                dev.hamlets[(dev.hamlets.index(h["hamlet_id"]) + 1) % len(dev.hamlets)]
                if h["hamlet_id"] in dev.hamlets
                else dev.hamlets[0]
            )
        data["deleted"] = change == "delete"
        if change == "delete":
            dev.deleted[h["id"]] = data
        else:
            dev.deleted.pop(h["id"], None)
        dev.enqueue("household.upsert", data)

    @rule(d=st.integers(0, 2), pick=st.integers(0, 50), delete=st.booleans())
    def add_or_remove_person(self, d: int, pick: int, delete: bool) -> None:
        dev = self.devices[d]
        rows = dev.households()
        if not rows:
            return
        h = rows[pick % len(rows)]
        people = dev.people_of(h["id"])
        if delete and people:
            pid = people[pick % len(people)]
            dev.enqueue(
                "person.upsert", {"id": pid, "household_id": h["id"], "full_name": "Đã chuyển đi", "deleted": True}
            )
        else:
            dev.enqueue("person.upsert", {"id": str(uuid.uuid4()), "household_id": h["id"], "full_name": "Người mới"})

    @rule(
        d=st.integers(0, 2),
        pick=st.integers(0, 50),
        day=st.integers(1, 12),
        in_campaign=st.booleans(),
        levels=st.lists(st.sampled_from([None, "taught", "proficient"]), min_size=5, max_size=5),
        milestones=st.sets(st.sampled_from(MILESTONES), max_size=2),
        outcome=st.sampled_from(["met", "met", "met", "not_home", "declined"]),
        count=st.integers(1, 3),
    )
    def visit(
        self,
        d: int,
        pick: int,
        day: int,
        in_campaign: bool,
        levels: list[str | None],
        milestones: set[str],
        outcome: str,
        count: int,
    ) -> None:
        for i in range(count):
            self._visit(d, pick + i, min(day + i, 12), in_campaign, levels[i:] + levels[:i], milestones, outcome)

    def _visit(
        self,
        d: int,
        pick: int,
        day: int,
        in_campaign: bool,
        levels: list[str | None],
        milestones: set[str],
        outcome: str,
    ) -> None:
        dev = self.devices[d]
        rows = dev.households()
        if not rows:
            return
        h = rows[pick % len(rows)]
        skills = {s: lv for s, lv in zip(SKILLS, levels, strict=True) if lv}
        people = dev.people_of(h["id"])[: 1 + pick % 3] if outcome == "met" else []
        dev.enqueue(
            "visit.create",
            {
                "id": str(uuid.uuid4()),
                "household_id": h["id"],
                "campaign_id": self.campaign_id if in_campaign else None,
                "visited_at": f"2024-10-{day:02d}T09:30:00+07:00",
                "outcome": outcome,
                "consent_given": True,
                "people": [{"person_id": p, "skills": skills, "milestones": sorted(milestones)} for p in people],
            },
        )

    @rule(d=st.integers(0, 2), pick=st.integers(0, 50))
    def bad_visit(self, d: int, pick: int) -> None:
        dev = self.devices[d]
        rows = dev.households()
        household_id = rows[pick % len(rows)]["id"] if rows else str(uuid.uuid4())
        dev.enqueue(
            "visit.create",
            {
                "id": str(uuid.uuid4()),
                "household_id": household_id,
                "visited_at": "2024-10-02T09:00:00+07:00",
                "outcome": "maybe",
            },
        )

    # --- the network ----------------------------------------------------------------------------

    @rule(
        d=st.integers(0, 2),
        size=st.integers(1, 12),
        skip=st.integers(0, 3),
        fault=st.sampled_from(
            ["none", "none", "drop_request", "drop_answer", "duplicate", "out_of_order", "expired", "shuffled"]
        ),
    )
    def push(self, d: int, size: int, skip: int, fault: str) -> None:
        dev = self.devices[d]
        if not dev.outbox:
            return
        if fault == "drop_request":
            return
        if fault == "out_of_order":
            # A later slice first (a retry queue gone wrong), then the start.
            later = dev.outbox[skip : skip + size]
            if later:
                self._send(dev, later, deliver=True)
            self._send(dev, dev.outbox[:size], deliver=True)
            return
        batch = list(dev.outbox[:size])
        if fault == "shuffled":
            batch.reverse()
        if fault == "expired":
            body = {"client_id": dev.client_id, "schema_version": 1, "mutations": batch}
            r = self.client.post(PUSH, json=body, headers={"Authorization": f"Bearer {_expired(dev.user_id)}"})
            assert r.status_code == 401
            return
        if fault == "duplicate":
            self._send(dev, batch, deliver=False)
        self._send(dev, batch, deliver=fault != "drop_answer")

    def _send(self, dev: Device, batch: list[dict[str, Any]], *, deliver: bool) -> None:
        body = {"client_id": dev.client_id, "schema_version": 1, "mutations": batch}
        r = self.client.post(PUSH, json=body, headers={"Authorization": f"Bearer {dev.token}"})
        assert r.status_code == 200, r.text
        entries = {e["seq"]: e for e in batch}
        # The server applies in seq order whatever the order of the request.
        for result in sorted(r.json()["results"], key=lambda x: x["seq"]):
            key = (dev.client_id, result["seq"])
            status = result["status"]
            if status == "applied":
                self.applied[key] += 1
                assert self.applied[key] == 1, f"{key} applied twice"
                self._expect(entries[result["seq"]])
            if status != "retry":
                previous = self.acked.setdefault(key, status)
                # Once rejected, always rejected; once applied, any resend is a duplicate.
                assert status == previous or (previous == "applied" and status == "duplicate"), (previous, status)
        if not deliver:
            return
        for result in r.json()["results"]:
            if result["status"] == "retry":
                continue
            if result["status"] == "rejected":
                dev.needs_attention[result["seq"]] = result["code"]
            dev.outbox = [e for e in dev.outbox if e["seq"] != result["seq"]]

    def _expect(self, entry: dict[str, Any]) -> None:
        data = entry["data"]
        if entry["kind"] == "household.upsert":
            self.expected_households[data["id"]] = data
        elif entry["kind"] == "person.upsert":
            self.expected_people[data["id"]] = data
        else:
            self.expected_visits.add(data["id"])

    @rule(d=st.integers(0, 2), limit=st.sampled_from([3, 10, 500]), pages=st.integers(1, 3), drop=st.booleans())
    def pull(self, d: int, limit: int, pages: int, drop: bool) -> None:
        dev = self.devices[d]
        for _ in range(pages):
            params: dict[str, Any] = {"limit": limit}
            if dev.cursor:
                params["cursor"] = dev.cursor
            r = self.client.get(PULL, params=params, headers={"Authorization": f"Bearer {dev.token}"})
            assert r.status_code == 200, r.text
            if drop:
                return  # the answer never arrived: nothing saved, the old cursor stays
            self._apply_page(dev, r.json())
            if not r.json()["has_more"]:
                return

    @staticmethod
    def _apply_page(dev: Device, page: dict[str, Any]) -> None:
        # One IndexedDB transaction on the phone: the page and its cursor together.
        if page["reset"]:
            dev.store.clear()
        apply(dev.store, page["changes"])
        dev.cursor = page["cursor"]
        pending = {e["id"] for e in dev.outbox}
        dev.mine = {k: v for k, v in dev.mine.items() if k[1] in pending}

    @invariant()
    def outbox_entries_leave_only_when_acknowledged(self) -> None:
        for dev in self.devices:
            waiting = {e["seq"] for e in dev.outbox}
            for e in dev.created:
                if e["seq"] not in waiting:
                    assert (dev.client_id, e["seq"]) in self.acked

    # --- the end: sync with no faults and compare ------------------------------------------------

    def teardown(self) -> None:
        if not hasattr(self, "devices"):
            return
        for dev in self.devices:
            for _ in range(50):
                if not dev.outbox:
                    break
                self._send(dev, dev.outbox[:100], deliver=True)
            assert dev.outbox == [], f"{dev.name} could not empty its outbox"
        for dev in self.devices:
            for _ in range(1000):
                params = {"limit": 500, **({"cursor": dev.cursor} if dev.cursor else {})}
                page = self.client.get(PULL, params=params, headers={"Authorization": f"Bearer {dev.token}"}).json()
                self._apply_page(dev, page)
                if not page["has_more"]:
                    break
        for dev in self.devices:
            assert dev.store == self._fresh_pull(dev), f"{dev.name}: incremental copy differs from a fresh pull"
        # (SQLite: no request may run while this session holds the write lock.)
        with Session(self.engine) as session:
            self._check_exactly_once(session)
            for dev in self.devices:
                self._check_copy(session, dev)
            self._check_aggregates(session)

    def _check_exactly_once(self, session: Session) -> None:
        for dev in self.devices:
            for e in dev.created:
                key = (dev.client_id, e["seq"])
                assert key in self.acked, f"{dev.name} seq {e['seq']} never acknowledged"
                assert self.applied[key] <= 1
                if self.acked[key] == "rejected":
                    assert dev.needs_attention.get(e["seq"]), "a rejection the volunteer never saw"
        conn = session.connection()
        visits = {str(uuid.UUID(str(v))) for (v,) in conn.execute(text("SELECT id FROM visit"))}
        assert visits == self.expected_visits
        for hid, data in self.expected_households.items():
            row = session.get(Household, uuid.UUID(hid))
            assert row is not None
            assert (row.hamlet_id, row.address, row.head_name, row.deleted_at is not None) == (
                data["hamlet_id"],
                data["address"],
                data["head_name"],
                bool(data.get("deleted")),
            )
        households_in_db = {str(uuid.UUID(str(h))) for (h,) in conn.execute(text("SELECT id FROM household"))}
        assert households_in_db == set(self.expected_households)
        people = {
            str(uuid.UUID(str(p))): (n, d is not None)
            for p, n, d in conn.execute(text("SELECT id, full_name, deleted_at FROM person"))
        }
        assert people == {pid: (p["full_name"], bool(p.get("deleted"))) for pid, p in self.expected_people.items()}

    def _fresh_pull(self, dev: Device) -> dict[Key, dict[str, Any]]:
        """The server's view of the device's area, pulled from scratch."""
        fresh: dict[Key, dict[str, Any]] = {}
        cursor = None
        for _ in range(1000):
            params = {"limit": 1000, **({"cursor": cursor} if cursor else {})}
            page = self.client.get(PULL, params=params, headers={"Authorization": f"Bearer {dev.token}"}).json()
            apply(fresh, page["changes"])
            cursor = page["cursor"]
            if not page["has_more"]:
                break
        return fresh

    def _check_copy(self, session: Session, dev: Device) -> None:
        """The device's copy against the tables themselves, not only against the pull code."""
        conn = session.connection()
        marks = ", ".join(str(h) for h in dev.hamlets)
        live = f"SELECT id FROM household WHERE deleted_at IS NULL AND hamlet_id IN ({marks})"
        expected = {
            "household": {str(uuid.UUID(str(h))) for (h,) in conn.execute(text(live))},
            "person": {
                str(uuid.UUID(str(p)))
                for (p,) in conn.execute(
                    text(f"SELECT id FROM person WHERE deleted_at IS NULL AND household_id IN ({live})")
                )
            },
            "visit": {
                str(uuid.UUID(str(v)))
                for (v,) in conn.execute(text(f"SELECT id FROM visit WHERE household_id IN ({live})"))
            },
            "household_status": {
                f"{uuid.UUID(str(h))}:{c}"
                for h, c in conn.execute(
                    text(f"SELECT household_id, campaign_id FROM household_status WHERE household_id IN ({live})")
                )
            },
        }
        for kind, keys in expected.items():
            assert {k[1] for k in dev.store if k[0] == kind} == keys, f"{dev.name}: {kind} differ from the database"
        levels = {
            (str(uuid.UUID(str(p))), s): ("proficient" if lv >= 2 else "taught")
            for p, s, lv in conn.execute(
                text("SELECT person_id, skill_id, level FROM person_skill WHERE campaign_id = 0")
            )
        }
        for (kind, pid), data in dev.store.items():
            if kind == "person":
                assert data["skills"] == {s: lv for (p, s), lv in levels.items() if p == pid}

    def _check_aggregates(self, session: Session) -> None:
        # Expected values from the raw rows by a recomputation written apart from the app's code.
        assert_matches(session)


def test_devices_converge_through_a_faulty_network(committed_engine: Engine) -> None:
    SyncMachine.engine = committed_engine
    with TestClient(create_app(engine=committed_engine)) as client:
        SyncMachine.client = client
        run_state_machine_as_test(
            SyncMachine,
            settings=settings(
                max_examples=20,
                stateful_step_count=40,
                deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
            ),
        )
