"""Reports for officials: coverage by child unit, daily progress, households to (re)visit, and files."""

from datetime import date
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Path, Query
from starlette.responses import Response

from app.deps import CurrentUser, PageDep, ScopeDep, SessionDep
from app.privacy import audit
from app.reports import schemes, service, volunteers
from app.reports.schemas import REASON_PATTERN, CoverageOut, ProgressOut, ToVisitOut
from app.reports.volunteer_schemas import VolunteersOut
from app.routing import OneHopRoute
from app.schemas_common import MAX_ID, FreeText

router = APIRouter(prefix="/reports", tags=["reports"], route_class=OneHopRoute)

UnitQuery = Annotated[int | None, Query(ge=1, le=MAX_ID, description="the unit; an official's own unit when left out")]
CampaignQuery = Annotated[int, Query(ge=0, le=MAX_ID, description="0 = all time")]
ReasonQuery = Annotated[str | None, Query(pattern=REASON_PATTERN)]
FormatPath = Annotated[str, Path(pattern="^(xlsx|csv)$")]
SchemeQuery = Annotated[
    str | None,
    Query(
        pattern=schemes.SCHEME_PATTERN,
        description="vn2004 (until 30/06/2025) | vn2025 (from 01/07/2025); default: the unit's own, "
        "for a hamlet the scheme of the user's unit",
    ),
]
RecipientQuery = Annotated[
    FreeText | None,
    Query(max_length=200, description='the "Kính gửi" line of an xlsx report; default: the unit above'),
]


def _file(f: service.ExportFile) -> Response:
    return Response(
        f.content,
        media_type=f.media_type,
        headers={
            "Content-Disposition": (
                f"attachment; filename=\"{f.ascii_filename}\"; filename*=UTF-8''{quote(f.filename, safe='')}"
            ),
            "Cache-Control": "no-store",
            "X-Row-Count": str(f.rows),
        },
    )


@router.get("/coverage", response_model=CoverageOut)
def coverage(
    session: SessionDep,
    scope: ScopeDep,
    unit_id: UnitQuery = None,
    campaign_id: CampaignQuery = 0,
    forces: Annotated[bool, Query(description="Also count the forces deployed (teams, volunteer-days…)")] = False,
    scheme: SchemeQuery = None,
) -> object:
    return schemes.coverage(
        session, scope=scope, unit_id=unit_id, campaign_id=campaign_id, with_forces=forces, scheme=scheme
    )


@router.get("/progress", response_model=ProgressOut)
def progress(
    session: SessionDep,
    scope: ScopeDep,
    unit_id: UnitQuery = None,
    campaign_id: CampaignQuery = 0,
    scheme: SchemeQuery = None,
) -> object:
    return schemes.progress(session, scope=scope, unit_id=unit_id, campaign_id=campaign_id, scheme=scheme)


@router.get("/to-visit", response_model=ToVisitOut)
def to_visit(
    session: SessionDep,
    scope: ScopeDep,
    page: PageDep,
    unit_id: UnitQuery = None,
    campaign_id: CampaignQuery = 0,
    reason: ReasonQuery = None,
    scheme: SchemeQuery = None,
) -> object:
    listing = schemes.to_visit(
        session,
        scope=scope,
        unit_id=unit_id,
        campaign_id=campaign_id,
        reason=reason,
        limit=page.limit,
        offset=page.offset,
        scheme=scheme,
    )
    # Named personal data: every page an official reads is in the audit log (app/privacy/).
    audit.log_named_read(session, scope=scope, kind="to_visit", unit_id=listing.unit.id, rows=len(listing.items))
    return listing


@router.get("/volunteers", response_model=VolunteersOut)
def volunteers_report(
    session: SessionDep,
    scope: ScopeDep,
    page: PageDep,
    campaign_id: CampaignQuery,
    unit_id: UnitQuery = None,
    team_id: Annotated[int | None, Query(ge=1, le=MAX_ID, description="one team only")] = None,
    day: Annotated[
        date | None, Query(ge=date(2020, 1, 1), le=date(2100, 12, 31), description="'today'; default: today in Vietnam")
    ] = None,
    reason: ReasonQuery = None,
) -> object:
    """The team leader's day: one row per volunteer (visits today and in the campaign, households met,
    people proficient, days active, last sync, items in "Cần xử lý") and the households left, paginated
    (`limit`, `offset`, `reason`). Team leaders: the teams they lead; officials: their unit (or
    `unit_id` inside it, or one `team_id`); other roles are refused."""
    report = volunteers.volunteers(
        session,
        scope=scope,
        campaign_id=campaign_id,
        unit_id=unit_id,
        team_id=team_id,
        day=day,
        reason=reason,
        limit=page.limit,
        offset=page.offset,
    )
    # The households left are named: an official's read is in the audit log (app/privacy/).
    left = report.households_left.items
    audit.log_named_read(
        session, scope=scope, kind="to_visit", unit_id=report.unit.id if report.unit else None, rows=len(left)
    )
    return report


def _export(
    session: SessionDep, user: CurrentUser, scope: ScopeDep, *, kind: str, file_format: str, **query: Any
) -> Response:
    return _file(service.export(session, actor=user, scope=scope, kind=kind, file_format=file_format, **query))


def _recipient(kinh_gui: str | None, recipient: str | None) -> str | None:
    return kinh_gui or recipient or None


@router.get("/coverage.{file_format}", response_class=Response)
def coverage_file(
    file_format: FormatPath,
    session: SessionDep,
    user: CurrentUser,
    scope: ScopeDep,
    unit_id: UnitQuery = None,
    campaign_id: CampaignQuery = 0,
    kinh_gui: RecipientQuery = None,
    recipient: RecipientQuery = None,
    scheme: SchemeQuery = None,
) -> Response:
    """The report in the administrative form: by child unit with the forces deployed, then by skill,
    milestones, every commune (district or province) and by day (xlsx); counts only (csv)."""
    return _export(
        session,
        user,
        scope,
        kind="coverage",
        file_format=file_format,
        unit_id=unit_id,
        campaign_id=campaign_id,
        recipient=_recipient(kinh_gui, recipient),
        scheme=scheme,
    )


@router.get("/progress.{file_format}", response_class=Response)
def progress_file(
    file_format: FormatPath,
    session: SessionDep,
    user: CurrentUser,
    scope: ScopeDep,
    unit_id: UnitQuery = None,
    campaign_id: CampaignQuery = 0,
    kinh_gui: RecipientQuery = None,
    recipient: RecipientQuery = None,
    scheme: SchemeQuery = None,
) -> Response:
    return _export(
        session,
        user,
        scope,
        kind="progress",
        file_format=file_format,
        unit_id=unit_id,
        campaign_id=campaign_id,
        recipient=_recipient(kinh_gui, recipient),
        scheme=scheme,
    )


@router.get("/to-visit.{file_format}", response_class=Response)
def to_visit_file(
    file_format: FormatPath,
    session: SessionDep,
    user: CurrentUser,
    scope: ScopeDep,
    unit_id: UnitQuery = None,
    campaign_id: CampaignQuery = 0,
    reason: ReasonQuery = None,
    scheme: SchemeQuery = None,
) -> Response:
    """Personal data (head of household, address): every download is logged."""
    return _export(
        session,
        user,
        scope,
        kind="to_visit",
        file_format=file_format,
        unit_id=unit_id,
        campaign_id=campaign_id,
        reason=reason,
        scheme=scheme,
    )
