"""Household import: template, preview, commit. The file is sent to both preview and commit: nothing
is kept on the server between them, and the preview's token tells commit it is the same file."""

import json
import uuid
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, File, Form, UploadFile
from pydantic import BaseModel
from starlette.responses import Response

from app.deps import ScopeDep, SessionDep
from app.households import import_commune, import_report, import_template, importer
from app.households import import_layout as layout
from app.models import AdminUnit
from app.reports.service import log_export
from app.routing import OneHopRoute
from app.schemas_common import IdQuery


class ImportRowOut(BaseModel):
    key: str  # "<sheet index>:<row>", what commit's `rows` accepts
    sheet: str
    row: int
    hamlet_id: int | None
    hamlet_name: str
    new_hamlet: bool  # the hamlet is created on commit
    address: str
    head_name: str
    phone: str | None
    member_count: int
    birth_year: int | None
    note: str
    household_id: uuid.UUID | None
    status: str  # new | duplicate | already_imported | error
    errors: list[dict[str, str]]
    warnings: list[dict[str, Any]]


class UnmappedColumn(BaseModel):
    sheet: str
    column: str  # its letter: "G"
    header: str  # "" for a column with values but no header


class SkippedRow(BaseModel):
    sheet: str
    row: int
    reason: str  # blank | total | formula | column_numbers | header | no_data
    text: str


class SkippedSheet(BaseModel):
    sheet: str
    reason: str  # empty | no_header


class ImportSheet(BaseModel):
    index: int
    name: str
    header_row: int
    rows: int


class ImportPreviewOut(BaseModel):
    token: str
    commune_id: int
    commune_name: str
    total_rows: int
    counts: dict[str, int]
    columns: dict[str, bool]
    ignored_columns: list[str]
    unmapped_columns: list[UnmappedColumn]
    skipped_rows: list[SkippedRow]
    skipped_sheets: list[SkippedSheet]
    new_hamlets: list[str]
    sheets: list[ImportSheet]
    rows: list[ImportRowOut]


class ImportCommittedRow(BaseModel):
    key: str
    sheet: str
    row: int
    household_id: uuid.UUID | None
    status: str  # inserted | unchanged


class CreatedHamlet(BaseModel):
    id: int
    name: str


class ImportCommitOut(BaseModel):
    token: str
    commune_id: int
    inserted: int
    unchanged: int
    created_hamlets: list[CreatedHamlet]
    rows: list[ImportCommittedRow]


router = APIRouter(prefix="/households/import", tags=["households"], route_class=OneHopRoute)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CommuneId = IdQuery
# {"header text": "field"}: how the user mapped the columns the importer did not know (see FIELDS).
ColumnMap = Annotated[str | None, Form(max_length=20_000)]


def _column_map(raw: str | None) -> dict[str, str]:
    if not raw:
        return {}
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise layout.BadColumnMap() from exc
    return layout.parse_column_map(data)


def _read(upload: UploadFile) -> bytes:
    content = upload.file.read(importer.MAX_UPLOAD_BYTES + 1)
    if len(content) > importer.MAX_UPLOAD_BYTES:
        raise importer.FileTooLarge()
    return content


def _commune_or_none(session: SessionDep, scope: ScopeDep, commune_id: int | None) -> AdminUnit | None:
    """The template lists the commune's hamlets when there is a commune to list."""
    if commune_id is None:
        own = session.get(AdminUnit, scope.user.unit_id) if scope.user.unit_id else None
        if own is None or own.level != "commune":
            import_commune.require_importer(scope)
            return None
    return import_commune.commune_for_import(session, scope=scope, commune_id=commune_id)


@router.get("/template.xlsx", response_class=Response)
def template_xlsx(session: SessionDep, scope: ScopeDep, commune_id: CommuneId = None) -> Response:
    commune = _commune_or_none(session, scope, commune_id)
    content = import_template.template_xlsx(import_template.hamlets_of(session, commune))
    headers = {"Content-Disposition": 'attachment; filename="mau-nhap-ho-gia-dinh.xlsx"'}
    return Response(content, media_type=XLSX, headers=headers)


@router.get("/template.csv", response_class=Response)
def template_csv(scope: ScopeDep) -> Response:
    import_commune.require_importer(scope)
    headers = {"Content-Disposition": 'attachment; filename="mau-nhap-ho-gia-dinh.csv"'}
    return Response(import_template.template_csv(), media_type="text/csv; charset=utf-8", headers=headers)


@router.post("/preview", response_model=ImportPreviewOut)
def preview(
    session: SessionDep,
    scope: ScopeDep,
    file: Annotated[UploadFile, File()],
    column_map: ColumnMap = None,
    commune_id: CommuneId = None,
    only_problems: bool = False,
) -> Any:
    """Without `commune_id`, the commune is the one a "UBND XÃ …" title line names, else the user's own."""
    body = importer.preview(
        session,
        scope=scope,
        commune_id=commune_id,
        content=_read(file),
        filename=file.filename or "",
        only_problems=only_problems,
        column_map=_column_map(column_map),
    )
    # Up to 100,000 rows: serialised directly rather than validated row by row (ImportPreviewOut documents it).
    return Response(orjson.dumps(body), media_type="application/json")


@router.post("/errors.xlsx", response_class=Response)
def error_report(
    session: SessionDep,
    scope: ScopeDep,
    file: Annotated[UploadFile, File()],
    column_map: ColumnMap = None,
    commune_id: CommuneId = None,
) -> Response:
    """The preview's rows with errors or warnings, and the skipped rows, as a workbook to fix the list."""
    result = importer.analyse(
        session,
        scope=scope,
        commune_id=commune_id,
        content=_read(file),
        filename=file.filename or "",
        column_map=_column_map(column_map),
    )
    content = import_report.error_report(result)
    assert result.commune.id is not None
    # Names and phones leave the server in this file: logged like every export of personal data.
    log_export(
        session,
        actor=scope.user,
        kind="household_import_errors",
        file_format="xlsx",
        unit_id=result.commune.id,
        campaign_id=0,
        row_count=sum(1 for r in result.rows if r.errors or r.warnings),
        personal_data=True,
    )
    headers = {"Content-Disposition": 'attachment; filename="loi-nhap-ho-gia-dinh.xlsx"'}
    return Response(content, media_type=XLSX, headers=headers)


@router.post("/commit", response_model=ImportCommitOut)
def commit(
    session: SessionDep,
    scope: ScopeDep,
    file: Annotated[UploadFile, File()],
    rows: Annotated[str, Form(max_length=200_000)],
    token: Annotated[str | None, Form(max_length=64)] = None,
    column_map: ColumnMap = None,
    commune_id: CommuneId = None,
) -> dict[str, Any]:
    """`rows`: "new" for every row without a problem, and/or row numbers of the first sheet ("2,3,10-20"),
    and/or rows of any sheet by the preview's `key` ("1:5", "1:10-20"). Hamlets the chosen rows name
    but the commune lacks are created."""
    return importer.commit(
        session,
        scope=scope,
        commune_id=commune_id,
        content=_read(file),
        filename=file.filename or "",
        selection=rows,
        token=token,
        column_map=_column_map(column_map),
    )
