"""One cell of a household list as people typed it → the value stored, or a warning.

Names typed in ALL CAPS become Vietnamese title case; phones in any usual form (dots, spaces, 84…,
the old 11-digit mobile prefixes renumbered in 2018) become E.164; an unusable optional value (a
phone "không có", a birth year "196x", a member count "bốn") is dropped with a warning, never an error.
"""

import re
import unicodedata
from datetime import date, timedelta
from typing import Any

from app.auth.phone import LEGACY_MOBILE_PREFIXES, InvalidPhone, normalize_phone
from app.households.import_reader import Formula
from app.text import fold, nfc

MAX_MEMBERS = 50

# Invisible and control characters people paste along with names (zero-width, bidi overrides, C0/C1).
_INVISIBLE = re.compile("[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")

# The 11-digit mobile prefixes renumbered in 2018: one table, the login's (app/auth/phone.py).
OLD_MOBILE_PREFIXES = LEGACY_MOBILE_PREFIXES
_OLD_WITHOUT_ZERO = {p[1:] for p in OLD_MOBILE_PREFIXES}
_PHONE_SEPARATORS = re.compile(r"[\s.\-()/]")
_NO_VALUE = {"", "khong", "khong co", "chua co", "k", "ko", "kco", "khong co sdt", "-", "--", "x", "0", "none"}


def cell_text(value: Any) -> str:
    """A cell as NFC text: trimmed, spaces collapsed, invisible characters gone, 12.0 → "12"."""
    if isinstance(value, Formula):
        value = value.cached
    if isinstance(value, str):
        # Most cells are clean already: printable (no controls, no zero-width), trimmed, NFC.
        if (
            value.isprintable()
            and "  " not in value
            and value.strip() == value
            and unicodedata.is_normalized("NFC", value)
        ):
            return value
    elif value is None or isinstance(value, bool):
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return nfc(_INVISIBLE.sub(" ", str(value)))


def person_name(value: Any) -> str:
    """ "NGUYỄN  VĂN AN " → "Nguyễn Văn An"; a name typed in mixed case is kept as typed."""
    text = cell_text(value)
    if any(c.isalpha() for c in text) and text == text.upper():
        text = " ".join(word[:1].upper() + word[1:].lower() for word in text.split(" "))
    return unicodedata.normalize("NFC", text)


def place_name(text: str) -> str:
    """Hamlet names taken from titles ("ẤP THẠNH HÒA") in title case, like person names."""
    return person_name(text)


def phone_digits(value: Any) -> str:
    if isinstance(value, Formula):
        value = value.cached
    # Excel drops the leading 0 of a phone typed as a number: 912345678 is 0912345678.
    if isinstance(value, int | float) and not isinstance(value, bool):
        digits = str(int(value))
        return "0" + digits if len(digits) in (9, 10) and not digits.startswith("84") else digits
    return cell_text(value)


_SEVERAL = re.compile(r"\s*(?:[/;,\n]|\s-\s|\bho[aặ]c\b|\bor\b)\s*", re.IGNORECASE)


def parse_phone(value: Any) -> tuple[str | None, dict[str, Any] | None]:
    """(E.164 phone, None), (None, None) for an empty cell, or (None, warning) when unusable. Of
    "0912 345 678 / 0987 654 321" the first usable number is kept, with a warning."""
    raw = phone_digits(value)
    if raw.isdigit():
        return _one_phone(raw)
    parts = [p for p in _SEVERAL.split(raw) if p.strip()]
    if len(parts) > 1:
        for part in parts:
            phone, _ = _one_phone(part)
            if phone:
                return phone, {
                    "code": "several_phones",
                    "column": "phone",
                    "value": raw[:60],
                    "message": f"Ô có nhiều số “{raw[:60]}”: chỉ nhập số đầu tiên hợp lệ.",
                    "message_en": f"Several numbers “{raw[:60]}”: only the first valid one is kept.",
                }
    return _one_phone(raw)


