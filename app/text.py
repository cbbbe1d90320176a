"""Text at the edge: the one cleaner for free text users type (names, addresses, notes, labels), the
Vietnamese search folding used by the server and, mirrored, the PWA, and the sanitiser for text written
into exported files."""

import re
import unicodedata

_SPACES = re.compile(r"\s+")
_LINE_SPACES = re.compile(r"[^\S\n]+")
_BLANK_LINES = re.compile(r"\n{3,}")

# Invisible characters that only hide or reorder text: zero-width spaces/joiners, word joiner, BOM,
# soft hyphen and the bidirectional marks, embeddings, overrides and isolates. Stripped.
INVISIBLE = frozenset(
    "\u00ad\u061c\u180e\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
    "\u2060\u2061\u2062\u2063\u2064\u2066\u2067\u2068\u2069\ufeff"
)
_INVISIBLE_RE = re.compile("[" + "".join(sorted(INVISIBLE)) + "]")


def fold(text: str) -> str:
    """Lower-case, strip diacritics (đ → d) and collapse spaces.

    `Đặng` → `dang`, `Vị Thuỷ` and `Vị Thủy` → `vi thuy`, NFD input folds like NFC.
    """
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    stripped = stripped.replace("đ", "d").replace("Đ", "D")
    return _SPACES.sub(" ", stripped.lower()).strip()


def nfc(text: str) -> str:
    return _SPACES.sub(" ", unicodedata.normalize("NFC", text)).strip()


def is_refused(char: str) -> bool:
    """A control character (C0, DEL, C1), a lone surrogate or a non-character: never stored."""
    category = unicodedata.category(char)
    return category in ("Cc", "Cs") or (category == "Cn" and (ord(char) & 0xFFFE) == 0xFFFE)


def bad_characters(text: str, *, allowed: str = "") -> list[str]:
    """The refused characters in `text` as U+XXXX, first occurrence order; `allowed` are let through."""
    if text.isprintable():  # the usual case, in C: a printable text has no control or unassigned character
        return []
    seen: dict[str, None] = {}
    for char in text:
        if char not in allowed and is_refused(char):
            seen.setdefault(f"U+{ord(char):04X}", None)
    return list(seen)


def clean_text(text: str, *, multiline: bool = False) -> str:
    """Free text as stored: NFC, invisible characters stripped, spaces collapsed, trimmed.

    Raises ValueError naming the characters when a control character (NUL included) is present. Tab,
    CR and LF count as spaces in one-line text; a multi-line note keeps its line breaks (CRLF → LF).
    """
    allowed = "\t\r\n"
    bad = bad_characters(text, allowed=allowed)
    if bad:
        raise ValueError(f"control characters are not allowed: {', '.join(bad)}")
    text = _INVISIBLE_RE.sub("", unicodedata.normalize("NFC", text))
    if not multiline:
        return _SPACES.sub(" ", text).strip()
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = [_LINE_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def check_plain(text: str) -> str:
    """Machine text (phones, codes, tokens, search terms): refused if it carries a control character."""
    bad = bad_characters(text)
    if bad:
        raise ValueError(f"control characters are not allowed: {', '.join(bad)}")
    return text


# --- exported files ---------------------------------------------------------------------------------

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def printable(text: str) -> str:
    """Text already stored, made safe for a file: refused and invisible characters removed (an old
    row stored before the checks existed must never break an export)."""
    if text.isprintable():
        return text
    spaced = text.replace("\t", " ").replace("\r", " ").replace("\n", " ")
    return "".join(c for c in spaced if not is_refused(c) and c not in INVISIBLE)


def csv_cell(text: str) -> str:
    """OWASP's CSV-injection rule: a cell starting with = + - @ tab or CR is prefixed with a quote so
    a spreadsheet shows it as text instead of running it as a formula."""
    if text.startswith(_FORMULA_START):
        return "'" + text
    return text
