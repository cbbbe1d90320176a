"""Issue 9: no content of a mutation can fail a push. Random garbage (NUL and control characters, huge
numbers, wrong types, unknown kinds, foreign hamlets, random objects) mixed into valid batches: every
valid mutation is applied, every garbage one rejected, never a 5xx, on SQLite and PostgreSQL."""

import json
import uuid
from typing import Any

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session, col, func, select

from app.models import Household, Person, Visit
from tests.factories import login, make_campaign, make_tree, make_user
from tests.sync.helpers import PUSH, household, new_client_id, person, push, visit

KINDS = ("household.upsert", "person.upsert", "visit.create")
OUTCOMES = ("met", "not_home", "declined", "moved")
BAD_CHARS = st.sampled_from(["\x00", "\x01", "\x1b", "\x7f", "\x9b", "\ud800", "\ufffe"])
JSON_LEAF = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
)
JSON = st.recursive(
    JSON_LEAF, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
)
HUGE = st.one_of(st.integers(min_value=2**31, max_value=2**80), st.integers(min_value=-(2**80), max_value=-1))


@st.composite
def dirty_text(draw: st.DrawFn) -> str:
    text = draw(st.text(max_size=10))
    at = draw(st.integers(min_value=0, max_value=len(text)))
    return text[:at] + draw(BAD_CHARS) + text[at:]


@st.composite
def garbage(draw: st.DrawFn, hamlet_id: int, foreign_hamlet_id: int, household_id: str) -> dict[str, Any]:
    """One mutation whose content must be refused (the envelope itself is well formed)."""
    choice = draw(st.integers(min_value=0, max_value=8))
    if choice == 0:
        field = draw(st.sampled_from(["head_name", "address", "phone"]))
        return household(hamlet_id, **{field: draw(dirty_text())})
    if choice == 1:
        return household(draw(st.one_of(HUGE, st.just(foreign_hamlet_id))))
    if choice == 2:
        field = draw(st.sampled_from(["member_count", "hamlet_id", "latitude", "deleted"]))
        # Never a string here: lax fields read "1" or "yes" as a number or a boolean, rightly.
        wrong = draw(st.one_of(st.lists(st.integers(), max_size=2), st.dictionaries(st.text(), st.integers()), HUGE))
        if field == "member_count":
            wrong = draw(st.one_of(st.just(False), st.just(True), st.just(2.5), HUGE, st.just("3")))
        if field == "hamlet_id":
            return household(wrong)
        return household(hamlet_id, **{field: wrong})
    if choice == 3:
        kind = draw(st.text(max_size=40).filter(lambda k: k not in KINDS))
        mid = str(uuid.uuid4())
        return {
            "id": mid,
            "kind": kind,
            "data": {"id": mid, **draw(st.dictionaries(st.text(max_size=8), JSON, max_size=3))},
        }
    if choice == 4:
        kind = draw(st.sampled_from(KINDS))
        mid = str(uuid.uuid4())
        data = draw(st.dictionaries(st.text(max_size=12), JSON, max_size=5))
        return {"id": mid, "kind": kind, "data": data}
    if choice == 5:
        field, value = draw(
            st.one_of(
                st.tuples(st.just("full_name"), dirty_text()),
                st.tuples(st.just("birth_year"), st.one_of(HUGE, st.just(2999), st.just(False), st.text(max_size=4))),
            )
        )
        if draw(st.booleans()):
            return person(str(uuid.uuid4()))  # a household nobody knows
        return person(household_id, **{field: value})
    if choice == 6:
        field, value = draw(
            st.one_of(
                st.tuples(st.just("notes"), dirty_text()),
                st.tuples(st.just("consent_notice_version"), dirty_text()),
                st.tuples(st.just("campaign_id"), HUGE),
                st.tuples(st.just("visited_at"), st.text(max_size=30)),
                st.tuples(st.just("outcome"), st.text(max_size=10).filter(lambda o: o not in OUTCOMES)),
            )
        )
        return visit(household_id, [], **{field: value})
    if choice == 7:
        people = [{"person_id": str(uuid.uuid4()), "skills": {draw(dirty_text()): "taught"}}]
        mutation = visit(household_id, [])
        mutation["data"]["people"] = people
        return mutation
    mutation = household(hamlet_id)
    mutation["data"]["id"] = str(uuid.uuid4())  # data for another record than the mutation names
    return mutation


def test_garbage_mutations_are_rejected_alone_and_never_fail_the_batch(client: TestClient, session: Session) -> None:
    tree = make_tree(session)
    user = make_user(session, "volunteer", hamlets=[tree.hamlet])
    make_campaign(session, unit=tree.province)
    session.commit()
    headers = login(client, user.phone)
    anchor = household(tree.hamlet.id)
    assert push(client, headers, new_client_id(), [{"seq": 1, **anchor}]).status_code == 200
    anchor_id = anchor["id"]

    valid_ones = st.sampled_from(["household", "household+person+visit", "visit"])
    bad = garbage(tree.hamlet.id, tree.far_hamlet.id, anchor_id)

    @settings(
        max_examples=12,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(plan=st.lists(st.one_of(valid_ones, bad), min_size=1, max_size=12))
    def check(plan: list[Any]) -> None:
        mutations: list[dict[str, Any]] = []
        expected: list[str] = []
        for item in plan:
            if isinstance(item, dict):
                mutations.append(item)
                expected.append("rejected")
                continue
            h = household(tree.hamlet.id)
            if item == "visit":
                batch = [visit(anchor_id, [], outcome="not_home")]
            elif item == "household":
                batch = [h]
            else:
                p = person(h["id"])
                batch = [h, p, visit(h["id"], [p["id"]], level="taught")]
            mutations += batch
            expected += ["applied"] * len(batch)
        numbered = [{**m, "seq": i + 1} for i, m in enumerate(mutations)]
        # Lone surrogates cannot be encoded as UTF-8: sent as JSON escapes, as a browser would.
        body = json.dumps({"client_id": new_client_id(), "schema_version": 1, "mutations": numbered})
        r = client.post(PUSH, content=body, headers={**headers, "content-type": "application/json"})
        assert r.status_code == 200, r.text
        results = r.json()["results"]
        assert [x["status"] for x in results] == expected, [
            (m["kind"], m["data"], x) for m, x, e in zip(numbered, results, expected, strict=True) if x["status"] != e
        ]
        assert all(x["code"] for x in results if x["status"] == "rejected")
        applied = {uuid.UUID(m["id"]) for m, e in zip(numbered, expected, strict=True) if e == "applied"}
        refused = {uuid.UUID(m["id"]) for m, e in zip(numbered, expected, strict=True) if e == "rejected"}
        session.expire_all()
        for model in (Household, Person, Visit):
            stored = set(session.exec(select(model.id).where(col(model.id).in_(applied | refused))).all())
            assert not stored & refused
        found = session.exec(select(func.count()).select_from(Household).where(col(Household.id).in_(applied))).one()
        assert found == sum(
            1 for m, e in zip(numbered, expected, strict=True) if e == "applied" and m["kind"] == "household.upsert"
        )

    check()
