"""The PWA's API types are generated from the backend's OpenAPI schema: the two cannot drift."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FRONTEND = ROOT / "frontend"
HINT = "run `cd frontend && npm run gen:api` and commit the result"


def test_committed_openapi_schema_matches_the_backend(tmp_path: Path) -> None:
    out = tmp_path / "openapi.json"
    subprocess.run([sys.executable, str(ROOT / "scripts" / "dump_openapi.py"), str(out)], check=True, cwd=ROOT)
    committed = (FRONTEND / "openapi.json").read_text(encoding="utf-8")
    assert out.read_text(encoding="utf-8") == committed, HINT


def test_committed_types_match_the_committed_schema(tmp_path: Path) -> None:
    tool = FRONTEND / "node_modules" / ".bin" / "openapi-typescript"
    if not tool.exists():
        pytest.fail("frontend dependencies are not installed: run `make frontend`")
    out = tmp_path / "schema.d.ts"
    subprocess.run([str(tool), "openapi.json", "-o", str(out)], check=True, cwd=FRONTEND, capture_output=True)
    assert out.read_text(encoding="utf-8") == (FRONTEND / "src" / "api" / "schema.d.ts").read_text(encoding="utf-8"), (
        HINT
    )
