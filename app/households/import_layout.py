"""Where the list is in a sheet: the title block, the header row (found by its content), which column
holds which field, and which rows are households rather than blanks, totals or repeated headers."""

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from app.errors import Invalid
from app.households.import_reader import (
    MAX_DATA_ROWS,
    Formula,
    RawSheet,
    TooManyRows,
    column_letter,
    is_blank,
    limited,
)
from app.households.import_values import cell_text
from app.text import fold

HEADER_SEARCH_ROWS = 30
MAX_LISTED_SKIPS = 2_000

# field → the headers people write for it, folded (see header_key).
ALIASES: dict[str, tuple[str, ...]] = {
    "hamlet": ("thon ap", "thon", "ap", "khu vuc", "to dan pho", "ten thon ap", "ten ap", "ten thon", "hamlet"),
    "hamlet_id": ("ma thon ap", "ma thon", "ma ap", "hamlet id", "id thon ap"),
    "address": (
        "dia chi",
        "dia chi so nha to",
        "dia chi thuong tru",
        "dia chi cu tru",
        "noi o",
        "noi o hien nay",
        "cho o hien nay",
        "address",
    ),
    "house_number": ("so nha", "so nha duong", "house number"),
    "group": ("to", "khom", "to so", "khom so", "to nhan dan"),
    "head_name": (
        "ho ten chu ho",
        "ho va ten chu ho",
        "ten chu ho",
        "chu ho",
        "ho va ten",
        "ho ten",
        "head name",
        "head of household",
    ),
    "phone": ("so dien thoai", "dien thoai", "sdt", "so dt", "dt", "dien thoai lien he", "sdt lien he", "phone"),
    "member_count": (
        "so nhan khau",
        "nhan khau",
        "so khau",
        "so thanh vien",
        "so nguoi",
        "so nguoi trong ho",
        "member count",
        "members",
    ),
    "birth_year": ("nam sinh", "nam sinh chu ho", "birth year"),
    "note": ("ghi chu", "note", "notes"),
    "ignore": ("stt", "tt", "so tt", "so thu tu"),
}
FIELDS = tuple(ALIASES)
_NON_WORD = re.compile(r"[^a-z0-9]+")
_PARENTHESES = re.compile(r"\([^)]*\)")


def header_key(text: str) -> str:
    return _NON_WORD.sub(" ", fold(text)).strip()


_BY_KEY = {header_key(a): name for name, aliases in ALIASES.items() for a in (name, *aliases)}


def known_field(header: str) -> str | None:
    """ "Địa chỉ (số nhà, tổ)" → address: exact alias first, then without what is in parentheses."""
    key = header_key(header)
    if not key:
        return None
    if key in _BY_KEY:
        return _BY_KEY[key]
    return _BY_KEY.get(header_key(_PARENTHESES.sub(" ", fold(header))))


class BadColumnMap(Invalid):
    code = "bad_column_map"
    message_vi = "Cách ghép cột không hợp lệ: cần một đối tượng JSON {tiêu đề cột: tên trường}."
    message_en = "Invalid column map: a JSON object {column header: field name} is expected."


def parse_column_map(raw: Any) -> dict[str, str]:
    """{header text (or column letter): field}. Keys are compared by header_key."""
    if raw is None:
        return {}
    if not isinstance(raw, dict) or len(raw) > 200:
        raise BadColumnMap()
    out: dict[str, str] = {}
    for header, name in raw.items():
        if not isinstance(header, str) or not isinstance(name, str) or (name and name not in FIELDS):
            raise BadColumnMap(details={"header": str(header)[:100], "field": str(name)[:40], "fields": FIELDS})
        out[header_key(header) or header.strip().upper()] = name or "ignore"
    return out


# --- titles ---------------------------------------------------------------------------------------

_COMMUNE_LINE = re.compile(
    r"(?:UBND|Ủy ban nhân dân|Uỷ ban nhân dân)\s*[:\-]?\s*((?:xã|phường|thị trấn|đặc khu)\s+[^,;(]+)", re.IGNORECASE
)
HAMLET_TYPES = ("tổ dân phố", "khu phố", "khu vực", "khóm", "khóm", "thôn", "ấp", "xóm", "bản", "buôn", "làng", "sóc")
_HAMLET_IN_TITLE = re.compile(
    r"\b((?:" + "|".join(HAMLET_TYPES) + r")\s+[^,;()\-–:]+)",
    re.IGNORECASE,
)
_HAMLET_TAIL = re.compile(
    r"\s+(?:xã|phường|thị trấn|huyện|quận|thị xã|thành phố|tỉnh|năm|tháng|cập nhật|đến|tính)\b.*$", re.IGNORECASE
)
_NOT_HAMLET_LINES = ("ubnd", "uy ban", "cong hoa", "doc lap")


