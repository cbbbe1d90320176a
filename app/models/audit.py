import uuid
from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from app.models.base import utcnow

# What the audit log records. An export and a named-list read carry a row count; an erasure, an access
# request and a consent change name the household by id only (never what was erased).
AUDIT_CATEGORIES = ("export", "named_read", "erasure", "access_request", "consent", "password_reset", "user_change")


class AuditEntry(SQLModel, table=True):
    """Who did what to personal data, when, in which unit, over how many rows.

    Written in the request's own transaction, so nothing leaves or is erased without its row. Holds no
    personal data of households: ids, counts and the official's stated reason only.
    """

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_created_at", "created_at"),
        Index("ix_audit_log_category_created_at", "category", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int | None = Field(default=None, foreign_key="app_user.id", index=True)  # None: a CLI run
    created_at: datetime = Field(default_factory=utcnow)
    category: str = Field(default="export", max_length=20)
    kind: str = Field(max_length=40)
    file_format: str = Field(default="", max_length=10)
    unit_id: int | None = Field(default=None, foreign_key="admin_unit.id", index=True)
    campaign_id: int | None = Field(default=None, foreign_key="campaign.id")
    household_id: uuid.UUID | None = Field(default=None)
    target_user_id: int | None = Field(default=None, foreign_key="app_user.id")
    row_count: int = 0
    personal_data: bool = False
    reason: str = Field(default="", max_length=300)


# The name the report exports were written against: every export is an audit entry.
ExportLog = AuditEntry
