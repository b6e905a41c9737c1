"""Every error as RFC 9457 problem details (application/problem+json), with a reason a person
can act on in Vietnamese and English; guard failures list every reason."""

from __future__ import annotations

import logging
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from workflow.errors import (
    Conflict,
    Forbidden,
    GuardFailed,
    NotFound,
    TransitionNotAllowed,
    UnknownEvent,
    VersionConflict,
    WorkflowError,
)

log = logging.getLogger("api")
PROBLEM_JSON = "application/problem+json"

# Vietnamese titles for the statuses the framework itself answers with.
HTTP_TITLES = {
    400: "Yêu cầu không hợp lệ / Bad request",
    401: "Chưa xác thực / Unauthorized",
    403: "Không có thẩm quyền / Forbidden",
    404: "Không tìm thấy / Not found",
    405: "Phương thức không được hỗ trợ / Method not allowed",
    406: "Không có định dạng phù hợp / Not acceptable",
    409: "Xung đột / Conflict",
    412: "Hồ sơ đã thay đổi / Precondition failed",
    413: "Dữ liệu gửi quá lớn / Content too large",
    415: "Định dạng dữ liệu không được hỗ trợ / Unsupported media type",
    422: "Dữ liệu không hợp lệ / Unprocessable content",
    428: "Thiếu If-Match / Precondition required",
    500: "Lỗi hệ thống / Internal server error",
}


# The HTTP status of each workflow error; a subclass answers with its nearest mapped ancestor's.
STATUS_OF_ERROR: dict[type[WorkflowError], int] = {
    WorkflowError: 400,
    NotFound: 404,
    UnknownEvent: 404,
    # Over HTTP the version travels in If-Match: a stale one fails the precondition.
    VersionConflict: 412,
    TransitionNotAllowed: 409,
    Forbidden: 403,
    Conflict: 409,
    GuardFailed: 422,  # and InvalidInput, its subclass
}


def status_of(error: type[WorkflowError]) -> int:
    return next(STATUS_OF_ERROR[c] for c in error.__mro__ if c in STATUS_OF_ERROR)