def commune_in_title(lines: list[str]) -> str | None:
    """ "UBND XÃ TÂN BÌNH" → "XÃ TÂN BÌNH"."""
    for line in lines:
        m = _COMMUNE_LINE.search(line)
        if m:
            return m.group(1).strip(" .:")
    return None


def hamlet_in_title(lines: list[str]) -> str | None:
    """ "DANH SÁCH HỘ GIA ĐÌNH ẤP THẠNH HÒA (cập nhật 09/2024)" → "ẤP THẠNH HÒA"."""
    for line in lines:
        if fold(line).startswith(_NOT_HAMLET_LINES):
            continue
        m = _HAMLET_IN_TITLE.search(line)
        if m:
            name = _HAMLET_TAIL.sub("", m.group(1)).strip(" .:")
            if len(name.split()) >= 2:
                return name
    return None


def looks_like_hamlet(name: str) -> bool:
    key = fold(name)
    return any(key.startswith(fold(t) + " ") for t in HAMLET_TYPES)


# --- a sheet's table ------------------------------------------------------------------------------


@dataclass
class SheetTable:
    name: str
    index: int
    title: list[str]
    header_row: int
    headers: list[str]
    columns: dict[str, int]  # field → column
    group_word: str  # "Tổ" or "Khóm": how a bare group number is written in the address
    unmapped: list[dict[str, Any]]
    rows: list[tuple[int, list[Any]]]
    skipped: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class RowBudget:
    """Rows read after the header, over the whole file."""

    used: int = 0

    def take(self) -> None:
        self.used += 1
        if self.used > MAX_DATA_ROWS:
            raise TooManyRows(details={"max_rows": MAX_DATA_ROWS})


def _row_text(cells: list[Any]) -> str:
    parts = [c.text if isinstance(c, Formula) and c.cached is None else cell_text(c) for c in cells]
    return " | ".join(p for p in parts if p)[:200]


def _mapping(cells: list[Any], column_map: dict[str, str]) -> dict[int, str]:
    out: dict[int, str] = {}
    for i, c in enumerate(cells):
        text = cell_text(c)
        if not text:
            continue
        name = column_map.get(header_key(text)) or known_field(text)
        if name:
            out[i] = name
    return out


_TOTAL_WORDS = re.compile(r"^(tong cong|tong so|tong|cong|cong ho|tong ho)(\s|:|$)")
# In the head-of-household column only unmistakable totals: "Cộng" alone, "Tổng cộng: 25 hộ", "Cộng 25".
_TOTAL_HEAD = re.compile(r"^(tong cong|tong so|(tong|cong)(\s*:|\s*\d|$))")
_COLUMN_NUMBER = re.compile(r"^\(?\d{1,2}\)?$")


@dataclass(frozen=True)
class _Columns:
    head: int | None
    head_header_text: str  # casefolded: a header repeated (a printed list's pages) is a copy of it
    header_keys: frozenset[str]
    ignored: frozenset[int]
    mapped: frozenset[int]


