"""The ASGI entry point for uvicorn: `uvicorn app.asgi:app`."""

from app.config import InsecureSecretKey
from app.main import create_app

try:
    app = create_app()
except InsecureSecretKey as exc:
    # A plain message and exit status 1 instead of a traceback: the operator must set SECRET_KEY.
    raise SystemExit(str(exc)) from None