class ApiProblem(Exception):
    """A problem the API layer itself raises (headers, body size, authentication)."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        title: str | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail)
        self.status, self.detail, self.extra = status, detail, extra
        self.title = title or HTTP_TITLES.get(status, "Lỗi / Error")
        self.headers = headers or {}


def _slug(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "-", name).lower()


def problem(
    status: int,
    title: str,
    detail: str,
    *,
    type_: str = "about:blank",
    instance: str | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body: dict[str, Any] = {"type": type_, "title": title, "status": status, "detail": detail}
    if instance:
        body["instance"] = instance
    body.update({k: v for k, v in extra.items() if v is not None})
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_JSON)


def workflow_problem(request: Request, err: WorkflowError) -> JSONResponse:
    headers = {}
    if isinstance(err, VersionConflict):
        headers["ETag"] = f'"{err.current}"'
    return problem(
        status_of(type(err)),
        err.title,
        err.detail,
        type_=f"/problems/{_slug(type(err).__name__)}",
        instance=request.url.path,
        headers=headers,
        **err.extra,
    )


def _field_path(loc: tuple | list) -> str:
    parts = [str(p) for p in loc]
    return ".".join(parts)


# A body with thousands of unknown fields was a multi-megabyte answer: the first 50 are listed,
# and the count says how many there were.
MAX_LISTED_ERRORS = 50


def validation_problem(request: Request, err: RequestValidationError) -> JSONResponse:
    found = err.errors()
    errors = [
        {
            "field": _field_path(e.get("loc", ())),
            "message": e.get("msg", ""),
            "type": e.get("type", ""),
        }
        for e in found[:MAX_LISTED_ERRORS]
    ]
    reasons = [f"{e['field']}: {e['message']}" for e in errors]
    listed = "check the fields listed"
    if len(found) > len(errors):
        listed += f" (the first {len(errors)} of {len(found)} errors)"
    return problem(
        422,
        "Dữ liệu không hợp lệ / Invalid input",
        f"Kiểm tra các trường được nêu / {listed}: " + "; ".join(reasons),
        type_="/problems/invalid-input",
        instance=request.url.path,
        errors=errors,
        reasons=reasons,
        error_count=len(found),
    )


def http_problem(request: Request, err: StarletteHTTPException) -> JSONResponse:
    detail = err.detail if isinstance(err.detail, str) else str(err.detail)
    if err.status_code == 404 and detail == "Not Found":
        detail = (
            f"Không có đường dẫn {request.url.path} / there is no {request.url.path}; see /docs"
        )
    elif err.status_code == 400 and detail == "There was an error parsing the body":
        detail = (
            "Không đọc được nội dung gửi lên: cần JSON mã hóa UTF-8 / the body cannot be "
            "parsed: send UTF-8 encoded JSON"
        )
    headers = dict(getattr(err, "headers", None) or {})
    if err.status_code == 405:
        allowed = _methods_for(request)
        headers["Allow"] = ", ".join(allowed)
        detail = (
            f"{request.method} không dùng được với {request.url.path}; dùng {', '.join(allowed)} / "
            f"{request.method} is not allowed on {request.url.path}; use {', '.join(allowed)}"
        )
    return problem(
        err.status_code,
        HTTP_TITLES.get(err.status_code, "Lỗi / Error"),
        detail,
        instance=request.url.path,
        headers=headers,
    )


def _methods_for(request: Request) -> list[str]:
    """Every method any route of this path accepts (Starlette names only the first route's)."""
    methods: set[str] = set()
    scope = {**request.scope, "method": "GET"}
    for route in request.app.routes:
        match, _ = route.matches(scope)
        if match is not Match.NONE:
            methods |= set(getattr(route, "methods", None) or ())
    return sorted(methods - {"HEAD"})


def api_problem(request: Request, err: ApiProblem) -> JSONResponse:
    return problem(
        err.status,
        err.title,
        err.detail,
        instance=request.url.path,
        headers=err.headers,
        **err.extra,
    )


def data_problem(request: Request, err: DataError) -> JSONResponse:
    # Inputs are bounded before they reach SQL; this is the net under a bound we missed.
    log.warning("database refused a value on %s %s: %s", request.method, request.url.path, err.orig)
    return problem(
        422,
        "Dữ liệu không hợp lệ / Invalid input",
        "Một giá trị vượt quá giới hạn lưu trữ; không có thay đổi nào được ghi / a value "
        "is out of the range the database can store; nothing was changed",
        type_="/problems/invalid-input",
        instance=request.url.path,
    )


def busy_problem(request: Request, err: OperationalError) -> JSONResponse:
    # The database refused to serve (locked past the busy timeout, connection lost): nothing was
    # written, and the same request may simply be sent again.
    log.warning("database unavailable on %s %s: %s", request.method, request.url.path, err.orig)
    return problem(
        503,
        "Hệ thống đang bận / Service unavailable",
        "Cơ sở dữ liệu tạm thời không phục vụ được; không có thay đổi nào được ghi, hãy "
        "gửi lại sau giây lát / the database is momentarily unavailable; nothing was "
        "changed; send the request again shortly",
        instance=request.url.path,
        headers={"Retry-After": "2"},
    )


def unexpected_problem(request: Request, err: Exception) -> JSONResponse:
    log.error("unexpected error on %s %s", request.method, request.url.path, exc_info=err)
    return problem(
        500,
        HTTP_TITLES[500],
        "Lỗi không mong đợi; không có thay đổi nào được ghi. Báo quản trị kèm mã yêu cầu "
        "/ an unexpected error; nothing was changed. Report it with the request id",
        instance=request.url.path,
        request_id=request.headers.get("x-request-id"),
    )


def install(app: FastAPI) -> None:
    app.add_exception_handler(WorkflowError, workflow_problem)
    app.add_exception_handler(RequestValidationError, validation_problem)
    app.add_exception_handler(StarletteHTTPException, http_problem)
    app.add_exception_handler(ApiProblem, api_problem)
    app.add_exception_handler(DataError, data_problem)
    app.add_exception_handler(OperationalError, busy_problem)
    app.add_exception_handler(Exception, unexpected_problem)
