"""Write the backend's OpenAPI schema as JSON (input of the front end's generated API types).

Usage: .venv/bin/python scripts/dump_openapi.py [OUT]   (default: frontend/openapi.json)
"""

import json
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def add_contract_schemas(schema: dict) -> None:  # type: ignore[type-arg]
    """Also emit the sync contract's models, so the client's types exist before (and whatever) routes use them."""
    from pydantic.json_schema import models_json_schema

    from app.households.schemas import HouseholdIn, HouseholdOut, PersonIn, PersonOut
    from app.sync.schemas import PullOut, PushIn, PushOut
    from app.visits.schemas import VisitIn

    models = [PushIn, PushOut, PullOut, HouseholdIn, HouseholdOut, PersonIn, PersonOut, VisitIn]
    _, defs = models_json_schema([(m, "validation") for m in models], ref_template="#/components/schemas/{model}")
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for name, definition in defs.get("$defs", {}).items():
        components.setdefault(name, definition)


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "frontend" / "openapi.json"
    # The schema does not depend on the database; point the engine at a throwaway file.
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{tempfile.gettempdir()}/tungnha-openapi.db")
    # Nothing is signed here: the built-in development key is fine.
    os.environ.setdefault("ENVIRONMENT", "development")
    from app.main import create_app

    schema = create_app().openapi()
    add_contract_schemas(schema)
    out.write_text(json.dumps(schema, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
