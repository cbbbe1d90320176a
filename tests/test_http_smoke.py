"""Smoke over real HTTP: a uvicorn subprocess on a fresh PostgreSQL database, spoken to with httpx the way
the PWA and officials' browsers do (every other API test runs in-process, inside a rolled-back
transaction). Login, push, pull, a report and the exports, each committed by the server itself."""

import csv
import io
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from openpyxl import load_workbook
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from app.models import ExportLog, Household, SyncClient, Visit
from tests import factories
from tests.browser import database, database_url, start_server, stop_server
from tests.sync.helpers import household, numbered, person, visit

API = "/api/v1"


@dataclass
class Smoke:
    http: httpx.Client
    engine: Engine
    volunteer_phone: str
    official_phone: str
    province_id: int
    hamlet_id: int
    campaign_id: int


@pytest.fixture(scope="module")
def smoke(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Iterator[Smoke]:
    tmp = tmp_path_factory.mktemp("http-smoke")
    with database("postgresql", "tungnha_smoke", tmp, worker_id) as engine:
        with Session(engine) as session:
            tree = factories.make_tree(session)
            volunteer = factories.make_user(session, "volunteer", unit=tree.commune, hamlets=[tree.hamlet])
            official = factories.make_user(session, "province_official", unit=tree.province)
            campaign = factories.make_campaign(session, unit=tree.province)
            session.commit()
            seeded = (volunteer.phone, official.phone, tree.province.id, tree.hamlet.id, campaign.id)
        # No PWA build: this suite speaks only to the API.
        process = start_server(database_url(engine), tmp / "no-dist", tmp / "uvicorn.log")
        http = httpx.Client(base_url=process.url + API, timeout=30)  # type: ignore[attr-defined]
        try:
            yield Smoke(http, engine, *seeded)  # type: ignore[arg-type]
        finally:
            http.close()
            stop_server(process)


def _login(smoke: Smoke, phone: str) -> dict[str, str]:
    # Typed the way people write it, with spaces.
    spaced = f"{phone[:4]} {phone[4:7]} {phone[7:]}"
    r = smoke.http.post("/auth/login", json={"phone": spaced, "password": factories.PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def test_the_server_runs_on_postgresql_and_refuses_in_the_one_error_shape(smoke: Smoke) -> None:
    assert smoke.engine.dialect.name == "postgresql"
    assert smoke.http.get("/health").status_code == 200
    r = smoke.http.post("/auth/login", json={"phone": smoke.volunteer_phone, "password": "sai-mat-khau"})
    assert r.status_code == 401
    assert {"code", "message", "details"} <= set(r.json()["error"])
    r = smoke.http.get("/sync/pull")
    assert r.status_code == 401 and r.json()["error"]["code"]


def test_push_pull_report_and_exports_over_http(smoke: Smoke) -> None:
    headers = _login(smoke, smoke.volunteer_phone)
    client_id = uuid.uuid4().hex
    h = household(smoke.hamlet_id, head_name="Trần Thị Thử Nghiệm")
    p = person(h["id"])
    v = visit(h["id"], [p["id"]], campaign_id=smoke.campaign_id)
    batch = {"client_id": client_id, "schema_version": 1, "mutations": numbered([h, p, v])}

    r = smoke.http.post("/sync/push", json=batch, headers=headers)
    assert r.status_code == 200, r.text
    assert [x["status"] for x in r.json()["results"]] == ["applied"] * 3
    # The answer lost on the way: the phone sends the batch again, nothing is applied twice.
    r = smoke.http.post("/sync/push", json=batch, headers=headers)
    assert [x["status"] for x in r.json()["results"]] == ["duplicate"] * 3
    with Session(smoke.engine) as s:
        assert s.exec(select(func.count()).select_from(Visit).where(Visit.id == uuid.UUID(v["id"]))).one() == 1
        assert s.exec(select(SyncClient.last_seq).where(SyncClient.client_id == client_id)).one() == 3

    # A first pull, gzip on the wire as a phone receives it.
    r = smoke.http.get("/sync/pull", params={"limit": 500}, headers={**headers, "Accept-Encoding": "gzip"})
    assert r.status_code == 200, r.text
    assert r.headers["content-encoding"] == "gzip"
    page = r.json()
    assert not page["has_more"]
    pulled = {(c["type"], c["id"]) for c in page["changes"] if c["op"] == "put"}
    assert {("household", h["id"]), ("person", p["id"]), ("visit", v["id"])} <= pulled

    official = _login(smoke, smoke.official_phone)
    params = {"unit_id": smoke.province_id, "campaign_id": smoke.campaign_id}
    r = smoke.http.get("/reports/coverage", params=params, headers=official)
    assert r.status_code == 200, r.text
    totals = r.json()["totals"]
    assert (totals["households"], totals["households_visited"], totals["visits"]) == (1, 1, 1)
    assert totals["people_proficient_all"] == 1

    r = smoke.http.get("/reports/coverage.xlsx", params=params, headers=official)
    assert r.status_code == 200, r.text
    assert "attachment" in r.headers["content-disposition"]
    workbook = load_workbook(io.BytesIO(r.content))
    assert workbook.sheetnames[0] == "Báo cáo"
    r = smoke.http.get("/reports/coverage.csv", params=params, headers=official)
    assert r.status_code == 200 and r.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[-1][0] == "Tổng cộng" and rows[-1][2:4] == ["1", "1"]
    r = smoke.http.get("/reports/to-visit.csv", params=params, headers=official)
    assert r.status_code == 200 and r.headers["x-row-count"] == "0"

    with Session(smoke.engine) as s:
        logs = s.exec(select(ExportLog.kind, ExportLog.file_format).order_by(ExportLog.id)).all()  # type: ignore[arg-type]
        assert [tuple(x) for x in logs] == [("coverage", "xlsx"), ("coverage", "csv"), ("to_visit", "csv")]
        assert s.exec(select(Household.head_name).where(Household.id == uuid.UUID(h["id"]))).one() == (
            "Trần Thị Thử Nghiệm"
        )
