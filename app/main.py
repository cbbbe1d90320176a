"""create_app(): routers, the one error shape, the built PWA at /."""

from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.middleware.gzip import GZipMiddleware
from sqlalchemy import Engine, text
from starlette.responses import FileResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.auth.router import router as auth_router
from app.campaigns.router import router as campaigns_router
from app.config import get_settings
from app.db import SessionFactory, backend_name, get_engine, session_scope
from app.errors import error_response, install_error_handlers
from app.households.import_router import router as household_import_router
from app.households.importer import MAX_UPLOAD_BYTES
from app.households.router import router as households_router
from app.reports.router import router as reports_router
from app.skills.router import router as skills_router
from app.sync.outbox_router import router as sync_outbox_router
from app.sync.router import router as sync_router
from app.teams.router import router as teams_router
from app.units.router import router as units_router
from app.users.router import router as users_router
from app.visits.router import router as visits_router

UPLOAD_LIMITS = {"/api/v1/households/import/": MAX_UPLOAD_BYTES}


class BodyLimit:
    """Refuse request bodies over the limit before they are read into memory."""

    def __init__(self, app: ASGIApp, max_bytes: int, larger: dict[str, int] | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        # Path prefix → limit, for uploads bigger than any JSON body (household import files).
        self.larger = larger or {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = next((n for p, n in self.larger.items() if scope["path"].startswith(p)), self.max_bytes)
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length")
        if length is not None and length.isdigit() and int(length) > limit:
            await _too_large(scope, receive, send)
            return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise _BodyTooLarge()
            return message

        try:
            await self.app(scope, limited, send)
        except _BodyTooLarge:
            await _too_large(scope, receive, send)


class _BodyTooLarge(Exception):
    pass


async def _too_large(scope: Scope, receive: Receive, send: Send) -> None:
    response = error_response(
        413, "body_too_large", "Dữ liệu gửi lên quá lớn (tối đa 1 MB).", "Request body too large (1 MB max)."
    )
    await response(scope, receive, send)


def health_router() -> APIRouter:
    router = APIRouter(tags=["health"])

    @router.get("/health")
    def health(request: Request) -> dict[str, str]:
        engine: Engine = request.app.state.engine
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return {"status": "ok", "database": backend_name(engine)}

    return router


def api_router() -> APIRouter:
    api = APIRouter(prefix="/api/v1")
    api.include_router(health_router())
    api.include_router(auth_router)
    api.include_router(households_router)
    api.include_router(visits_router)
    api.include_router(sync_router)
    api.include_router(sync_outbox_router)
    api.include_router(reports_router)
    api.include_router(units_router)
    api.include_router(teams_router)
    api.include_router(users_router)
    api.include_router(campaigns_router)
    api.include_router(skills_router)
    api.include_router(household_import_router)
    return api


def mount_frontend(app: FastAPI, dist: Path) -> None:
    """Serve the built PWA: shell files never cached, hashed assets cached for a year."""
    if not (dist / "index.html").exists():

        @app.get("/", include_in_schema=False)
        def no_build() -> Response:
            return Response(
                "<!doctype html><meta charset=utf-8><title>Từng Nhà</title>"
                "<p>Từng Nhà đang chạy. Giao diện chưa được build: <code>make frontend</code>.</p>",
                media_type="text/html",
            )

        return
    app.mount("/assets", StaticFiles(directory=dist / "assets"), name="assets")

    @app.middleware("http")
    async def cache_headers(request: Request, call_next):  # type: ignore[no-untyped-def]
        response = await call_next(request)
        path = request.url.path
        if path.startswith("/assets/"):
            response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        elif not path.startswith("/api/"):
            response.headers["Cache-Control"] = "no-cache"
        return response

    @app.get("/{path:path}", include_in_schema=False)
    def spa(path: str) -> Response:
        if path.startswith("api/"):
            return error_response(404, "not_found", "Không tìm thấy.", "Not found.")
        candidate = (dist / path).resolve()
        if path and candidate.is_file() and dist.resolve() in candidate.parents:
            return FileResponse(candidate)
        return FileResponse(dist / "index.html")


def create_app(*, engine: Engine | None = None, session_factory: SessionFactory | None = None) -> FastAPI:
    settings = get_settings()
    app = FastAPI(title="Từng Nhà", version="1.0.0", openapi_url="/api/v1/openapi.json", docs_url="/api/docs")
    app.state.engine = engine or get_engine()
    app.state.session_factory = session_factory or (lambda: session_scope(app.state.engine))
    install_error_handlers(app)
    app.include_router(api_router())
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["*"],
            allow_headers=["*"],
        )
    app.add_middleware(GZipMiddleware, minimum_size=1000)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes, larger=UPLOAD_LIMITS)
    mount_frontend(app, Path(settings.frontend_dist))
    return app
