from datetime import UTC, datetime


def utcnow() -> datetime:
    """Aware UTC time: every datetime column stores UTC (SQLModel's UTCDateTime)."""
    return datetime.now(UTC)
