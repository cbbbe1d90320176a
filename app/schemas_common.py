"""Field types shared by request schemas: free text through the one cleaner, machine text without
control characters, ids a database column can hold, sane years, no absurd counts."""

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import Path, Query
from pydantic import AfterValidator, Field, StringConstraints

from app.text import check_plain, clean_text

MAX_ID = 2**31 - 1  # PostgreSQL `integer`: a bigger id can name nothing.


def _one_line(value: str) -> str:
    return clean_text(value)


def _multi_line(value: str) -> str:
    return clean_text(value, multiline=True)


# Every free-text field users type (names, addresses, notes, labels), on HTTP, sync push, imports and
# outbox files alike: NFC, trimmed, spaces collapsed, zero-width and bidi characters stripped, control
# characters (NUL included) refused with a validation error naming the field.
FreeText = Annotated[str, AfterValidator(_one_line)]
ShortText = Annotated[str, StringConstraints(max_length=120), AfterValidator(_one_line)]
AddressText = Annotated[str, StringConstraints(max_length=300), AfterValidator(_one_line)]
NoteText = Annotated[str, StringConstraints(max_length=1000), AfterValidator(_multi_line)]
# Text that is not prose (phones, codes, passwords, tokens, search terms): kept as sent, but never
# with a control character, which no database column or file should carry.
PlainText = Annotated[str, AfterValidator(check_plain)]


def _with_zone(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("needs a time zone, e.g. 2024-10-01T09:30:00+07:00")
    return value


# A moment on a phone's clock: always with its offset (a bare local time would be read as UTC).
ZonedDatetime = Annotated[datetime, AfterValidator(_with_zone)]

Id = Annotated[int, Field(ge=1, le=MAX_ID)]
IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]
IdQuery = Annotated[int | None, Query(ge=1, le=MAX_ID)]

EARLIEST_BIRTH_YEAR = 1900


def latest_birth_year() -> int:
    return date.today().year


def left_out(**constraints: Any) -> Any:
    """A PATCH field that may be left out (unchanged) but never set to null: typed without null in the
    schema, so a null is a 422 naming the field instead of reaching the service."""
    return Field(default=None, **constraints)
