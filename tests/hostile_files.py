"""Spreadsheets built byte by byte, as an attacker would: a minimal xlsx around any sheet XML, a zip whose
central directory declares sizes it does not hold, an XML entity bomb. Shared by the tests (small
files) and bench/import_hostile.py (the real sizes)."""

import io
import struct
import zipfile
from collections.abc import Iterable

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    "</Types>"
)
WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Khu vực 1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" '
    'Target="sharedStrings.xml"/>'
    "</Relationships>"
)
SHEET_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
)


def inline_row(number: int, *texts: str) -> str:
    cells = "".join(f'<c r="{chr(65 + i)}{number}" t="inlineStr"><is><t>{t}</t></is></c>' for i, t in enumerate(texts))
    return f'<row r="{number}">{cells}</row>'


HEADER_ROW = inline_row(1, "Họ tên chủ hộ", "Địa chỉ")


def sheet_xml(rows: Iterable[str], dimension: str = "A1:B2") -> bytes:
    return (
        SHEET_HEAD + f'<dimension ref="{dimension}"/><sheetData>' + "".join(rows) + "</sheetData></worksheet>"
    ).encode()


def xlsx(sheet: bytes, shared_strings: bytes | None = None, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as book:
        book.writestr("[Content_Types].xml", CONTENT_TYPES)
        book.writestr("xl/workbook.xml", WORKBOOK)
        book.writestr("xl/_rels/workbook.xml.rels", RELS)
        book.writestr("xl/worksheets/sheet1.xml", sheet)
        if shared_strings is not None:
            book.writestr("xl/sharedStrings.xml", shared_strings)
    return buffer.getvalue()


def declare_size(content: bytes, part: str, size: int) -> bytes:
    """The same zip, its central directory claiming `part` holds `size` bytes uncompressed."""
    data = bytearray(content)
    name = part.encode()
    at = 0
    while True:
        at = data.find(b"PK\x01\x02", at)
        if at < 0:
            raise ValueError(part)
        name_len = struct.unpack_from("<H", data, at + 28)[0]
        if data[at + 46 : at + 46 + name_len] == name:
            struct.pack_into("<I", data, at + 24, size)
            return bytes(data)
        at += 4


def million_row_dimension() -> bytes:
    """Two households under a dimension that declares 1,048,576 rows × 16,384 columns, and one cell
    at the far corner."""
    rows = [
        HEADER_ROW,
        inline_row(2, "Hộ Một", "Số 1"),
        inline_row(3, "Hộ Hai", "Số 2"),
        '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>',
    ]
    return xlsx(sheet_xml(rows, dimension="A1:XFD1048576"))


def blank_rows(count: int) -> bytes:
    """A household, then `count` rows that are there but empty, then a household nobody should read."""
    blank = "".join(
        f'<row r="{n}"><c r="A{n}"/><c r="B{n}" t="inlineStr"><is><t> </t></is></c></row>' for n in range(3, 3 + count)
    )
    rows = [HEADER_ROW, inline_row(2, "Hộ Một", "Số 1"), blank, inline_row(3 + count, "Hộ Sau", "Số 9")]
    return xlsx(sheet_xml(rows))


def entity_bomb() -> bytes:
    """Billion laughs in the sheet part."""
    doctype = (
        '<?xml version="1.0" encoding="UTF-8"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        + "".join(f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10))
        + "]>"
    )
    body = (
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        '<row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row></sheetData></worksheet>'
    )
    return xlsx((doctype + body).encode())


def compressed_bomb(size: int) -> bytes:
    """A sheet part of `size` bytes of one repeated blank row: it deflates about a thousandfold."""
    row = b'<row><c t="inlineStr"><is><t> </t></is></c></row>'
    body = SHEET_HEAD.encode() + b"<sheetData>" + row * (size // len(row)) + b"</sheetData></worksheet>"
    return xlsx(body)


def shared_strings_part(size: int) -> bytes:
    """A sharedStrings part of about `size` bytes of distinct strings (compresses only a few times)."""
    head = (
        b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    )
    parts = [head]
    n = 0
    total = len(head)
    while total < size:
        item = f"<si><t>Nguyễn Văn {n * 7919 % 1000003:07d} {n:x}</t></si>".encode()
        parts.append(item)
        total += len(item)
        n += 1
    parts.append(b"</sst>")
    return b"".join(parts)
