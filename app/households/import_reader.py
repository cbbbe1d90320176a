"""Reading a household list as communes deliver it: every sheet of a workbook (or one CSV), streamed,
with the limits that keep a hostile file from taking the server down.

An xlsx file is a zip of XML parts. Before anything is decompressed the zip's central directory is
checked (total uncompressed size, compression ratio, size of the shared strings); then the parts are
parsed with defusedxml's `iterparse`, one row at a time, so a declared million-row dimension allocates
nothing and an entity bomb is refused. A sheet stops after 1,000 consecutive blank rows; the whole file
stops at 100,000 data rows. CSV bytes are decoded by BOM, then strict UTF-8, then Windows-1258 (what
Vietnamese Excel saves), normalised to NFC.
"""

import csv
import io
import posixpath
import re
import unicodedata
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as safe_fromstring
from defusedxml.ElementTree import iterparse as safe_iterparse

from app.errors import Invalid

MAX_UPLOAD_BYTES = 25_000_000
MAX_DATA_ROWS = 100_000
MAX_BLANK_RUN = 1_000
MAX_COLUMNS = 200
MAX_UNCOMPRESSED = 250_000_000  # all parts together
MAX_SHARED_STRINGS = 20_000_000  # held in memory while the sheets are read
MAX_SMALL_PART = 5_000_000  # workbook.xml and its relations
MAX_RATIO = 100  # uncompressed / compressed, for parts over RATIO_FLOOR
RATIO_FLOOR = 1_000_000
MAX_PARTS = 2_000
MAX_CELL_CHARS = 2_000


class UnreadableFile(Invalid):
    code = "unreadable_file"
    message_vi = "Không đọc được tệp. Hãy dùng tệp Excel (.xlsx) hoặc CSV theo mẫu."
    message_en = "The file cannot be read. Use an Excel (.xlsx) or CSV file following the template."


class UnknownEncoding(Invalid):
    code = "unknown_encoding"
    message_vi = "Không đọc được bảng mã của tệp CSV. Hãy lưu lại tệp dạng CSV UTF-8 rồi thử lại."
    message_en = "The CSV file's encoding cannot be read. Save it as CSV UTF-8 and try again."


class UnsafeFile(Invalid):
    code = "unsafe_file"
    message_vi = "Tệp có cấu trúc bất thường (nén quá mức hoặc XML không an toàn) nên không được đọc."
    message_en = "The file has an abnormal structure (over-compressed or unsafe XML) and was not read."


class FileTooLarge(Invalid):
    status_code = 413
    code = "file_too_large"
    message_vi = f"Tệp quá lớn (tối đa {MAX_UPLOAD_BYTES // 1_000_000} MB)."
    message_en = f"The file is too large ({MAX_UPLOAD_BYTES // 1_000_000} MB max)."


class TooManyRows(Invalid):
    status_code = 413
    code = "too_many_rows"
    message_vi = f"Tệp có quá nhiều dòng (tối đa {MAX_DATA_ROWS:,} dòng dữ liệu).".replace(",", ".")
    message_en = f"The file has too many rows (at most {MAX_DATA_ROWS:,} data rows)."


class EmptyFile(Invalid):
    code = "empty_file"
    message_vi = "Tệp không có dòng dữ liệu nào."
    message_en = "The file has no data rows."


@dataclass(frozen=True)
class Formula:
    """A formula cell: its text and the value Excel cached for it (None when never calculated)."""

    text: str
    cached: Any


@dataclass
class RawSheet:
    name: str
    index: int
    rows: Iterator[tuple[int, list[Any]]]  # (row number as the spreadsheet shows it, cells)


def is_xlsx(content: bytes, filename: str) -> bool:
    return content[:4] == b"PK\x03\x04" or filename.lower().endswith((".xlsx", ".xlsm"))


def is_blank(value: Any) -> bool:
    if isinstance(value, Formula):
        return False
    return value is None or (isinstance(value, str) and not value.strip())


def read_sheets(content: bytes, filename: str = "") -> Iterator[RawSheet]:
    """Every sheet, lazily. Callers must consume a sheet's rows before asking for the next sheet."""
    if len(content) > MAX_UPLOAD_BYTES:
        raise FileTooLarge()
    if not content.strip():
        raise EmptyFile()
    if is_xlsx(content, filename):
        yield from _xlsx_sheets(content)
    else:
        yield RawSheet(name="", index=0, rows=_csv_rows(decode_csv(content)))


def limited(rows: Iterator[tuple[int, list[Any]]]) -> Iterator[tuple[int, list[Any]]]:
    """Stops a sheet after MAX_BLANK_RUN consecutive blank rows (a gap in row numbers counts)."""
    last = 0
    blank_run = 0
    for number, cells in rows:
        gap = number - last - 1
        last = number
        if all(is_blank(c) for c in cells):
            blank_run += 1 + max(gap, 0)
        else:
            blank_run += max(gap, 0)
            if blank_run >= MAX_BLANK_RUN:
                return
            blank_run = 0
        if blank_run >= MAX_BLANK_RUN:
            return
        yield number, cells


