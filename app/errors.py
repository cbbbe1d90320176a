"""One error shape for the whole API: {"error": {"code", "message", "details"}}."""

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import exc as sa_exc
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

# A stalled database (lock or statement timeout, SQLite busy, no free connection) is temporary: the phone
# retries a 503 with backoff. PostgreSQL's SQLSTATEs: 55P03 lock_not_available, 57014 query_canceled,
# 25P03 idle_in_transaction_session_timeout, 40P01 deadlock_detected, 40001 serialization_failure.
_TEMPORARY_SQLSTATES = {"55P03", "57014", "25P03", "40P01", "40001"}
RETRY_AFTER_SECONDS = "5"


def is_temporary_db_error(exc: BaseException) -> bool:
    if isinstance(exc, sa_exc.TimeoutError):
        return True
    if not isinstance(exc, sa_exc.DBAPIError):
        return False
    orig = exc.orig
    if getattr(orig, "sqlstate", None) in _TEMPORARY_SQLSTATES:
        return True
    return "database is locked" in str(orig) or "database is busy" in str(orig)


class AppError(Exception):
    status_code = 400
    code = "bad_request"
    message_vi = "Yêu cầu không hợp lệ."
    message_en = "Bad request."

    def __init__(
        self,
        message_vi: str | None = None,
        message_en: str | None = None,
        *,
        details: Any = None,
        code: str | None = None,
        status_code: int | None = None,
    ) -> None:
        self.message_vi = message_vi or self.message_vi
        self.message_en = message_en or self.message_en
        self.details = details
        if code:
            self.code = code
        if status_code:
            self.status_code = status_code
        super().__init__(self.message_en)

    @property
    def message(self) -> str:
        return f"{self.message_vi} ({self.message_en})"

    def body(self) -> dict[str, Any]:
        return {
            "error": {
                "code": self.code,
                "message": self.message_vi,
                "message_en": self.message_en,
                "details": self.details,
            }
        }


class NotFound(AppError):
    status_code = 404
    code = "not_found"
    message_vi = "Không tìm thấy."
    message_en = "Not found."


class OutsideYourArea(AppError):
    status_code = 403
    code = "outside_your_area"
    message_vi = "Dữ liệu này nằm ngoài địa bàn của bạn."
    message_en = "This is outside your area."


class Forbidden(AppError):
    status_code = 403
    code = "forbidden"
    message_vi = "Bạn không có quyền thực hiện thao tác này."
    message_en = "You are not allowed to do this."


class Unauthorized(AppError):
    status_code = 401
    code = "not_authenticated"
    message_vi = "Vui lòng đăng nhập."
    message_en = "Please log in."


class Conflict(AppError):
    status_code = 409
    code = "conflict"
    message_vi = "Dữ liệu xung đột."
    message_en = "Conflict."


class Invalid(AppError):
    status_code = 422
    code = "invalid"
    message_vi = "Dữ liệu không hợp lệ."
    message_en = "Invalid data."


def error_response(status: int, code: str, message_vi: str, message_en: str, details: Any = None) -> JSONResponse:
    return JSONResponse(
        status_code=status,
        content={"error": {"code": code, "message": message_vi, "message_en": message_en, "details": details}},
    )


_HTTP_CODES = {
    400: ("bad_request", "Yêu cầu không hợp lệ.", "Bad request."),
    401: ("not_authenticated", "Vui lòng đăng nhập.", "Please log in."),
    403: ("forbidden", "Bạn không có quyền thực hiện thao tác này.", "Forbidden."),
    404: ("not_found", "Không tìm thấy.", "Not found."),
    405: ("method_not_allowed", "Phương thức không được hỗ trợ.", "Method not allowed."),
    413: ("body_too_large", "Dữ liệu gửi lên quá lớn (tối đa 1 MB).", "Request body too large (1 MB max)."),
}


def _validation_details(exc: RequestValidationError) -> list[dict[str, Any]]:
    out = []
    for err in exc.errors():
        out.append(
            {"loc": [str(p) for p in err.get("loc", ())], "msg": err.get("msg", ""), "type": err.get("type", "")}
        )
    return out


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AppError)
    async def _app_error(_: Request, exc: AppError) -> JSONResponse:
        headers = getattr(exc, "headers", None)
        return JSONResponse(status_code=exc.status_code, content=exc.body(), headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        details = _validation_details(exc)
        if any(d["type"] == "json_invalid" for d in details):
            return error_response(
                400, "malformed_json", "Dữ liệu JSON không đúng định dạng.", "Malformed JSON.", details
            )
        return error_response(422, "invalid", "Dữ liệu không hợp lệ.", "Invalid data.", details)

    @app.exception_handler(sa_exc.DBAPIError)
    @app.exception_handler(sa_exc.TimeoutError)
    async def _database(_: Request, exc: Exception) -> JSONResponse:
        if not is_temporary_db_error(exc):
            raise exc
        response = error_response(
            503,
            "database_busy",
            "Máy chủ đang bận. Dữ liệu vẫn an toàn trên máy, ứng dụng sẽ tự gửi lại sau ít giây.",
            "The server is busy. Your data is safe on the phone and will be sent again shortly.",
        )
        response.headers["Retry-After"] = RETRY_AFTER_SECONDS
        return response

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code, vi, en = _HTTP_CODES.get(exc.status_code, ("error", "Có lỗi xảy ra.", str(exc.detail)))
        response = error_response(exc.status_code, code, vi, en)
        response.headers.update(exc.headers or {})
        if exc.status_code == 405:
            response.headers["Allow"] = ", ".join(allowed_methods(request))
        return response


METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


def allowed_methods(request: Request) -> list[str]:
    """Every method some route answers at this path (a path can be served by several routes, one per
    method); the PWA's catch-all page counts only outside the API."""
    api = request.url.path.startswith("/api/")
    allowed = []
    for method in METHODS:
        scope = {**request.scope, "method": method}
        for route in request.app.router.routes:
            if api and getattr(route, "path", "") == "/{path:path}":
                continue
            if route.matches(scope)[0] == Match.FULL:
                allowed.append(method)
                break
    return allowed
