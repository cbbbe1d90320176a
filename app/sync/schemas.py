"""The sync v1 envelope (DESIGN §5). `data` of each mutation is HouseholdIn, PersonIn, VisitIn or
HouseholdConsentIn."""

import uuid
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = 1
MutationKind = Literal["household.upsert", "person.upsert", "visit.create", "household.consent"]


class MutationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    seq: int = Field(ge=1, le=2**53)
    id: uuid.UUID  # the record's id: household, person or visit UUID
    kind: str = Field(max_length=40)
    data: dict[str, Any]


class PushIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    client_id: str = Field(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_\-]+$")
    schema_version: int
    mutations: list[MutationIn] = Field(max_length=100)


class MutationResult(BaseModel):
    seq: int
    id: uuid.UUID
    status: Literal["applied", "duplicate", "retry", "rejected"]
    code: str | None = None
    message: str | None = None  # Vietnamese
    message_en: str | None = None
    details: Any = None  # rejected: what is wrong (for `invalid`, the fields and why)


class PushOut(BaseModel):
    last_seq: int
    results: list[MutationResult]


class Change(BaseModel):
    """One row of a pull. type: household | person | household_status | visit | campaign | skill |
    milestone | unit. op: put (full row in data) or delete (tombstone: id only)."""

    type: str
    op: Literal["put", "delete"]
    id: str
    data: dict[str, Any] | None = None


class PullOut(BaseModel):
    changes: list[Change]
    cursor: str
    has_more: bool
    reset: bool


class ExportedMutation(MutationIn):
    # A newer PWA may add fields of its own to an exported entry (its state, the time it was saved).
    model_config = ConfigDict(extra="ignore")


class OutboxExport(BaseModel):
    """The file a phone writes with "Xuất dữ liệu chưa đồng bộ" (docs/sync-v1.md, Outbox export)."""

    model_config = ConfigDict(extra="ignore")

    client_id: str = Field(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_\-]+$")
    user_phone: str = Field(max_length=32)
    exported_at: str | None = None
    schema_version: int
    mutations: list[ExportedMutation]