# --- CSV ------------------------------------------------------------------------------------------

_BOMS = (
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def decode_csv(content: bytes) -> str:
    text: str | None = None
    for bom, encoding in _BOMS:
        if content.startswith(bom):
            try:
                text = content.decode(encoding)
            except UnicodeDecodeError as exc:
                raise UnknownEncoding() from exc
            break
    if text is None:
        try:
            text = content.decode("utf-8")
        except UnicodeDecodeError:
            try:
                # Windows-1258 writes tone marks as combining characters: NFC makes them one letter.
                text = content.decode("cp1258")
            except UnicodeDecodeError as exc:
                raise UnknownEncoding() from exc
    if "\x00" in text or len(_CONTROL.findall(text[:10_000])) > 10:
        raise UnreadableFile()
    return unicodedata.normalize("NFC", text)


def _csv_rows(text: str) -> Iterator[tuple[int, list[Any]]]:
    # Refused before parsing: far more lines than the row cap allows.
    if text.count("\n") > MAX_DATA_ROWS + 10 * MAX_BLANK_RUN:
        raise TooManyRows(details={"max_rows": MAX_DATA_ROWS})
    first = text.split("\n", 1)[0]
    lines = text[:20_000].splitlines()[:40]
    # The delimiter is the one most used in the first lines (a title line above the header has none).
    delimiter = max((",", ";", "\t"), key=lambda d: (sum(line.count(d) for line in lines), first.count(d)))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for number, row in enumerate(reader, start=1):
            yield number, [c[:MAX_CELL_CHARS] for c in row[:MAX_COLUMNS]]
    except csv.Error as exc:
        raise UnreadableFile(details={"reason": str(exc)[:200]}) from exc


# --- xlsx -----------------------------------------------------------------------------------------

_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_CELL_REF = re.compile(r"^([A-Z]{1,3})(\d+)$")


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def check_archive(book: zipfile.ZipFile) -> None:
    """Refuse, from the central directory alone, what would take too much memory or time."""
    infos = book.infolist()
    if len(infos) > MAX_PARTS:
        raise UnsafeFile(details={"parts": len(infos)})
    total = 0
    for info in infos:
        total += info.file_size
        if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise UnsafeFile(
                details={"part": info.filename[:100], "ratio": info.file_size // max(info.compress_size, 1)}
            )
        if info.filename.endswith("sharedStrings.xml") and info.file_size > MAX_SHARED_STRINGS:
            raise FileTooLarge(details={"part": info.filename[:100], "uncompressed_bytes": info.file_size})
    if total > MAX_UNCOMPRESSED:
        raise FileTooLarge(details={"uncompressed_bytes": total})


def _xml_errors(exc: Exception) -> Invalid:
    if isinstance(exc, DefusedXmlException):
        return UnsafeFile(details={"reason": type(exc).__name__})
    return UnreadableFile(details={"reason": str(exc)[:200]})


def _small_part(book: zipfile.ZipFile, name: str) -> Element | None:
    try:
        info = book.getinfo(name)
    except KeyError:
        return None
    if info.file_size > MAX_SMALL_PART:
        raise UnsafeFile(details={"part": name[:100]})
    try:
        return safe_fromstring(book.read(name))  # type: ignore[no-any-return]
    except (DefusedXmlException, ParseError) as exc:
        raise _xml_errors(exc) from exc
    except (zipfile.BadZipFile, NotImplementedError, EOFError, OSError, zlib.error) as exc:
        raise UnreadableFile(details={"reason": str(exc)[:200]}) from exc


def _workbook_parts(book: zipfile.ZipFile) -> tuple[list[tuple[str, str]], str | None]:
    """(sheet name, part path) in the workbook's order, and the shared strings' path."""
    names = set(book.namelist())
    workbook = (
        "xl/workbook.xml"
        if "xl/workbook.xml" in names
        else next((n for n in sorted(names) if n.endswith("workbook.xml")), None)
    )
    if workbook is None:
        raise UnreadableFile(details={"reason": "no workbook part"})
    base = posixpath.dirname(workbook)
    rels_path = posixpath.join(base, "_rels", posixpath.basename(workbook) + ".rels")
    targets: dict[str, str] = {}
    shared: str | None = None
    rels = _small_part(book, rels_path)
    if rels is not None:
        for rel in rels:
            target = rel.get("Target", "")
            path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(base, target))
            targets[rel.get("Id", "")] = path
            if rel.get("Type", "").endswith("/sharedStrings"):
                shared = path
    if shared is None and posixpath.join(base, "sharedStrings.xml") in names:
        shared = posixpath.join(base, "sharedStrings.xml")
    root = _small_part(book, workbook)
    sheets: list[tuple[str, str]] = []
    if root is not None:
        for el in root.iter():
            if _local(el.tag) == "sheet":
                path = targets.get(el.get(_REL, ""), "")
                if path in names:
                    sheets.append((el.get("name", ""), path))
    if not sheets:
        sheets = [(posixpath.basename(n).removesuffix(".xml"), n) for n in sorted(names) if "/worksheets/sheet" in n]
    return sheets, shared


def _iterparse(book: zipfile.ZipFile, path: str, container: str) -> Iterator[Element]:
    """The completed children of `container` (e.g. each <row> of <sheetData>), each dropped from the
    tree once the caller is done with it: memory stays flat however many rows the part holds."""
    try:
        with book.open(path) as stream:
            parent: Element | None = None
            depth = 0
            for event, el in safe_iterparse(stream, events=("start", "end"), forbid_dtd=True):
                if event == "start":
                    depth += 1
                    if parent is None and _local(el.tag) == container:
                        parent, parent_depth = el, depth
                    continue
                depth -= 1
                if parent is not None and depth == parent_depth:
                    yield el
                    parent.remove(el)  # the first child: the ones before it are gone already
    except (DefusedXmlException, ParseError) as exc:
        raise _xml_errors(exc) from exc
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError, OSError, zlib.error) as exc:
        # A corrupt member, an unsupported compression, a CRC mismatch.
        raise UnreadableFile(details={"reason": str(exc)[:200]}) from exc


