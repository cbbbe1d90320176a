"""Nothing typed is lost: a visit's note reaches the server whatever the outcome or consent."""

import uuid

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.models import Visit
from tests.factories import login, make_campaign, make_tree, make_user
from tests.sync.helpers import household, new_client_id, numbered, pull_all, push, statuses, visit


def test_the_note_of_a_not_home_visit_without_consent_arrives_and_comes_back(
    client: TestClient, session: Session
) -> None:
    tree = make_tree(session)
    user = make_user(session, "volunteer", hamlets=[tree.hamlet])
    make_campaign(session, unit=tree.province)
    session.commit()
    headers = login(client, user.phone)
    h = household(tree.hamlet.id)
    note = "Hẹn quay lại chiều thứ Bảy"
    not_home = visit(h["id"], [], consent_given=False, consent_notice_version=None, notes=note)
    declined = visit(h["id"], [], outcome="declined", consent_given=False, consent_notice_version=None, notes="Bận")
    r = push(client, headers, new_client_id(), numbered([h, not_home, declined]))
    assert statuses(r) == ["applied"] * 3

    session.expire_all()
    stored = session.get(Visit, uuid.UUID(not_home["id"]))
    assert stored is not None and (stored.outcome, stored.consent_given, stored.notes) == ("not_home", False, note)
    assert session.exec(select(Visit.notes).where(Visit.outcome == "declined")).one() == "Bận"
    # Another phone of the same volunteer sees it too.
    pulled = {c["id"]: c["data"] for c in pull_all(client, headers)[0] if c["type"] == "visit"}
    assert pulled[not_home["id"]]["notes"] == note
