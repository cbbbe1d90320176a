from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from app.schemas_common import MAX_ID, Id, PlainText, ShortText

FIELD_ROLE_PATTERN = "^(volunteer|team_leader|commune_official|district_official|province_official|admin)$"


class UserIn(BaseModel):
    """An official creates an account; without a password a temporary one is generated and shown once."""

    model_config = ConfigDict(extra="forbid")

    phone: PlainText = Field(max_length=32)
    full_name: ShortText = Field(min_length=1)
    role: str = Field(pattern=FIELD_ROLE_PATTERN)
    unit_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    password: PlainText | None = Field(default=None, min_length=8, max_length=200)
    hamlet_ids: list[Id] = Field(default_factory=list, max_length=200)


class UserPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    full_name: ShortText | None = Field(default=None, min_length=1)
    phone: PlainText | None = Field(default=None, max_length=32)
    role: str | None = Field(default=None, pattern=FIELD_ROLE_PATTERN)
    unit_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    reset_password: bool = False


class AreaIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    hamlet_ids: list[Id] = Field(max_length=200)


class PasswordChangeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    current_password: PlainText = Field(min_length=1, max_length=200)
    new_password: PlainText = Field(min_length=8, max_length=200)


class HamletRef(BaseModel):
    id: int
    name: str
    code: str


class TeamRef(BaseModel):
    id: int
    name: str
    unit_id: int
    role: str


class UserOut(BaseModel):
    id: int
    phone: str
    full_name: str
    role: str
    unit_id: int | None
    is_active: bool
    must_change_password: bool
    created_at: datetime
    deactivated_at: datetime | None
    area: list[HamletRef] = []
    teams: list[TeamRef] = []


class UserCreatedOut(UserOut):
    # Shown once, only when the server generated it: the official hands it to the volunteer.
    temporary_password: str | None = None


class UserPageOut(BaseModel):
    items: list[UserOut]
    total: int
    limit: int
    offset: int
