"""`tungnha import-outbox FILE`: a phone's exported outbox goes through the same push path."""

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, func, select
from typer.testing import CliRunner

from app import db
from app.cli import app as cli
from app.models import Household, SyncClient, Visit
from tests.factories import make_tree, make_user
from tests.sync.helpers import household, new_client_id, numbered, person, visit


def test_an_exported_outbox_is_applied_once(
    committed_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Session(committed_engine) as session:
        tree = make_tree(session)
        user = make_user(session, "volunteer", hamlets=[tree.hamlet])
        hamlet_id, far_id, phone = tree.hamlet.id, tree.far_hamlet.id, user.phone
        session.commit()
    monkeypatch.setattr(db, "get_engine", lambda: committed_engine)
    h = household(hamlet_id)
    p = person(h["id"])
    mutations = numbered(
        [h, p, visit(h["id"], [p["id"]]), household(far_id)] + [household(hamlet_id) for _ in range(150)]
    )
    export = {
        "client_id": new_client_id(),
        "user_phone": "0" + phone[3:],
        "exported_at": "2024-10-02T10:00:00Z",
        "schema_version": 1,
        "mutations": list(reversed(mutations)),
    }
    path = tmp_path / "outbox.json"
    path.write_text(json.dumps(export), encoding="utf-8")
    result = CliRunner().invoke(cli, ["import-outbox", str(path)])
    assert result.exit_code == 0, result.output
    assert "applied: 153" in result.output and "rejected: 1" in result.output and "outside_your_area" in result.output
    again = CliRunner().invoke(cli, ["import-outbox", str(path)])
    assert "duplicate: 153" in again.output and "rejected: 1" in again.output
    with Session(committed_engine) as session:
        assert session.exec(select(func.count()).select_from(Household)).one() == 151
        assert session.exec(select(func.count()).select_from(Visit)).one() == 1
        assert session.get(SyncClient, export["client_id"]).last_seq == 154  # type: ignore[union-attr]
    unknown = {**export, "user_phone": "0999999999"}
    path.write_text(json.dumps(unknown), encoding="utf-8")
    failed = CliRunner().invoke(cli, ["import-outbox", str(path)])
    assert failed.exit_code == 1 and "No account" in failed.output
