"""Vietnamese phone numbers in any usual form, stored as E.164 (+84…)."""

import re

from app.errors import Invalid

_SEPARATORS = re.compile(r"[\s.\-()]")
# Mobile prefixes in use (03x, 05x, 07x, 08x, 09x) and landlines (02xx), 9 digits after the 0.
_NATIONAL = re.compile(r"^0[235789]\d{8}$")


class InvalidPhone(Invalid):
    code = "invalid_phone"
    message_vi = "Số điện thoại không hợp lệ. Nhập 10 số, ví dụ 0912 345 678."
    message_en = "Invalid phone number. Enter 10 digits, e.g. 0912 345 678."


def normalize_phone(raw: str) -> str:
    """`0912 345 678`, `0912.345.678`, `+84912345678`, `84912345678` → `+84912345678`."""
    digits = _SEPARATORS.sub("", raw or "")
    if digits.startswith("+84"):
        digits = "0" + digits[3:]
    elif digits.startswith("0084"):
        digits = "0" + digits[4:]
    elif digits.startswith("84") and len(digits) == 11:
        digits = "0" + digits[2:]
    if not _NATIONAL.match(digits):
        raise InvalidPhone(details={"phone": raw})
    return "+84" + digits[1:]


def display_phone(e164: str) -> str:
    national = "0" + e164[3:] if e164.startswith("+84") else e164
    return f"{national[:4]} {national[4:7]} {national[7:]}"