def _skip_reason(cells: list[Any], cols: _Columns) -> str | None:
    """None for a household row; else blank | only_numbering | total | formula | column_numbers | header
    | no_data. A row with a name in the head column (nearly all of them) is decided from that cell."""
    filled = [(i, c) for i, c in enumerate(cells) if not is_blank(c)]
    if not filled:
        return "blank"
    head = cells[cols.head] if cols.head is not None and cols.head < len(cells) else None
    head_text = cell_text(head)
    if head_text and not isinstance(head, Formula) and any(ch.isalpha() for ch in head_text):
        # Folding is the costly part: only for names that could be "Tổng…", "Cộng…" or the header.
        first = fold(head_text[:1])
        if first in ("t", "c") and _TOTAL_HEAD.match(fold(head_text)):
            return "total"
        if head_text.casefold() == cols.head_header_text:
            texts = [cell_text(c) for _, c in filled]
            if sum(1 for t in texts if header_key(t) in cols.header_keys) >= max(2, len(texts) // 2 + 1):
                return "header"
        return None
    if any(_TOTAL_WORDS.match(fold(cell_text(c))) for _, c in filled):
        return "total"
    if any(isinstance(c, Formula) for _, c in filled):
        return "formula"
    texts = [cell_text(c) for _, c in filled]
    if len(texts) >= 2 and all(_COLUMN_NUMBER.match(t) for t in texts):
        return "column_numbers"
    if all(i in cols.ignored for i, _ in filled):
        return "only_numbering"
    if not any(i in cols.mapped for i, _ in filled):
        return "no_data"
    return None


def sheet_table(raw: RawSheet, column_map: dict[str, str], budget: RowBudget) -> SheetTable | str:
    """The sheet's table, or why there is none: "empty", or "no_header" in its first rows."""
    rows: Iterator[tuple[int, list[Any]]] = limited(raw.rows)
    title: list[str] = []
    header: tuple[int, list[Any], dict[int, str]] | None = None
    seen = 0
    for number, cells in rows:
        if all(is_blank(c) for c in cells):
            continue
        mapping = _mapping(cells, column_map)
        if "head_name" in mapping.values():
            header = (number, cells, mapping)
            break
        # Each cell its own line: "UBND XÃ …" and "CỘNG HÒA …" often share a row.
        title.extend(t for t in (cell_text(c) for c in cells) if t)
        seen += 1
        if seen >= HEADER_SEARCH_ROWS:
            return "no_header"
    if header is None:
        return "no_header" if seen else "empty"
    header_row, header_cells, mapping = header
    headers = [cell_text(c) for c in header_cells]
    letters = {column_letter(i): i for i in range(len(headers) + 50)}
    for key, name in column_map.items():
        # A column without a header can be mapped by its letter ("H").
        if key in letters and letters[key] not in mapping:
            mapping[letters[key]] = name
    columns: dict[str, int] = {}
    for i, name in sorted(mapping.items()):
        columns.setdefault(name, i)
    group_word = "Khóm" if "group" in columns and fold(headers[columns["group"]]).startswith("khom") else "Tổ"
    head = columns.get("head_name")
    cols = _Columns(
        head=head,
        head_header_text=headers[head].casefold() if head is not None and head < len(headers) else "",
        header_keys=frozenset(header_key(h) for h in headers if h),
        ignored=frozenset(i for n, i in columns.items() if n == "ignore"),
        mapped=frozenset(i for n, i in columns.items() if n != "ignore"),
    )
    table = SheetTable(
        name=raw.name,
        index=raw.index,
        title=title,
        header_row=header_row,
        headers=headers,
        columns=columns,
        group_word=group_word,
        unmapped=[],
        rows=[],
    )
    used_columns = {i for i in mapping if mapping[i] != "ignore" and columns.get(mapping[i]) == i}
    data_columns: set[int] = set()
    pending_blanks: list[int] = []
    last = header_row
    for number, cells in rows:
        # Rows a spreadsheet leaves out of its XML are blank too.
        missing = range(last + 1, min(number, last + 1 + MAX_LISTED_SKIPS))
        pending_blanks.extend(missing[: max(0, MAX_LISTED_SKIPS - len(pending_blanks))])
        last = number
        reason = _skip_reason(cells, cols)
        if reason == "blank":
            if len(pending_blanks) < MAX_LISTED_SKIPS:
                pending_blanks.append(number)
            continue
        budget.take()
        if reason == "only_numbering":
            # Listed (as blank) only when a household follows: numbered empty rows at the end are not news.
            if len(pending_blanks) < MAX_LISTED_SKIPS:
                pending_blanks.append(number)
            continue
        if pending_blanks and reason is None:
            for blank in pending_blanks:
                _skip(table, blank, "blank", "")
        pending_blanks = []
        if reason is not None:
            _skip(table, number, reason, _row_text(cells))
            continue
        data_columns.update(i for i, c in enumerate(cells) if not is_blank(c))
        table.rows.append((number, cells))
    for i in sorted(set(range(len(headers))) | data_columns):
        header_text = headers[i] if i < len(headers) else ""
        if i in used_columns or mapping.get(i) == "ignore":
            continue
        # A second column for a field already taken (two "Ghi chú" columns) is reported too.
        if header_text or i in data_columns:
            table.unmapped.append({"sheet": raw.name, "column": column_letter(i), "header": header_text})
    return table


def _skip(table: SheetTable, row: int, reason: str, text: str) -> None:
    if len(table.skipped) < MAX_LISTED_SKIPS:
        table.skipped.append({"sheet": table.name, "row": row, "reason": reason, "text": text})
