"""create_app(): routers, the one error shape, the built PWA at /."""

import asyncio
import functools
import gc
import logging
import threading
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
from fastapi import APIRouter, FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.middleware.gzip import GZipMiddleware
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.auth.router import router as auth_router
from app.campaigns.router import router as campaigns_router
from app.config import get_settings, require_secret_key
from app.db import SessionFactory, backend_name, get_server_engine, session_scope
from app.errors import error_response, install_error_handlers
from app.households.import_router import router as household_import_router
from app.households.importer import MAX_UPLOAD_BYTES
from app.households.router import router as households_router
from app.http_edge import ERROR_RESPONSES, SecurityHeaders
from app.privacy.router import router as privacy_router
from app.reports.router import router as reports_router
from app.routing import OneHopRoute
from app.skills.router import router as skills_router
from app.sync.admission import PushAdmission
from app.sync.groups import PushGroups
from app.sync.outbox_router import router as sync_outbox_router
from app.sync.router import router as sync_router
from app.sync.router import write_pushes
from app.teams.router import router as teams_router
from app.units.assignments_router import router as conversion_router
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


class _BodyTooLarge(StarletteHTTPException):
    """Raised while the body is read: an HTTP error, so FastAPI answers 413 instead of wrapping it as an
    unreadable body (400), also for a chunked body that announced no length."""

    def __init__(self) -> None:
        super().__init__(413)


async def _too_large(scope: Scope, receive: Receive, send: Send) -> None:
    response = error_response(
        413, "body_too_large", "Dữ liệu gửi lên quá lớn (tối đa 1 MB).", "Request body too large (1 MB max)."
    )
    await response(scope, receive, send)


READY_TIMEOUT_SECONDS = 2.0
# The readiness probe's own threads (two per event loop): a stalled database never takes the request
# threads with it, and probes sent in a burst never take more than two.
_ready_threads: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, anyio.CapacityLimiter]" = (
    weakref.WeakKeyDictionary()
)


def _ready_limiter() -> anyio.CapacityLimiter:
    loop = asyncio.get_running_loop()
    if loop not in _ready_threads:
        _ready_threads[loop] = anyio.CapacityLimiter(2)
    return _ready_threads[loop]


def _ping(engine: Engine) -> None:
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))


def health_router() -> APIRouter:
    router = APIRouter(tags=["health"], route_class=OneHopRoute)

    @router.get("/health")
    async def health(request: Request) -> dict[str, str]:
        """Liveness: answered on the event loop, without a thread or the database, so it tells the truth
        about the process even when every worker thread is busy."""
        return {"status": "ok", "database": backend_name(request.app.state.engine)}

    @router.get("/health/ready", responses={503: {"description": "The database does not answer in time."}})
    async def ready(request: Request) -> Response:
        """Readiness: the database answers `SELECT 1` within two seconds."""
        engine: Engine = request.app.state.engine
        try:
            with anyio.fail_after(READY_TIMEOUT_SECONDS):
                await anyio.to_thread.run_sync(_ping, engine, limiter=_ready_limiter(), abandon_on_cancel=True)
        except (TimeoutError, OSError, DBAPIError):
            return error_response(
                503, "database_unavailable", "Cơ sở dữ liệu không trả lời.", "The database does not answer."
            )
        return JSONResponse({"status": "ready", "database": backend_name(engine)})

    return router


def api_router() -> APIRouter:
    api = APIRouter(prefix="/api/v1", responses=ERROR_RESPONSES)
    api.include_router(health_router())
    api.include_router(auth_router)
    api.include_router(households_router)
    api.include_router(visits_router)
    api.include_router(sync_router)
    api.include_router(sync_outbox_router)
    api.include_router(reports_router)
    api.include_router(units_router)
    api.include_router(conversion_router)
    api.include_router(teams_router)
    api.include_router(users_router)
    api.include_router(campaigns_router)
    api.include_router(skills_router)
    api.include_router(household_import_router)
    api.include_router(privacy_router)
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

    @app.get("/{path:path}", include_in_schema=False)
    def spa(path: str) -> Response:
        if path.startswith("api/"):
            return error_response(404, "not_found", "Không tìm thấy.", "Not found.")
        candidate = (dist / path).resolve()
        if path and candidate.is_file() and dist.resolve() in candidate.parents:
            return FileResponse(candidate)
        return FileResponse(dist / "index.html")


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    # Sync routes run in anyio's default thread pool; its size is a setting (the load test shrinks it).
    anyio.to_thread.current_default_thread_limiter().total_tokens = get_settings().worker_threads
    _freeze_loaded_objects()
    threading.Thread(target=warn_without_autovacuum, args=(app.state.engine,), daemon=True).start()
    yield


def warn_without_autovacuum(engine: Engine) -> bool:
    """Tell the operator of a PostgreSQL running without autovacuum (README, "Running on PostgreSQL"):
    a connection's foreign-key checks planned while `visit` was small then read the whole table on
    every push, for good. Off the event loop; a database that does not answer is the readiness
    check's to report. True when it warned."""
    if engine.dialect.name != "postgresql":
        return False
    try:
        with engine.connect() as conn:
            setting = conn.execute(text("SHOW autovacuum")).scalar()
    except DBAPIError:
        return False
    if setting != "off":
        return False
    logging.getLogger("tungnha").warning(
        "PostgreSQL runs with autovacuum off: analyze the database (ANALYZE) as its tables grow, or"
        " turn autovacuum on; otherwise pushes slow down as the visits pile up."
    )
    return True


@functools.cache
def _freeze_loaded_objects() -> None:
    """What is loaded at startup (modules, routes, schemas, table metadata) lives as long as the
    process: frozen out of the collector's sight, the full collections that a big pull's allocations
    set off walk only the objects made since (one cost ~50 ms of a 500-household first pull). Once
    per process."""
    gc.collect()
    gc.freeze()


def create_app(*, engine: Engine | None = None, session_factory: SessionFactory | None = None) -> FastAPI:
    settings = get_settings()
    require_secret_key(settings)
    app = FastAPI(
        title="Từng Nhà",
        version="1.0.0",
        openapi_url="/api/v1/openapi.json",
        docs_url="/api/docs",
        lifespan=lifespan,
    )
    app.state.engine = engine or get_server_engine()
    app.state.push_admission = PushAdmission(concurrency=settings.push_concurrency)
    app.state.session_factory = session_factory or (lambda: session_scope(app.state.engine))
    app.state.push_groups = PushGroups(write_pushes(app.state.session_factory), writers=settings.push_writers)
    install_error_handlers(app)
    app.include_router(api_router())
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["*"],
            allow_headers=["*"],
        )
    # Level 6: nearly the size of 9 for JSON at half the time, which is spent on the event loop.
    app.add_middleware(GZipMiddleware, minimum_size=1000, compresslevel=6)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes, larger=UPLOAD_LIMITS)
    app.add_middleware(SecurityHeaders)
    mount_frontend(app, Path(settings.frontend_dist))
    return app
