"""What every HTTP response carries: security headers, and the one error shape documented in OpenAPI."""

from typing import Any

from pydantic import BaseModel
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# The PWA loads only its own files: no inline or foreign script, no framing, no plugins. Styles may be
# set inline (components set positions and widths through `style`).
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self'",
        "connect-src 'self'",
        "worker-src 'self'",
        "manifest-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
# The interactive API docs load Swagger UI from its CDN with an inline bootstrap script.
DOCS_CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; img-src 'self' data: https://fastapi.tiangolo.com; "
    "object-src 'none'; base-uri 'self'; frame-ancestors 'none'"
)
DOCS_PATHS = ("/api/docs", "/api/redoc")

SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
]


def cache_control(path: str) -> bytes | None:
    """The PWA's hashed assets are kept for a year; its other files are checked at every load (so an
    update reaches phones); the API sets its own."""
    if path.startswith("/assets/"):
        return b"public, max-age=31536000, immutable"
    if not path.startswith("/api/"):
        return b"no-cache"
    return None


class SecurityHeaders:
    """Adds the security headers to every HTTP response, errors and static files included, and the
    PWA files' cache rule. A plain ASGI middleware: every request passes here, phones' pushes first."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        docs = scope["path"].startswith(DOCS_PATHS)
        csp = (DOCS_CONTENT_SECURITY_POLICY if docs else CONTENT_SECURITY_POLICY).encode()
        cache = cache_control(scope["path"])

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = message.get("headers", [])
                if cache is not None:
                    headers = [(k, v) for k, v in headers if k.lower() != b"cache-control"]
                    headers.append((b"cache-control", cache))
                present = {k.lower() for k, _ in headers}
                extra = [(k, v) for k, v in [(b"content-security-policy", csp), *SECURITY_HEADERS] if k not in present]
                message["headers"] = [*headers, *extra]
            await send(message)

        await self.app(scope, receive, with_headers)


# --- the error shape in OpenAPI ----------------------------------------------------------------------


class ErrorBody(BaseModel):
    code: str
    message: str  # Vietnamese
    message_en: str
    details: Any = None


class ErrorOut(BaseModel):
    """Every error of the API: a stable machine code, a Vietnamese and an English message, details."""

    error: ErrorBody


_DESCRIPTIONS = {
    400: "Bad request (malformed JSON, an unsupported client)",
    401: "Not logged in, or the token expired",
    403: "Outside the caller's area or role",
    404: "Not found",
    405: "Method not allowed (the `Allow` header lists the allowed ones)",
    409: "Conflict with the stored data",
    413: "Request body too large",
    422: "Invalid data: `details` lists each field and what is wrong",
    426: "The app is too old for this server",
    429: "Too many requests: retry after `Retry-After` seconds",
    503: "The server is busy: retry after `Retry-After` seconds",
}

ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorOut, "description": text} for status, text in _DESCRIPTIONS.items()
}
