"""Issue 14, "one voice": every string the server can show a user (error messages, which reach the phone
under "Cần xử lý", export headers, sheet titles) uses the glossary's one term per idea and puts the tone
mark of an open oa/oe/uy on the first vowel (hòa, khỏe, thủy, hủy). Docstrings may quote the old forms."""

import ast
import re
from pathlib import Path

APP = Path(__file__).resolve().parents[1] / "app"
FORBIDDEN = [re.compile(p) for p in (r"Đã phủ", r"(?i)không có nhà", r"Huỷ", r"huỷ")]
# "toán", "hoàn", "quý" are right: a final consonant (or qu-) moves the mark.
MISPLACED = re.compile(r"(?<![qQ])(o[áàảãạ]|o[éèẻẽẹ]|u[ýỳỷỹỵ])(?![^\W\d_])", re.IGNORECASE)


def _strings(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                docstrings.add(id(first.value))
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
    ]


def test_the_rule_itself() -> None:
    assert MISPLACED.search("Huỷ") and MISPLACED.search("xoá") and MISPLACED.search("Luỹ kế")
    assert not any(MISPLACED.search(w) for w in ("Hủy", "xóa", "toán", "hoàn", "quý", "Lũy kế", "khỏe"))


def test_server_strings_use_one_term_and_one_tone_mark_rule() -> None:
    found = [
        f"{path.relative_to(APP.parent)}:{line}: {text[:80]!r}"
        for path in sorted(APP.rglob("*.py"))
        for line, text in _strings(path)
        # Patterns that read people's own files (the importer) accept both forms on purpose.
        if "(?:" not in text and (MISPLACED.search(text) or any(p.search(text) for p in FORBIDDEN))
    ]
    assert found == []
