import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.config import DEFAULT_SECRET, InsecureSecretKey, Settings, require_secret_key, secret_key_problem

STRONG = "k" * 32


def _settings(**values: str) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def test_signing_key_is_required_unless_development() -> None:
    # ENVIRONMENT unset means production: the built-in key is refused, and so is a short one.
    for environment in ("production", "staging"):
        assert secret_key_problem(_settings(environment=environment)) is not None
        assert secret_key_problem(_settings(environment=environment, secret_key="k" * 31)) is not None
        assert secret_key_problem(_settings(environment=environment, secret_key=STRONG)) is None
    # `make run` (development) and the test suite (test) may use the built-in key.
    assert secret_key_problem(_settings(environment="development")) is None
    assert secret_key_problem(_settings(environment="test", secret_key=DEFAULT_SECRET)) is None
    with pytest.raises(InsecureSecretKey, match=r"secrets\.token_urlsafe"):
        require_secret_key(_settings(environment="production", secret_key="short"))


def _start(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """Import the ASGI app the way uvicorn does, in a clean environment and a folder without .env."""
    clean = {k: v for k, v in os.environ.items() if k not in ("ENVIRONMENT", "SECRET_KEY")}
    clean |= {"DATABASE_URL": f"sqlite:///{tmp_path}/x.db", **env}
    return subprocess.run(
        [sys.executable, "-c", "import app.asgi"], cwd=tmp_path, env=clean, capture_output=True, text=True, timeout=120
    )


def test_server_without_environment_or_key_refuses_to_start(tmp_path: Path) -> None:
    refused = _start(tmp_path)
    assert refused.returncode == 1
    assert "SECRET_KEY" in refused.stderr and "secrets.token_urlsafe(48)" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert _start(tmp_path, SECRET_KEY="x" * 20).returncode == 1
    assert _start(tmp_path, SECRET_KEY="x" * 32).returncode == 0, _start(tmp_path, SECRET_KEY="x" * 32).stderr
    assert _start(tmp_path, ENVIRONMENT="development").returncode == 0


def test_postgres_urls_use_psycopg() -> None:
    from app.db import normalize_url

    assert normalize_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalize_url("sqlite:///data/x.db") == "sqlite:///data/x.db"
