"""An official loads a phone's exported outbox: a preview of what it holds, then apply (exactly once,
through the push path). `tungnha import-outbox FILE` does the same from the command line."""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, File, UploadFile
from pydantic import BaseModel

from app.deps import ScopeDep, SessionDep
from app.privacy import audit
from app.routing import OneHopRoute
from app.sync import outbox
from app.sync.schemas import MutationResult

router = APIRouter(prefix="/sync/outbox", tags=["sync"], route_class=OneHopRoute)


class OutboxVolunteer(BaseModel):
    id: int
    full_name: str
    phone: str
    role: str


class OutboxHousehold(BaseModel):
    household_id: uuid.UUID
    head_name: str | None  # None: neither in the file nor on the server
    address: str | None
    in_file: bool  # the file creates or edits it
    mutations: int


class OutboxPreviewOut(BaseModel):
    client_id: str
    exported_at: str | None
    schema_version: int
    volunteer: OutboxVolunteer
    total: int
    counts: dict[str, int]  # per kind: household.upsert, person.upsert, visit.create
    already_applied: int  # seq at or below what the server already processed for this phone
    to_apply: int
    last_seq: int
    first_seq: int | None
    final_seq: int | None
    household_count: int
    households: list[OutboxHousehold]  # at most 500


class OutboxApplyOut(BaseModel):
    client_id: str
    volunteer: OutboxVolunteer
    last_seq: int
    counts: dict[str, int]  # per status: applied, duplicate, rejected, retry
    results: list[MutationResult]


def _read(upload: UploadFile) -> bytes:
    content = upload.file.read(outbox.MAX_OUTBOX_BYTES + 1)
    if len(content) > outbox.MAX_OUTBOX_BYTES:
        raise outbox.OutboxTooLarge()
    return content


@router.post("/preview", response_model=OutboxPreviewOut)
def preview(session: SessionDep, scope: ScopeDep, file: Annotated[UploadFile, File()]) -> dict[str, Any]:
    """What the file holds: whose phone, how many changes of each kind, which households, how many the
    server already has. Nothing is written."""
    found = outbox.summary(session, scope=scope, content=_read(file))
    # The file names the households the volunteer visited: the official's read is in the audit log.
    audit.log_named_read(session, scope=scope, kind="outbox_file", unit_id=None, rows=len(found["households"]))
    return found


@router.post("/apply", response_model=OutboxApplyOut)
def apply(session: SessionDep, scope: ScopeDep, file: Annotated[UploadFile, File()]) -> dict[str, Any]:
    """Apply every change as the volunteer, through the push path: applying the file again answers
    `duplicate` for all of them and changes nothing."""
    return outbox.apply(session, scope=scope, content=_read(file))
