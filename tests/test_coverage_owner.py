"""`app/coverage` is the only writer of derived rows (issue 11): no module elsewhere in the app
inserts, updates, deletes, upserts or adds a person skill or milestone, a household status or an
aggregate row. Checked on the source, by its syntax tree."""

import ast
from pathlib import Path

APP = Path(__file__).resolve().parent.parent / "app"
DERIVED = {
    "PersonSkill",
    "PersonMilestone",
    "HouseholdStatus",
    "UnitCoverage",
    "UnitSkill",
    "UnitMilestone",
    "UnitDaily",
}
DERIVED_TABLES = {
    "person_skill",
    "person_milestone",
    "household_status",
    "unit_coverage",
    "unit_skill",
    "unit_milestone",
    "unit_daily",
}
WRITES = {
    "insert",
    "update",
    "delete",
    "upsert",
    "insert_missing",
    "add_counts",
    "bulk_insert",
    "add",
    "add_all",
    "merge",
}


def _name(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def _names_in(nodes: list[ast.expr]) -> set[str]:
    found: set[str] = set()
    for node in nodes:
        for sub in ast.walk(node):
            if isinstance(sub, ast.Name | ast.Attribute):
                found.add(_name(sub))
            if isinstance(sub, ast.Constant) and isinstance(sub.value, str):
                found.update(word for word in sub.value.replace("(", " ").split() if word in DERIVED_TABLES)
    return found


def writes_of_derived_rows(source: str) -> list[int]:
    """Lines where a write call names a derived model or table among its arguments, or where a derived
    table is written through `.insert()/.update()/.delete()` on it, or raw SQL writes one."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        named = _names_in([*node.args, *(k.value for k in node.keywords)])
        if _name(func) in WRITES and named & (DERIVED | DERIVED_TABLES):
            lines.append(node.lineno)
        elif isinstance(func, ast.Attribute) and func.attr in ("insert", "update", "delete"):
            if _names_in([func.value]) & DERIVED:
                lines.append(node.lineno)
        elif _name(func) == "text" and node.args and isinstance(node.args[0], ast.Constant):
            sql = str(node.args[0].value).lower()
            if any(f"{verb} {t}" in sql for verb in ("insert into", "update", "delete from") for t in DERIVED_TABLES):
                lines.append(node.lineno)
    return lines


def test_the_check_finds_a_write_of_a_derived_row() -> None:
    assert writes_of_derived_rows("session.execute(update(HouseholdStatus).values(version=1))") == [1]
    assert writes_of_derived_rows("sql.upsert(session, table_of(UnitDaily), keys, rows)") == [1]
    assert writes_of_derived_rows("session.add(PersonSkill(person_id=p))") == [1]
    assert writes_of_derived_rows("table_of(UnitSkill).delete()") == [1]
    assert writes_of_derived_rows("session.execute(text('UPDATE household_status SET version = 2'))") == [1]
    assert writes_of_derived_rows("session.execute(select(HouseholdStatus.visits))") == []


def test_only_app_coverage_writes_derived_rows() -> None:
    offenders = {
        str(path.relative_to(APP.parent)): lines
        for path in sorted(APP.rglob("*.py"))
        if "coverage" not in path.relative_to(APP).parts[:1] and "models" not in path.relative_to(APP).parts[:1]
        if (lines := writes_of_derived_rows(path.read_text(encoding="utf-8")))
    }
    assert offenders == {}
