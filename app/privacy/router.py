"""Personal data: the audit log, erasure, access requests, consent and the privacy notice."""

import uuid
from datetime import date
from typing import Annotated, Any
from urllib.parse import quote

import orjson
from fastapi import APIRouter, Path, Query
from starlette.responses import Response

from app.deps import PageDep, ScopeDep, SessionDep
from app.privacy import access_file, audit, notice, service
from app.privacy.schemas import (
    CATEGORY_PATTERN,
    AuditPageOut,
    ConsentIn,
    ConsentOut,
    EraseIn,
    ErasureOut,
    NoticeOut,
)
from app.routing import OneHopRoute

router = APIRouter(tags=["privacy"], route_class=OneHopRoute)

CategoryQuery = Annotated[str | None, Query(pattern=CATEGORY_PATTERN)]
KindQuery = Annotated[str | None, Query(pattern="^[a-z_]{1,40}$")]
DayQuery = Annotated[date | None, Query(description="a Vietnam day, inclusive")]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_AUDIT_FILE_ROWS = 100_000


def _attachment(content: bytes, media_type: str, filename: str, rows: int) -> Response:
    return Response(
        content,
        media_type=media_type,
        headers={
            "Content-Disposition": f"attachment; filename=\"{filename}\"; filename*=UTF-8''{quote(filename)}",
            "Cache-Control": "no-store",
            "X-Row-Count": str(rows),
        },
    )


@router.get("/audit", response_model=AuditPageOut)
def list_audit(
    session: SessionDep,
    scope: ScopeDep,
    page: PageDep,
    category: CategoryQuery = None,
    kind: KindQuery = None,
    date_from: DayQuery = None,
    date_to: DayQuery = None,
) -> dict[str, Any]:
    """Officials: what happened in their unit and below; admins: everything. Newest first."""
    filters = audit.AuditFilter(category=category, kind=kind, date_from=date_from, date_to=date_to)
    items, total = audit.list_entries(session, scope=scope, filters=filters, limit=page.limit, offset=page.offset)
    return {"items": items, "total": total, "limit": page.limit, "offset": page.offset}


@router.get("/audit.{file_format}", response_class=Response)
def audit_file(
    file_format: Annotated[str, Path(pattern="^(xlsx|csv)$")],
    session: SessionDep,
    scope: ScopeDep,
    category: CategoryQuery = None,
    kind: KindQuery = None,
    date_from: DayQuery = None,
    date_to: DayQuery = None,
) -> Response:
    filters = audit.AuditFilter(category=category, kind=kind, date_from=date_from, date_to=date_to)
    items, _ = audit.list_entries(session, scope=scope, filters=filters, limit=MAX_AUDIT_FILE_ROWS, offset=0)
    audit.record(
        session, actor=scope.user, category="export", kind="audit", file_format=file_format, row_count=len(items)
    )
    day = date.today().isoformat()
    if file_format == "xlsx":
        content = audit.to_xlsx(items, "NHẬT KÝ TRUY CẬP DỮ LIỆU CÁ NHÂN")
        return _attachment(content, XLSX, f"NhatKy_{day}.xlsx", len(items))
    return _attachment(audit.to_csv(items), "text/csv; charset=utf-8", f"NhatKy_{day}.csv", len(items))


@router.post("/households/{household_id}/erase", response_model=ErasureOut)
def erase_household(household_id: uuid.UUID, body: EraseIn, session: SessionDep, scope: ScopeDep) -> dict[str, Any]:
    """Erase the household's personal data (commune official of its unit, or admin). Counts stay."""
    counts = service.erase_household(session, scope=scope, household_id=household_id, reason=body.reason)
    return {"household_id": household_id, "people": counts.people, "visits": counts.visits, "history": counts.history}


@router.get("/households/{household_id}/export", response_class=Response)
def export_household(
    household_id: uuid.UUID,
    session: SessionDep,
    scope: ScopeDep,
    format: Annotated[str, Query(pattern="^(json|xlsx)$")] = "json",
) -> Response:
    """Everything held about the household, its people and its visits (an access request); logged."""
    data = service.access_export(session, scope=scope, household_id=household_id, file_format=format)
    short = str(household_id)[:8]
    if format == "xlsx":
        return _attachment(access_file.to_xlsx(data), XLSX, f"DuLieuHo_{short}.xlsx", 1)
    return _attachment(orjson.dumps(data), "application/json", f"DuLieuHo_{short}.json", 1)


@router.post("/households/{household_id}/consent", response_model=ConsentOut)
def set_consent(household_id: uuid.UUID, body: ConsentIn, session: SessionDep, scope: ScopeDep) -> dict[str, Any]:
    household = service.set_consent(
        session, scope=scope, household_id=household_id, state=body.state, notice_version=body.notice_version
    )
    return {
        "household_id": household.id,
        "state": household.consent,
        "notice_version": household.consent_notice_version,
        "on": household.consent_on,
    }


@router.get("/privacy/notice", response_model=NoticeOut)
def current_notice() -> Any:
    """The notice read out at the door, in force now (no login needed: it is public)."""
    return notice.current()
