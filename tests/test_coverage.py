"""The coverage write path (app/coverage): order-independent first days, the last outcome by the
phone's clock, the exact rebuild and its check, and random field work against a recomputation from
raw rows written apart from the app (tests/reports/test_aggregates_match_raw.py)."""

import uuid
from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test
from sqlalchemy import Connection, text
from sqlmodel import Session, select
from typer.testing import CliRunner

from app import coverage, db
from app.cli import app as cli
from app.households import service as households
from app.households.schemas import PersonIn
from app.models import ALL_TIME, HouseholdStatus, PersonSkill, UnitCoverage, UnitDaily
from app.visits import plausibility
from app.visits import service as visits
from app.visits.schemas import VisitIn
from tests.factories import aggregate, make_campaign, make_tree, make_user
from tests.reports.build import ALL_PROFICIENT, SKILLS, VIETNAM, Field
from tests.reports.test_aggregates_match_raw import assert_matches

DAY = {n: date(2024, 10, n) for n in range(1, 21)}


def _status(session: Session, household_id: uuid.UUID, campaign_id: int) -> HouseholdStatus:
    row = session.exec(
        select(HouseholdStatus).where(
            HouseholdStatus.household_id == household_id, HouseholdStatus.campaign_id == campaign_id
        )
    ).one()
    session.refresh(row)
    return row


def _facts(session: Session, household_id: uuid.UUID, campaign_id: int) -> tuple[Any, ...]:
    s = _status(session, household_id, campaign_id)
    return (s.visits, s.last_outcome, s.visited_on, s.proficient_people, s.covered_1_on, s.covered_2_on)


def _daily(session: Session, hamlet_id: int, campaign_id: int) -> dict[tuple[date, str], int]:
    out: dict[tuple[date, str], int] = {}
    for r in session.exec(
        select(UnitDaily).where(UnitDaily.unit_id == hamlet_id, UnitDaily.campaign_id == campaign_id)
    ).all():
        session.refresh(r)
        for name in ("visits", "households_visited", "households_covered_1", "households_covered_2"):
            if getattr(r, name):
                out[(r.day, name)] = getattr(r, name)
        if r.people_proficient_all:
            out[(r.day, "people_proficient_all")] = r.people_proficient_all
    return out


def test_a_late_visit_with_an_earlier_day_gives_the_first_days_of_visits_in_order(session: Session) -> None:
    """Counted by hand. Two people; three visits, received in the order day 5, day 3, day 2:
    - day 5, met: p1 proficient in all five, p2 taught two skills;
    - day 3 (synced late), met: p2 proficient in all five, p1 proficient in online_payment, milestone vneid_level2;
    - day 2 (synced last), not home.
    First met day 3; p2 all five on day 3, p1 on day 5 → covered_1 day 3, covered_2 day 5; the last
    call by the phone's clock is day 5 (met), so no "not home"; p1's vneid_level2 on day 3."""
    tree = make_tree(session)
    campaign = make_campaign(session, unit=tree.province, starts_on=DAY[1], ends_on=DAY[10])
    f = Field(session, make_user(session, "admin"))
    late, in_order = f.household(tree.hamlet), f.household(tree.other_hamlet)
    people = {h: (f.person(h), f.person(h)) for h in (late, in_order)}

    def calls(h: uuid.UUID) -> dict[int, tuple[str, dict[uuid.UUID, dict[str, str]], dict[uuid.UUID, list[str]]]]:
        p1, p2 = people[h]
        return {
            5: ("met", {p1: ALL_PROFICIENT, p2: {"public_services": "taught", "online_safety": "taught"}}, {}),
            3: ("met", {p2: ALL_PROFICIENT, p1: {"online_payment": "proficient"}}, {p1: ["vneid_level2"]}),
            2: ("not_home", {}, {}),
        }

    for day in (5, 3, 2):
        outcome, skills, milestones = calls(late)[day]
        f.visit(late, DAY[day], outcome, campaign=campaign, skills=skills, milestones=milestones)
    for day in (2, 3, 5):
        outcome, skills, milestones = calls(in_order)[day]
        f.visit(in_order, DAY[day], outcome, campaign=campaign, skills=skills, milestones=milestones)
    session.flush()
    for scope in (ALL_TIME, campaign.id):
        assert _facts(session, late, scope) == (3, "met", DAY[3], 2, DAY[3], DAY[5])  # type: ignore[arg-type]
        assert _facts(session, in_order, scope) == _facts(session, late, scope)  # type: ignore[arg-type]
    expected_days = {
        (DAY[2], "visits"): 1,
        (DAY[3], "visits"): 1,
        (DAY[5], "visits"): 1,
        (DAY[3], "households_visited"): 1,
        (DAY[3], "households_covered_1"): 1,
        (DAY[5], "households_covered_2"): 1,
        (DAY[3], "people_proficient_all"): 1,
        (DAY[5], "people_proficient_all"): 1,
    }
    for hamlet in (tree.hamlet, tree.other_hamlet):
        assert _daily(session, hamlet.id, campaign.id) == expected_days  # type: ignore[arg-type]
    p1 = people[late][0]
    row = session.get(PersonSkill, (p1, ALL_TIME, "online_payment"))
    assert row is not None and (row.level, row.proficient_on) == (2, DAY[3])
    row = session.get(PersonSkill, (p1, ALL_TIME, "public_services"))
    assert row is not None and (row.level, row.proficient_on) == (2, DAY[5])
    commune = aggregate(session, UnitCoverage, (tree.commune.id, campaign.id))
    assert commune is not None
    assert (commune.visits, commune.households_visited, commune.households_not_home) == (6, 2, 0)
    assert (commune.households_covered_1, commune.households_covered_2, commune.people_proficient_all) == (2, 2, 4)
    assert_matches(session)


