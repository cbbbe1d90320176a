from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from app.schemas_common import MAX_ID, AddressText, ShortText

Label = ShortText


class SkillLabelIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    province_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    label_vi: Label = Field(min_length=1)
    label_en: Label = Field(min_length=1)


StepText = AddressText  # one line of up to 300 characters, through the one text cleaner


class Lesson(BaseModel):
    """One card the volunteer shows at the door: a title, a few steps, one "lưu ý" line."""

    model_config = ConfigDict(extra="forbid")

    title: ShortText = Field(min_length=1)
    steps: list[Annotated[StepText, Field(min_length=1)]] = Field(min_length=1, max_length=8)
    note: StepText = ""


class SkillLessonsIn(BaseModel):
    """A province's own cards for a skill (an admin leaving the province out sets the national ones)."""

    model_config = ConfigDict(extra="forbid")

    province_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    lessons: list[Lesson] = Field(max_length=6)


class MilestoneIn(BaseModel):
    """A province's own milestone (admins may add national ones by leaving the province out)."""

    model_config = ConfigDict(extra="forbid")

    province_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    label_vi: Label = Field(min_length=1)
    label_en: Label = Field(min_length=1)


class MilestonePatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    label_vi: Label | None = Field(default=None, min_length=1)
    label_en: Label | None = Field(default=None, min_length=1)
    is_active: bool | None = None


class SkillOut(BaseModel):
    id: str
    position: int
    label_vi: str
    label_en: str
    national_label_vi: str
    national_label_en: str
    local: bool  # the province uses its own wording
    editable: bool
    lessons: list[Lesson]
    local_lessons: bool  # the province uses its own cards


class MilestoneOut(BaseModel):
    id: str
    position: int
    label_vi: str
    label_en: str
    province_id: int | None
    is_active: bool


class CatalogueOut(BaseModel):
    province_id: int | None
    skills: list[SkillOut]
    milestones: list[MilestoneOut]
