"""Vietnamese phone numbers in any usual form, stored as E.164 (+84…).

Google's numbering plan (the `phonenumbers` library, region VN) decides which numbers exist, so a
prefix no operator uses is refused. Digits may be written in any script (Arabic-Indic, full-width…);
the 11-digit mobile numbers renumbered in 2018 (016x → 03x, 012x → 07x/08x, 0186/0188/0199 → 05x) are
read as today's.
"""

import unicodedata

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat, PhoneNumberType

from app.errors import Invalid

# The four-digit prefixes of the old 11-digit mobile numbers and the three-digit ones that replaced them.
LEGACY_MOBILE_PREFIXES = {
    **{f"016{d}": f"03{d}" for d in "23456789"},
    "0120": "070",
    "0121": "079",
    "0122": "077",
    "0126": "076",
    "0128": "078",
    "0123": "083",
    "0124": "084",
    "0125": "085",
    "0127": "081",
    "0129": "082",
    "0186": "056",
    "0188": "058",
    "0199": "059",
}
# A household or an account has a mobile or a landline, not a premium-rate or toll-free service number.
_ACCEPTED_TYPES = {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE, PhoneNumberType.FIXED_LINE_OR_MOBILE}
_SEPARATORS = set(".-()/")


class InvalidPhone(Invalid):
    code = "invalid_phone"
    message_vi = "Số điện thoại không hợp lệ. Nhập 10 số, ví dụ 0912 345 678."
    message_en = "Invalid phone number. Enter 10 digits, e.g. 0912 345 678."


def _compact(raw: str) -> str | None:
    """ASCII digits with an optional leading +, or None when anything but digits and separators is there."""
    out: list[str] = []
    for ch in unicodedata.normalize("NFKC", raw):  # full-width digits and ＋ become ASCII
        digit = unicodedata.decimal(ch, None)  # any script's decimal digit: ٣, ۳, ३…
        if digit is not None:
            out.append(str(digit))
        elif ch == "+" and not out:
            out.append(ch)
        elif not (ch.isspace() or ch in _SEPARATORS):
            return None
    return "".join(out)


def _national(compact: str) -> str:
    """The number as dialled inside Vietnam (leading 0), whatever international form it came in."""
    for prefix in ("+84", "0084"):
        if compact.startswith(prefix):
            return "0" + compact[len(prefix) :].removeprefix("0")
    if compact.startswith("84") and len(compact) in (11, 12):
        return "0" + compact[2:]
    return compact


def normalize_phone(raw: str) -> str:
    """`0912 345 678`, `0912.345.678`, `+84912345678`, `84912345678`, `٠٩١٢٣٤٥٦٧٨`, `01691234567` → E.164."""
    compact = _compact(raw or "")
    if not compact or (compact.startswith("+") and not compact.startswith("+84")):
        raise InvalidPhone(details={"phone": raw})
    national = _national(compact)
    if len(national) == 11 and national[:4] in LEGACY_MOBILE_PREFIXES:
        national = LEGACY_MOBILE_PREFIXES[national[:4]] + national[4:]
    try:
        number = phonenumbers.parse(national, "VN")
    except NumberParseException:
        raise InvalidPhone(details={"phone": raw}) from None
    if (
        number.country_code != 84
        or not phonenumbers.is_valid_number(number)
        or phonenumbers.number_type(number) not in _ACCEPTED_TYPES
    ):
        raise InvalidPhone(details={"phone": raw})
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def display_phone(e164: str) -> str:
    """Mobiles as Vietnamese write them (`0912 345 678`), landlines by the numbering plan (`0292 3812 345`)."""
    national = "0" + e164[3:] if e164.startswith("+84") else e164
    if len(national) == 10:
        return f"{national[:4]} {national[4:7]} {national[7:]}"
    try:
        return phonenumbers.format_number(phonenumbers.parse(e164, "VN"), PhoneNumberFormat.NATIONAL)
    except NumberParseException:
        return e164