def test_the_last_outcome_follows_the_phones_clock_and_ties_go_to_the_later_receipt(session: Session) -> None:
    tree = make_tree(session)
    f = Field(session, make_user(session, "admin"))
    late_not_home, tie = f.household(tree.hamlet), f.household(tree.hamlet)
    # "Not home" on day 2 synced after "met" on day 4: the household stays met.
    f.visit(late_not_home, DAY[4], "met")
    f.visit(late_not_home, DAY[2], "not_home")
    # The same minute twice: the one received last decides.
    f.visit(tie, DAY[4], "met")
    f.visit(tie, DAY[4], "declined")
    session.flush()
    assert _status(session, late_not_home, ALL_TIME).last_outcome == "met"
    assert _status(session, tie, ALL_TIME).last_outcome == "declined"
    hamlet = aggregate(session, UnitCoverage, (tree.hamlet.id, ALL_TIME))
    assert hamlet is not None and (hamlet.households_not_home, hamlet.households_declined) == (0, 1)
    assert_matches(session)


def test_rebuild_repairs_and_verify_reports_every_difference(session: Session) -> None:
    tree = make_tree(session)
    f = Field(session, make_user(session, "admin"))
    h = f.household(tree.hamlet)
    p = f.person(h)
    f.visit(h, DAY[3], skills={p: ALL_PROFICIENT})
    session.flush()
    hamlets = coverage.hamlets_under(session, tree.province.id)
    assert coverage.verify(session, hamlets) == []
    session.execute(text("UPDATE unit_coverage SET visits = visits + 5 WHERE unit_id = :u"), {"u": tree.hamlet.id})
    session.execute(text("UPDATE household_status SET visited_on = NULL"))
    session.execute(text("DELETE FROM person_skill WHERE skill_id = 'online_payment'"))
    differences = coverage.verify(session, hamlets)
    assert any("'visits'" in d and "stored 6, expected 1" in d for d in differences), differences
    assert any("visited_on" in d for d in differences), differences
    assert any("online_payment" in d for d in differences), differences
    assert coverage.rebuild_hamlets(session, hamlets) == 1
    assert coverage.verify(session, hamlets) == []
    assert_matches(session)


