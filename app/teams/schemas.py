from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from app.schemas_common import MAX_ID, ShortText

TEAM_ROLE_PATTERN = "^(leader|deputy|member)$"


class TeamIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: ShortText = Field(min_length=1)
    unit_id: int = Field(ge=1, le=MAX_ID)


class TeamPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: ShortText | None = Field(default=None, min_length=1)
    unit_id: int | None = Field(default=None, ge=1, le=MAX_ID)


class MemberIn(BaseModel):
    """Add a member. A volunteer belongs to one team at a time: `move` takes them out of their others."""

    model_config = ConfigDict(extra="forbid")

    user_id: int = Field(ge=1, le=MAX_ID)
    role: str = Field(default="member", pattern=TEAM_ROLE_PATTERN)
    move: bool = False


class MemberOut(BaseModel):
    user_id: int
    full_name: str
    phone: str | None  # None: a teammate's phone, not shown to a volunteer
    user_role: str
    is_active: bool
    role: str
    joined_at: datetime


class TeamOut(BaseModel):
    id: int
    name: str
    unit_id: int
    unit_name: str
    unit_level: str
    created_at: datetime
    member_count: int


class TeamDetailOut(TeamOut):
    members: list[MemberOut]


class TeamPageOut(BaseModel):
    items: list[TeamOut]
    total: int
    limit: int
    offset: int