def _shared_strings(book: zipfile.ZipFile, path: str | None) -> list[str]:
    if path is None or path not in book.namelist():
        return []
    out: list[str] = []
    for el in _iterparse(book, path, "sst"):
        # Phonetic runs (rPh) hold their own <t>: not part of the text.
        parts: list[str] = []
        for child in el:
            name = _local(child.tag)
            if name == "t":
                parts.append(child.text or "")
            elif name == "r":
                parts.extend(t.text or "" for t in child if _local(t.tag) == "t")
        out.append("".join(parts)[:MAX_CELL_CHARS])
    return out


def column_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ord(ch) - 64)
    return n - 1


def column_letter(index: int) -> str:
    out = ""
    n = index + 1
    while n:
        n, rem = divmod(n - 1, 26)
        out = chr(65 + rem) + out
    return out


def _cell_value(el: Element, shared: list[str]) -> Any:
    kind = el.get("t", "n")
    value: Any = None
    formula: str | None = None
    for child in el:
        name = _local(child.tag)
        if name == "v":
            value = child.text
        elif name == "f":
            formula = child.text or ""
        elif name == "is":
            value = "".join(t.text or "" for t in child.iter() if _local(t.tag) == "t")
    if value is not None:
        if kind == "s":
            try:
                index = int(value)
                value = shared[index] if index >= 0 else None
            except (ValueError, IndexError):
                value = None
        elif kind in ("n", ""):
            try:
                number = float(value)
                value = int(number) if number.is_integer() and abs(number) < 1e15 else number
            except ValueError:
                value = None
        elif kind == "b":
            value = value == "1"
        elif kind == "e":
            value = None
        elif isinstance(value, str):
            value = value[:MAX_CELL_CHARS]
    if formula is not None:
        return Formula(text=("=" + formula)[:200], cached=value)
    return value


def _sheet_rows(book: zipfile.ZipFile, path: str, shared: list[str]) -> Iterator[tuple[int, list[Any]]]:
    number = 0
    for el in _iterparse(book, path, "sheetData"):
        if _local(el.tag) != "row":
            continue
        r = el.get("r")
        number = int(r) if r and r.isdigit() else number + 1
        cells: dict[int, Any] = {}
        next_col = 0
        for c in el:
            if _local(c.tag) != "c":
                continue
            ref = _CELL_REF.match(c.get("r", ""))
            col = column_index(ref.group(1)) if ref else next_col
            next_col = col + 1
            if col >= MAX_COLUMNS:
                continue
            value = _cell_value(c, shared)
            if not is_blank(value):
                cells[col] = value
        width = max(cells) + 1 if cells else 0
        yield number, [cells.get(i) for i in range(width)]


def _xlsx_sheets(content: bytes) -> Iterator[RawSheet]:
    try:
        book = zipfile.ZipFile(io.BytesIO(content))
    except (zipfile.BadZipFile, ValueError, OSError, NotImplementedError, EOFError) as exc:
        raise UnreadableFile(details={"reason": str(exc)[:200]}) from exc
    with book:
        check_archive(book)
        sheets, shared_path = _workbook_parts(book)
        shared = _shared_strings(book, shared_path)
        for index, (name, path) in enumerate(sheets):
            yield RawSheet(name=name, index=index, rows=_sheet_rows(book, path, shared))
