"""Phones parsed by the numbering plan (phonenumbers, region VN): any digit script, the renumbered prefixes."""

import pytest

from app.auth.phone import LEGACY_MOBILE_PREFIXES, InvalidPhone, display_phone, normalize_phone


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("0912 345 678", "+84912345678"),
        ("0912.345.678", "+84912345678"),
        ("(091) 234-5678", "+84912345678"),
        ("+84 912 345 678", "+84912345678"),
        ("+84 0912 345 678", "+84912345678"),
        ("84912345678", "+84912345678"),
        ("0084912345678", "+84912345678"),
        # Arabic-Indic, extended Arabic-Indic and full-width digits, a full-width plus, a no-break space.
        ("٠٩١٢٣٤٥٦٧٨", "+84912345678"),
        ("۰۹۱۲۳۴۵۶۷۸", "+84912345678"),
        ("０９１２　３４５　６７８", "+84912345678"),
        ("＋８４９１２３４５６７８", "+84912345678"),
        ("0912\u00a0345\u00a0678", "+84912345678"),
        # Landlines (02x area codes) are numbers too.
        ("0292 3812 345", "+842923812345"),
        ("024 3825 3536", "+842438253536"),
        # The 11-digit mobile numbers renumbered in 2018, in every form.
        ("0169 123 4567", "+84391234567"),
        ("+84 169 123 4567", "+84391234567"),
        ("841691234567", "+84391234567"),
        ("0120 123 4567", "+84701234567"),
        ("0121 123 4567", "+84791234567"),
        ("0122 123 4567", "+84771234567"),
        ("0123 123 4567", "+84831234567"),
        ("0124 123 4567", "+84841234567"),
        ("0125 123 4567", "+84851234567"),
        ("0126 123 4567", "+84761234567"),
        ("0127 123 4567", "+84811234567"),
        ("0128 123 4567", "+84781234567"),
        ("0129 123 4567", "+84821234567"),
        ("0162 123 4567", "+84321234567"),
        ("0186 123 4567", "+84561234567"),
        ("0188 123 4567", "+84581234567"),
        ("0199 123 4567", "+84591234567"),
    ],
)
def test_every_usual_form_is_read(raw: str, e164: str) -> None:
    assert normalize_phone(raw) == e164


def test_every_renumbered_prefix_maps_to_a_number_in_use() -> None:
    for old, new in LEGACY_MOBILE_PREFIXES.items():
        assert normalize_phone(old + "1234567") == "+84" + new[1:] + "1234567"


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "12345",
        "0912 345 67",  # too short
        "0912 345 6789",  # too long
        "0112 345 678",  # 01x no longer exists as a 10-digit prefix
        "0521 234 567",  # 052 is not allocated
        "0800 123 456",  # toll-free, not a person's phone
        "1900 123 456",  # premium rate
        "+1 650 253 0000",  # not Vietnamese
        "0912345678x",
        "09l2345678",  # a letter l, not a digit
        "0912+345678",
        "0912\x00345678",
    ],
)
def test_numbers_that_do_not_exist_are_refused(raw: str) -> None:
    with pytest.raises(InvalidPhone):
        normalize_phone(raw)


def test_display() -> None:
    assert display_phone("+84912345678") == "0912 345 678"
    assert display_phone("+842923812345") == "0292 3812 345"