def _one_phone(raw: str) -> tuple[str | None, dict[str, Any] | None]:
    if not raw:
        return None, None
    key = raw if raw.isdigit() else fold(raw)
    if key in ("", "-", "--"):
        return None, None
    if key in _NO_VALUE:
        return None, _no_phone(raw)
    digits = _PHONE_SEPARATORS.sub("", raw)
    if digits.startswith("+84"):
        digits = "0" + digits[3:]
    elif digits.startswith("0084"):
        digits = "0" + digits[4:]
    elif digits.startswith("84") and len(digits) in (11, 12):
        digits = "0" + digits[2:]
    elif len(digits) == 10 and digits[:3] in _OLD_WITHOUT_ZERO:
        digits = "0" + digits  # 1689123456: an old number typed as a number
    renumbered = False
    if len(digits) == 11 and digits[:4] in OLD_MOBILE_PREFIXES:
        digits = OLD_MOBILE_PREFIXES[digits[:4]] + digits[4:]
        renumbered = True
    try:
        phone = normalize_phone(digits)
    except InvalidPhone:
        return None, {
            "code": "bad_phone",
            "column": "phone",
            "value": raw[:40],
            "message": f"Số điện thoại “{raw[:40]}” không hợp lệ nên không được nhập.",
            "message_en": f"Invalid phone number “{raw[:40]}”: left out.",
        }
    if renumbered:
        return phone, {
            "code": "phone_renumbered",
            "column": "phone",
            "value": raw[:40],
            "message": f"Số cũ 11 số “{raw[:40]}” đã đổi sang đầu số mới.",
            "message_en": f"Old 11-digit number “{raw[:40]}” converted to today's prefix.",
        }
    return phone, None


def _no_phone(raw: str) -> dict[str, Any]:
    return {
        "code": "no_phone",
        "column": "phone",
        "value": raw[:40],
        "message": f"“{raw[:40]}” không phải số điện thoại; để trống.",
        "message_en": f"“{raw[:40]}” is not a phone number; left empty.",
    }


def parse_birth_year(value: Any) -> tuple[int | None, dict[str, Any] | None]:
    if isinstance(value, Formula):
        value = value.cached
    if isinstance(value, date):
        value = value.year
    elif isinstance(value, int | float) and not isinstance(value, bool) and 3_000 < value < 60_000:
        # A birth date typed in a date-formatted cell: the sheet holds Excel's day number.
        value = (date(1899, 12, 30) + timedelta(days=int(value))).year
    text = cell_text(value)
    if not text:
        return None, None
    this_year = date.today().year
    if text.isdigit() and 1900 <= int(text) <= this_year:
        return int(text), None
    return None, {
        "code": "bad_birth_year",
        "column": "birth_year",
        "value": text[:40],
        "message": f"Năm sinh “{text[:40]}” không hợp lệ nên không được nhập.",
        "message_en": f"Invalid birth year “{text[:40]}”: left out.",
    }


_MEMBERS = re.compile(r"^(\d{1,3})\s*(nguoi|khau|nk)?$")


def parse_member_count(value: Any) -> tuple[int, dict[str, Any] | None]:
    if isinstance(value, Formula):
        value = value.cached
    text = cell_text(value)
    if not text:
        return 0, None
    if text.isdigit() and int(text) <= MAX_MEMBERS:
        return int(text), None
    m = _MEMBERS.match(fold(text))
    if m and int(m.group(1)) <= MAX_MEMBERS:
        return int(m.group(1)), None
    return 0, {
        "code": "bad_member_count",
        "column": "member_count",
        "value": text[:40],
        "message": f"Số nhân khẩu “{text[:40]}” không hợp lệ (0 đến {MAX_MEMBERS}) nên không được nhập.",
        "message_en": f"Invalid member count “{text[:40]}” (0 to {MAX_MEMBERS}): left out.",
    }
