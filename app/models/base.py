from datetime import UTC, datetime
from typing import cast

from sqlalchemy import Table


def utcnow() -> datetime:
    """Aware UTC time: every datetime column stores UTC (SQLModel's UTCDateTime)."""
    return datetime.now(UTC)


def table_of(model: type) -> Table:
    """The Core table behind a SQLModel class (typed, for bulk and upsert statements)."""
    return cast(Table, model.__table__)  # type: ignore[attr-defined]
