"""Issue 9: schemathesis over the OpenAPI schema, as a volunteer and as an admin, on a small world like
the demo (a province down to hamlets, a campaign, households, people, visits), on SQLite and PostgreSQL.
No 5xx, no status or body outside what the schema documents. Examples are few per operation so the
whole module stays within CI's time; every run draws new ones."""

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import Engine
from sqlmodel import Session

from app.auth.scope import scope_for
from app.db import session_scope
from app.households import service as households
from app.households.schemas import HouseholdIn, PersonIn
from app.main import create_app
from app.visits import service as visits
from app.visits.schemas import VisitIn, VisitPersonIn
from tests.factories import login, make_campaign, make_team, make_tree, make_user
from tests.sync.helpers import SKILLS

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
# A deeper run by hand: FUZZ_EXAMPLES=100 pytest tests/test_fuzz_api.py
FUZZ = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "3")),
    deadline=None,
    derandomize=False,
    database=None,
    suppress_health_check=list(HealthCheck),
)


def _world(session: Session) -> tuple[str, str]:
    tree = make_tree(session)
    volunteer = make_user(session, "volunteer", unit=tree.commune, hamlets=[tree.hamlet, tree.other_hamlet])
    admin = make_user(session, "admin")
    make_user(session, "commune_official", unit=tree.commune)
    make_team(session, unit=tree.commune, members=[volunteer])
    campaign = make_campaign(session, unit=tree.province)
    scope = scope_for(session, volunteer)
    for i in range(6):
        hid = uuid.uuid4()
        households.upsert_household(
            session,
            actor=volunteer,
            scope=scope,
            data=HouseholdIn(id=hid, hamlet_id=tree.hamlet.id, address=f"Số {i + 1}", head_name=f"Hộ {i}"),
        )
        pid = uuid.uuid4()
        households.upsert_person(
            session, actor=volunteer, scope=scope, data=PersonIn(id=pid, household_id=hid, full_name=f"Người {i}")
        )
        if i % 2:
            visits.record_visit(
                session,
                actor=volunteer,
                scope=scope,
                data=VisitIn(
                    id=uuid.uuid4(),
                    household_id=hid,
                    campaign_id=campaign.id,
                    visited_at=datetime(2024, 10, 2, 2, i, tzinfo=UTC),
                    outcome="met",
                    consent_given=True,
                    people=[VisitPersonIn(person_id=pid, skills=dict.fromkeys(SKILLS, "proficient"))],
                ),
            )
    session.commit()
    return volunteer.phone, admin.phone


@pytest.fixture(scope="module")
def fuzz_app(engine: Engine) -> Iterator[tuple[object, dict[str, dict[str, str]]]]:
    """One app over a connection whose transaction is rolled back at the end: each request is a
    savepoint inside it, so the fuzzing leaves nothing behind for the other tests."""
    connection = engine.connect()
    outer = connection.begin()
    session = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    phones = _world(session)
    app = create_app(
        engine=engine, session_factory=lambda: session_scope(connection, join_transaction_mode="create_savepoint")
    )
    with TestClient(app) as client:
        tokens = {role: login(client, phone) for role, phone in zip(("volunteer", "admin"), phones, strict=True)}
    yield app, tokens
    session.close()
    outer.rollback()
    connection.close()


def _fuzz(app: object, headers: dict[str, str]) -> list[str]:
    """Every operation of the schema, a few generated cases each; returns the failures found."""
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        if "/health" in operation.path:
            continue  # probes: readiness opens its own connection, which this test's open transaction blocks

        # Data the schema allows, and data it refuses (which must be a 4xx, never a 5xx).
        strategy = operation.as_strategy(GenerationMode.POSITIVE) | operation.as_strategy(GenerationMode.NEGATIVE)

        @FUZZ
        @given(case=strategy)
        def check(case) -> None:  # type: ignore[no-untyped-def]
            case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            check()
        except Exception as exc:  # every operation runs; the failures are listed together
            failures.append(f"{operation.label}: {str(exc)[:1500]}")
    return failures


@pytest.mark.parametrize("role", ["volunteer", "admin"])
def test_fuzz_the_api(fuzz_app, role: str) -> None:  # type: ignore[no-untyped-def]
    app, tokens = fuzz_app
    failures = _fuzz(app, tokens[role])
    assert failures == [], "\n\n".join(failures)
