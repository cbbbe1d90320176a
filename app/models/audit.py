from datetime import datetime

from sqlmodel import Field, SQLModel

from app.models.base import utcnow


class ExportLog(SQLModel, table=True):
    """Who exported what, when, and how many rows: exports of personal data are always logged."""

    __tablename__ = "export_log"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)
    kind: str = Field(max_length=40)
    file_format: str = Field(max_length=10)
    unit_id: int | None = Field(default=None, foreign_key="admin_unit.id")
    campaign_id: int | None = Field(default=None, foreign_key="campaign.id")
    row_count: int = 0
    personal_data: bool = False
