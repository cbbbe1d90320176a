"""Household import: template, preview, commit. The file is sent to both preview and commit: nothing
is kept on the server between them, and the preview's token tells commit it is the same file."""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, UploadFile
from pydantic import BaseModel
from starlette.responses import Response

from app.deps import ScopeDep, SessionDep
from app.households import importer
from app.models import AdminUnit
from app.schemas_common import MAX_ID


class ImportRowOut(BaseModel):
    row: int
    hamlet_id: int | None
    hamlet_name: str
    address: str
    head_name: str
    phone: str | None
    member_count: int
    household_id: uuid.UUID | None
    status: str  # new | duplicate | already_imported | error
    errors: list[dict[str, str]]
    warnings: list[dict[str, Any]]


class ImportPreviewOut(BaseModel):
    token: str
    commune_id: int
    commune_name: str
    total_rows: int
    counts: dict[str, int]
    columns: dict[str, bool]
    ignored_columns: list[str]
    rows: list[ImportRowOut]


class ImportCommittedRow(BaseModel):
    row: int
    household_id: uuid.UUID | None
    status: str  # inserted | unchanged


class ImportCommitOut(BaseModel):
    token: str
    commune_id: int
    inserted: int
    unchanged: int
    rows: list[ImportCommittedRow]


router = APIRouter(prefix="/households/import", tags=["households"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CommuneId = Annotated[int | None, Query(ge=1, le=MAX_ID)]


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
            importer.require_importer(scope)
            return None
    return importer.commune_for_import(session, scope=scope, commune_id=commune_id)


@router.get("/template.xlsx", response_class=Response)
def template_xlsx(session: SessionDep, scope: ScopeDep, commune_id: CommuneId = None) -> Response:
    commune = _commune_or_none(session, scope, commune_id)
    content = importer.template_xlsx(importer.hamlets_of(session, commune))
    headers = {"Content-Disposition": 'attachment; filename="mau-nhap-ho-gia-dinh.xlsx"'}
    return Response(content, media_type=XLSX, headers=headers)


@router.get("/template.csv", response_class=Response)
def template_csv(scope: ScopeDep) -> Response:
    importer.require_importer(scope)
    headers = {"Content-Disposition": 'attachment; filename="mau-nhap-ho-gia-dinh.csv"'}
    return Response(importer.template_csv(), media_type="text/csv; charset=utf-8", headers=headers)


@router.post("/preview", response_model=ImportPreviewOut)
def preview(
    session: SessionDep,
    scope: ScopeDep,
    file: Annotated[UploadFile, File()],
    commune_id: CommuneId = None,
    only_problems: bool = False,
) -> dict[str, Any]:
    return importer.preview(
        session,
        scope=scope,
        commune_id=commune_id,
        content=_read(file),
        filename=file.filename or "",
        only_problems=only_problems,
    )


@router.post("/commit", response_model=ImportCommitOut)
def commit(
    session: SessionDep,
    scope: ScopeDep,
    file: Annotated[UploadFile, File()],
    rows: Annotated[str, Form(max_length=200_000)],
    token: Annotated[str | None, Form(max_length=64)] = None,
    commune_id: CommuneId = None,
) -> dict[str, Any]:
    """`rows`: the row numbers chosen ("2,3,10-20"), or "new" for every row without a problem."""
    return importer.commit(
        session,
        scope=scope,
        commune_id=commune_id,
        content=_read(file),
        filename=file.filename or "",
        selection=rows,
        token=token,
    )
