"""A server worker starts without openpyxl (some 6 MB of each one's memory): it is imported only when an .xlsx
is written. Checked in a fresh interpreter, since the test process has imported it long before."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PROBE = """
import json, sys
import app.main
app.main.create_app()
print(json.dumps(sorted(m for m in sys.modules if m == "openpyxl" or m.startswith("openpyxl."))))
"""


def test_a_worker_starts_without_openpyxl() -> None:
    env = {**os.environ, "ENVIRONMENT": "development"}
    done = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=True
    )
    loaded = json.loads(done.stdout.strip().splitlines()[-1])
    assert loaded == [], f"openpyxl imported at startup: {loaded[:5]}"
