from functools import lru_cache
from pathlib import Path

from pydantic import model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SECRET = "dev-secret-change-me"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    environment: str = "development"  # development | production | test
    database_url: str = f"sqlite:///{Path('data') / 'tungnha.db'}"
    secret_key: str = DEFAULT_SECRET
    jwt_algorithm: str = "HS256"
    access_token_minutes: int = 30
    refresh_token_days: int = 30
    cors_origins: list[str] = []
    # Failed logins per phone before slowing down, and the lock-out that follows.
    login_slowdown_after: int = 3
    login_lock_after: int = 8
    login_lock_minutes: int = 15
    max_body_bytes: int = 1_000_000
    # Under load (see app/routing.py, app/sync/admission.py): pushes running at once per process, worker
    # threads per process, and the limits after which a stalled request becomes a quick 503.
    push_concurrency: int = 4
    worker_threads: int = 40
    lock_timeout_ms: int = 5_000
    statement_timeout_ms: int = 30_000
    idle_in_transaction_timeout_ms: int = 15_000
    sqlite_busy_timeout_ms: int = 10_000
    frontend_dist: str = str(Path(__file__).resolve().parent.parent / "frontend" / "dist")

    @model_validator(mode="after")
    def refuse_default_secret(self) -> "Settings":
        if self.secret_key == DEFAULT_SECRET and self.environment not in ("development", "test"):
            raise ValueError("SECRET_KEY must be set outside development (ENVIRONMENT=development|test)")
        return self


@lru_cache
def get_settings() -> Settings:
    return Settings()
