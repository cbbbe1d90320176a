from datetime import datetime

from sqlmodel import Field, SQLModel

from app.models.base import utcnow


class SyncClient(SQLModel, table=True):
    """One installation of the app. `last_seq` is the last mutation processed (applied, duplicate or
    rejected); it moves in the same transaction as the mutations' effects."""

    __tablename__ = "sync_client"

    client_id: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    last_seq: int = 0
    created_at: datetime = Field(default_factory=utcnow)
    last_push_at: datetime | None = None
