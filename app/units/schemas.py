from datetime import date
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from app.schemas_common import MAX_ID
from app.text import clean_text

SCHEME_PATTERN = "^(vn2004|vn2025)$"
LEVEL_PATTERN = "^(province|district|commune|hamlet)$"

HamletName = Annotated[str, StringConstraints(min_length=1, max_length=200), AfterValidator(clean_text)]
HamletType = Annotated[str, StringConstraints(max_length=50), AfterValidator(clean_text)]


class UnitBrief(BaseModel):
    """A unit as a breadcrumb step."""

    id: int
    scheme: str
    level: str
    code: str
    name: str


class UnitOut(UnitBrief):
    unit_type: str
    parent_id: int | None
    path: str
    province_code: str
    valid_from: date | None
    valid_to: date | None
    child_count: int = 0


class UnitDetail(UnitOut):
    # Province first, down to the parent.
    ancestors: list[UnitBrief]


class UnitSearchHit(UnitOut):
    # Many communes share a name ("Xã Tân Phú"): the chain above tells them apart.
    ancestors: list[UnitBrief]


class HamletIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: HamletName
    unit_type: HamletType = Field(default="", description="ấp, thôn, khu vực, tổ dân phố… (guessed from the name)")


class HamletPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: HamletName
    unit_type: HamletType | None = None


class HamletMergeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    into_id: int = Field(ge=1, le=MAX_ID, description="The hamlet that receives the households, volunteers and teams")


class HamletRow(UnitOut):
    active: bool
    household_count: int
    volunteer_count: int
    team_count: int


class HamletMergeOut(BaseModel):
    households: int
    volunteers: int
    teams: int
    into: UnitOut
