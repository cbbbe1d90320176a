from functools import lru_cache
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SECRET = "dev-secret-change-me-never-in-production"  # 32+ bytes, as HS256 asks
MIN_SECRET_BYTES = 32
# Where the built-in key is accepted: a local demo (`make run`) and the test suite.
INSECURE_ENVIRONMENTS = ("development", "test")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    # Unset means production: only an explicit ENVIRONMENT=development|test accepts the built-in key.
    environment: str = "production"  # development | production | test
    database_url: str = f"sqlite:///{Path('data') / 'tungnha.db'}"
    secret_key: str = DEFAULT_SECRET
    jwt_algorithm: str = "HS256"
    access_token_minutes: int = 30
    refresh_token_days: int = 30
    cors_origins: list[str] = []
    # Failed logins per phone and client address before slowing down, and the lock-out that follows.
    login_slowdown_after: int = 3
    login_lock_after: int = 8
    login_lock_minutes: int = 15
    max_body_bytes: int = 1_000_000
    # Under load (see app/routing.py, app/sync/admission.py, app/sync/groups.py): pushes admitted at once
    # per process (waiting to be written with others, or being written), transactions writing them, worker
    # threads per process, and the limits after which a stalled request becomes a quick 503.
    push_concurrency: int = 32
    push_writers: int = 1
    worker_threads: int = 40
    lock_timeout_ms: int = 5_000
    statement_timeout_ms: int = 30_000
    idle_in_transaction_timeout_ms: int = 15_000
    sqlite_busy_timeout_ms: int = 10_000
    # Personal data (app/privacy/retention.py): months after the last campaign of a hamlet ends before its
    # households' names, addresses, phones and notes are anonymised by `tungnha retention apply`.
    retention_months: int = 24
    frontend_dist: str = str(Path(__file__).resolve().parent.parent / "frontend" / "dist")


class InsecureSecretKey(RuntimeError):
    """The server refuses to start: tokens would be signed with a guessable key."""


def secret_key_problem(settings: Settings) -> str | None:
    """Why the server must not start with these settings, or None when the signing key is acceptable."""
    if settings.environment in INSECURE_ENVIRONMENTS:
        return None
    key = settings.secret_key
    if key != DEFAULT_SECRET and len(key.encode()) >= MIN_SECRET_BYTES:
        return None
    why = "is not set" if key == DEFAULT_SECRET else f"is {len(key.encode())} bytes long"
    return (
        f"SECRET_KEY {why} (ENVIRONMENT={settings.environment}): the server needs a random key of at least "
        f"{MIN_SECRET_BYTES} bytes to sign tokens. Generate one with\n"
        '    python -c "import secrets; print(secrets.token_urlsafe(48))"\n'
        "and set it: export SECRET_KEY=<that value> (or a SECRET_KEY=… line in .env). "
        "For a local demo only, set ENVIRONMENT=development instead.\n"
        "Máy chủ không khởi động: cần đặt SECRET_KEY ngẫu nhiên, dài ít nhất 32 byte (xem lệnh trên)."
    )


def require_secret_key(settings: Settings) -> None:
    problem = secret_key_problem(settings)
    if problem is not None:
        raise InsecureSecretKey(problem)


@lru_cache
def get_settings() -> Settings:
    return Settings()
