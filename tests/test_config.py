import pytest
from pydantic import ValidationError

from app.config import Settings


def test_default_secret_is_refused_outside_development() -> None:
    with pytest.raises(ValidationError, match="SECRET_KEY"):
        Settings(environment="production")
    assert Settings(environment="production", secret_key="a-long-random-secret").environment == "production"
    assert Settings(environment="development").secret_key


def test_postgres_urls_use_psycopg() -> None:
    from app.db import normalize_url

    assert normalize_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalize_url("sqlite:///data/x.db") == "sqlite:///data/x.db"