def test_the_cli_verifies_and_rebuilds(committed_engine: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    with Session(committed_engine, expire_on_commit=False) as session:
        tree = make_tree(session)
        f = Field(session, make_user(session, "admin"))
        h = f.household(tree.hamlet)
        f.visit(h, DAY[3], "not_home")
        session.execute(text("UPDATE unit_daily SET visits = 3"))
        session.commit()
    monkeypatch.setattr(db, "get_engine", lambda: committed_engine)
    failed = CliRunner().invoke(cli, ["coverage", "verify"])
    assert failed.exit_code == 1, failed.output
    assert "stored 3, expected 1" in failed.output
    fixed = CliRunner().invoke(cli, ["coverage", "rebuild", "--unit", str(tree.district.id)])
    assert fixed.exit_code == 0, fixed.output
    ok = CliRunner().invoke(cli, ["coverage", "verify"])
    assert ok.exit_code == 0, ok.output


# --- random field work ------------------------------------------------------------------------------


class FieldWork(RuleBasedStateMachine):
    """Households, people and visits in two hamlets and two campaigns, in any order: visits with any
    day (and often the same minute), resent visits, deletions and restorations of people and
    households, moves between the hamlets, visits flagged for review and confirmed."""

    connection: Connection
    world: dict[str, Any]  # the units, campaigns and user, made once for every example

    def __init__(self) -> None:
        super().__init__()
        self.savepoint = self.connection.begin_nested()
        self.session = Session(bind=self.connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
        self.tree = self.world["tree"]
        self.hamlets = [self.tree.hamlet, self.tree.hamlet_of_other_commune]
        self.admin = self.session.merge(self.world["admin"])
        self.campaigns = [None, *(self.session.merge(c) for c in self.world["campaigns"])]
        self.f = Field(self.session, self.admin)
        self.people: dict[uuid.UUID, dict[uuid.UUID, bool]] = {}  # household → person → live
        self.live: dict[uuid.UUID, bool] = {}
        self.sent: list[VisitIn] = []

    def teardown(self) -> None:
        try:
            self.session.flush()
            assert coverage.verify(self.session, [h.id for h in self.hamlets]) == []  # type: ignore[misc]
        finally:
            self.session.close()
            self.savepoint.rollback()

    @initialize()
    def start(self) -> None:
        for hamlet in self.hamlets:
            h = self.f.household(hamlet)
            self.live[h] = True
            self.people[h] = {self.f.person(h): True}

    def _home(self, data: st.DataObject, live: bool = True) -> uuid.UUID | None:
        homes = sorted((h for h, alive in self.live.items() if alive == live), key=str)
        return data.draw(st.sampled_from(homes)) if homes else None

    @rule(hamlet=st.integers(0, 1))
    def add_household(self, hamlet: int) -> None:
        h = self.f.household(self.hamlets[hamlet])
        self.live[h] = True
        self.people[h] = {}

    @rule(data=st.data())
    def add_person(self, data: st.DataObject) -> None:
        h = self._home(data)
        if h is not None:
            self.people[h][self.f.person(h)] = True

    @rule(
        data=st.data(),
        day=st.sampled_from([1, 2, 3, 4, 5, 6, 12]),
        hour=st.sampled_from([9, 9, 14]),
        outcome=st.sampled_from(["met", "met", "met", "not_home", "declined", "moved"]),
        campaign=st.integers(0, 2),
    )
    def visit(self, data: st.DataObject, day: int, hour: int, outcome: str, campaign: int) -> None:
        h = self._home(data)
        if h is None:
            return
        people: list[dict[str, Any]] = []
        if outcome == "met":
            for pid, alive in sorted(self.people[h].items(), key=lambda kv: str(kv[0])):
                if alive and data.draw(st.booleans()):
                    skills = data.draw(
                        st.dictionaries(st.sampled_from(SKILLS), st.sampled_from(["taught", "proficient"]))
                    )
                    ms = data.draw(st.lists(st.sampled_from(["vneid_level2", "payment_app"]), max_size=2))
                    people.append({"person_id": pid, "skills": skills, "milestones": ms})
        chosen = self.campaigns[campaign]
        visit = VisitIn.model_validate(
            {
                "id": uuid.uuid4(),
                "household_id": h,
                "campaign_id": chosen.id if chosen else None,
                "visited_at": datetime.combine(DAY[day], time(hour, 30), VIETNAM),
                "outcome": outcome,
                "consent_given": True,
                "people": people,
            }
        )
        visits.record_visit(self.session, actor=self.admin, scope=self.f.scope, data=visit)
        self.sent.append(visit)

    @rule(data=st.data())
    def resend(self, data: st.DataObject) -> None:
        if self.sent:
            visit = data.draw(st.sampled_from(self.sent))
            _, created = visits.record_visit(self.session, actor=self.admin, scope=self.f.scope, data=visit)
            assert not created

    @rule(data=st.data())
    def batch(self, data: st.DataObject) -> None:
        """Several visits in one call, as a sync push sends them, one of them a resend."""
        homes = [h for h, alive in self.live.items() if alive]
        if not homes:
            return
        items = [
            VisitIn.model_validate(
                {
                    "id": uuid.uuid4(),
                    "household_id": data.draw(st.sampled_from(sorted(homes, key=str))),
                    "campaign_id": self.campaigns[1].id,  # type: ignore[union-attr]
                    "visited_at": datetime.combine(DAY[data.draw(st.integers(1, 12))], time(10, 0), VIETNAM),
                    "outcome": data.draw(st.sampled_from(["met", "not_home"])),
                    "consent_given": True,
                    "people": [],
                }
            )
            for _ in range(data.draw(st.integers(1, 4)))
        ]
        if self.sent:
            items.append(self.sent[-1])
        visits.record_visits(self.session, actor=self.admin, scope=self.f.scope, items=items)
        self.sent += items

    @rule(data=st.data())
    def future_visit_then_confirm(self, data: st.DataObject) -> None:
        """A visit dated in the future is kept but counted nowhere until someone confirms it."""
        h = self._home(data)
        if h is None:
            return
        visit = VisitIn.model_validate(
            {
                "id": uuid.uuid4(),
                "household_id": h,
                "visited_at": datetime.now(VIETNAM) + timedelta(days=2),
                "outcome": "declined",
                "consent_given": True,
                "people": [],
            }
        )
        stored, _ = visits.record_visit(self.session, actor=self.admin, scope=self.f.scope, data=visit)
        assert stored.review == plausibility.PENDING
        assert_matches(self.session)
        if data.draw(st.booleans()):
            plausibility.confirm(self.session, stored, self.admin.id)  # type: ignore[arg-type]

    @rule(data=st.data())
    def delete_or_restore_person(self, data: st.DataObject) -> None:
        h = self._home(data)
        if h is None or not self.people[h]:
            return
        pid = data.draw(st.sampled_from(sorted(self.people[h], key=str)))
        alive = self.people[h][pid]
        households.upsert_person(
            self.session,
            actor=self.admin,
            scope=self.f.scope,
            data=PersonIn(id=pid, household_id=h, full_name="Thành viên", deleted=alive),
        )
        self.people[h][pid] = not alive

    @rule(data=st.data(), restore=st.booleans())
    def delete_or_restore_household(self, data: st.DataObject, restore: bool) -> None:
        h = self._home(data, live=not restore)
        if h is not None:
            self.f.update_household(h, deleted=not restore)
            self.live[h] = restore

    @rule(data=st.data())
    def move(self, data: st.DataObject) -> None:
        h = self._home(data)
        if h is not None:
            now = self.f.homes[h].hamlet_id
            other = next(x for x in self.hamlets if x.id != now)
            self.f.update_household(h, hamlet_id=other.id)

    @invariant()
    def aggregates_equal_the_recomputation(self) -> None:
        self.session.flush()
        assert_matches(self.session)


def test_random_field_work_keeps_every_derived_row_equal_to_the_raw_rows(connection: Connection) -> None:
    with Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False) as session:
        tree = make_tree(session)
        FieldWork.world = {
            "tree": tree,
            "admin": make_user(session, "admin"),
            "campaigns": [
                make_campaign(session, unit=tree.province, starts_on=DAY[1], ends_on=DAY[10]),
                make_campaign(session, unit=tree.district, threshold=2, starts_on=DAY[5], ends_on=DAY[15]),
            ],
        }
        session.commit()
    FieldWork.connection = connection
    run_state_machine_as_test(
        FieldWork,
        settings=settings(
            max_examples=4,
            stateful_step_count=10,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
        ),
    )


def test_visits_count_once_however_often_they_are_sent(session: Session) -> None:
    tree = make_tree(session)
    f = Field(session, make_user(session, "admin"))
    h = f.household(tree.hamlet)
    p = f.person(h)
    data = VisitIn.model_validate(
        {
            "id": uuid.uuid4(),
            "household_id": h,
            "visited_at": datetime.combine(DAY[2], time(9, 0), VIETNAM),
            "outcome": "met",
            "consent_given": True,
            "people": [{"person_id": p, "skills": ALL_PROFICIENT}],
        }
    )
    assert visits.record_visit(session, actor=f.actor, scope=f.scope, data=data)[1] is True
    assert visits.record_visits(session, actor=f.actor, scope=f.scope, items=[data, data]) == [False, False]
    twice = VisitIn.model_validate({**data.model_dump(), "id": uuid.uuid4()})
    assert visits.record_visits(session, actor=f.actor, scope=f.scope, items=[twice, twice]) == [True, False]
    row = aggregate(session, UnitCoverage, (tree.province.id, ALL_TIME))
    assert row is not None and (row.visits, row.people_proficient_all) == (2, 1)
    assert_matches(session)
