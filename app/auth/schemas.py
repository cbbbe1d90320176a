from pydantic import BaseModel, ConfigDict, Field


class LoginIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    phone: str = Field(max_length=32)
    password: str = Field(min_length=1, max_length=200)


class RefreshIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    refresh_token: str = Field(max_length=2000)


class UserOut(BaseModel):
    id: int
    phone: str
    full_name: str
    role: str
    unit_id: int | None
    is_active: bool
    must_change_password: bool = False


class TokenOut(BaseModel):
    access_token: str
    refresh_token: str
    token_type: str = "bearer"
    expires_in: int
    user: UserOut


class UnitRef(BaseModel):
    id: int
    name: str
    level: str
    code: str
    path: str


class TeamRef(BaseModel):
    id: int
    name: str
    unit_id: int
    role: str


class MeOut(BaseModel):
    user: UserOut
    unit: UnitRef | None
    area: list[UnitRef]
    teams: list[TeamRef]
