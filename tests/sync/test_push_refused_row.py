"""A push of visits only is written without a savepoint; when the database refuses one of its rows,
the push is done again with a savepoint per mutation: the refused visit alone is rejected, the others
are applied and counted once, on SQLite and PostgreSQL."""

import uuid

from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlmodel import Session, col, select

from app.models import HouseholdStatus, Visit
from app.sync import outbox
from app.sync.schemas import OutboxExport
from app.sync.service import MAX_MUTATIONS
from tests.factories import login, make_campaign, make_tree, make_user
from tests.sync.helpers import household, new_client_id, numbered, person, push, statuses, visit

MARK = "ghi chú bị từ chối"


def _refuse_marked_visits(session: Session) -> None:
    """A trigger standing for any row the database refuses (a check, a range): visits with MARK as note."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text(
                "CREATE FUNCTION refuse_marked_visit() RETURNS trigger AS $$ BEGIN "
                f"IF NEW.notes = '{MARK}' THEN RAISE EXCEPTION USING ERRCODE = 'check_violation'; END IF; "
                "RETURN NEW; END $$ LANGUAGE plpgsql"
            )
        )
        session.execute(
            text(
                "CREATE TRIGGER refuse_marked_visit BEFORE INSERT ON visit "
                "FOR EACH ROW EXECUTE FUNCTION refuse_marked_visit()"
            )
        )
    else:
        session.execute(
            text(
                "CREATE TRIGGER refuse_marked_visit BEFORE INSERT ON visit "
                f"WHEN NEW.notes = '{MARK}' BEGIN SELECT RAISE(ABORT, 'refused'); END"
            )
        )


def test_a_refused_visit_in_a_push_of_visits_is_rejected_alone(client: TestClient, session: Session) -> None:
    tree = make_tree(session)
    user = make_user(session, "volunteer", hamlets=[tree.hamlet])
    make_campaign(session, unit=tree.province)
    session.commit()
    headers = login(client, user.phone)
    client_id = new_client_id()
    h = household(tree.hamlet.id)
    p = person(h["id"])
    assert statuses(push(client, headers, client_id, numbered([h, p]))) == ["applied", "applied"]
    _refuse_marked_visits(session)
    session.commit()

    batch = [
        visit(h["id"], [p["id"]], day=2),
        visit(h["id"], [p["id"]], day=3, notes=MARK),
        visit(h["id"], [], day=4, outcome="not_home"),
    ]
    r = push(client, headers, client_id, numbered(batch, start=3))
    assert statuses(r) == ["applied", "rejected", "applied"]
    assert r.json()["results"][1]["code"] == "refused_by_database"
    assert r.json()["last_seq"] == 5

    household_id = uuid.UUID(h["id"])
    session.expire_all()
    stored = set(session.exec(select(Visit.id).where(col(Visit.household_id) == household_id)).all())
    assert {str(v) for v in stored} == {batch[0]["id"], batch[2]["id"]}
    status = session.exec(
        select(HouseholdStatus).where(
            col(HouseholdStatus.household_id) == household_id, HouseholdStatus.campaign_id == 0
        )
    ).one()
    assert (status.visits, status.last_outcome) == (2, "not_home")

    # Resent (its answer lost): the same answers, nothing stored twice.
    again = push(client, headers, client_id, numbered(batch, start=3))
    assert statuses(again) == ["duplicate", "rejected", "duplicate"]
    session.expire_all()
    assert (
        session.exec(
            select(HouseholdStatus.visits).where(
                col(HouseholdStatus.household_id) == household_id, HouseholdStatus.campaign_id == 0
            )
        ).one()
        == 2
    )


def test_a_refused_visit_in_an_outbox_file_keeps_the_chunks_before_it(client: TestClient, session: Session) -> None:
    """An outbox file is pushed 100 mutations at a time in one transaction: a refusal in a later chunk
    must not undo the earlier ones (the push without savepoints would roll them all back)."""
    tree = make_tree(session)
    user = make_user(session, "volunteer", hamlets=[tree.hamlet])
    make_campaign(session, unit=tree.province)
    session.commit()
    headers = login(client, user.phone)
    client_id = new_client_id()
    h = household(tree.hamlet.id)
    p = person(h["id"])
    assert statuses(push(client, headers, client_id, numbered([h, p]))) == ["applied", "applied"]
    _refuse_marked_visits(session)
    session.commit()

    visits = [visit(h["id"], [], day=1 + i % 9, outcome="not_home") for i in range(MAX_MUTATIONS)]
    visits.append(visit(h["id"], [], day=9, outcome="not_home", notes=MARK))  # the second chunk's only one
    export = OutboxExport(
        client_id=client_id, user_phone=user.phone, schema_version=1, mutations=numbered(visits, start=3)
    )
    last_seq, results = outbox.import_outbox(session, export=export)
    assert last_seq == 2 + len(visits)
    assert [r.status for r in results] == ["applied"] * MAX_MUTATIONS + ["rejected"]
    assert results[-1].code == "refused_by_database"
    stored = set(session.exec(select(Visit.id).where(col(Visit.household_id) == uuid.UUID(h["id"]))).all())
    assert {str(v) for v in stored} == {v["id"] for v in visits[:MAX_MUTATIONS]}
