"""Field types shared by request schemas: bounded text, sane years, no absurd counts."""

from typing import Annotated

from pydantic import AfterValidator, StringConstraints

from app.text import nfc


def _clean(value: str) -> str:
    return nfc(value)


ShortText = Annotated[str, StringConstraints(max_length=120), AfterValidator(_clean)]
AddressText = Annotated[str, StringConstraints(max_length=300), AfterValidator(_clean)]
NoteText = Annotated[str, StringConstraints(max_length=1000)]
