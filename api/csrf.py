"""CSRF protection for cookie-authenticated requests: asgi-csrf's double-submit cookie.

Skipped when the request has no session cookie (nothing a forged request could ride on, so the
token sign-in itself works) or names its credentials in an Authorization header (a browser
cannot add one cross-site): bearer-token API clients never see it.
"""

from __future__ import annotations

import json

from asgi_csrf import asgi_csrf

from api.problems import PROBLEM_JSON
from workflow.settings import Settings


def _cookie_names(scope) -> set[str]:
    for key, value in scope.get("headers") or []:
        if key == b"cookie":
            return {p.split("=", 1)[0].strip() for p in value.decode("latin-1").split(";")}
    return set()


def install(app, settings: Settings, secret: str) -> None:
    session_cookie = settings.session_cookie_name

    def skip(scope) -> bool:
        if any(k == b"authorization" for k, _ in scope.get("headers") or []):
            return True
        return session_cookie not in _cookie_names(scope)

    async def refused(scope, send, message_id) -> None:
        body = json.dumps(
            {
                "type": "/problems/csrf",
                "title": "Thiếu mã chống giả mạo / CSRF token missing",
                "status": 403,
                "detail": "Yêu cầu thay đổi dữ liệu bằng phiên đăng nhập cần mã csrftoken (trường "
                "csrftoken hoặc tiêu đề X-CSRFToken, lấy từ GET /api/v1/session) / a change made "
                "with the session cookie needs the CSRF token (form field csrftoken or header "
                "X-CSRFToken, from GET /api/v1/session)",
                "instance": scope.get("path", ""),
            },
            ensure_ascii=False,
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 403,
                "headers": [(b"content-type", PROBLEM_JSON.encode())],
            }
        )
        await send({"type": "http.response.body", "body": body})

    app.add_middleware(
        asgi_csrf,
        signing_secret=secret,
        skip_if_scope=skip,
        cookie_secure=bool(settings.cookie_secure),
        send_csrf_failed=refused,
    )
