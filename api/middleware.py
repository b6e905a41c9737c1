"""Plain ASGI middleware: request ids, the body-size ceiling, request metrics.

Plain ASGI rather than BaseHTTPMiddleware: it can refuse an oversized body while it arrives,
before any of it is parsed.
"""

from __future__ import annotations

import json
import time
import uuid

from api import metrics
from api.problems import HTTP_TITLES, PROBLEM_JSON

MAX_BODY_BYTES = 256 * 1024  # a full self-assessment is about 1 KB; papers are references
# The scope key of the box RouteLabel fills with the matched route's template.
ROUTE_BOX = "antt.route"


def _problem_bytes(status: int, detail: str, path: str) -> bytes:
    return json.dumps(
        {
            "type": "about:blank",
            "title": HTTP_TITLES[status],
            "status": status,
            "detail": detail,
            "instance": path,
        },
        ensure_ascii=False,
    ).encode()


class ApiMiddleware:
    def __init__(self, app, max_body: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_body = max_body

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        rid = headers.get(b"x-request-id", b"").decode("latin-1")[:100] or str(uuid.uuid4())
        if b"x-request-id" not in headers:
            scope["headers"] = [*scope.get("headers", []), (b"x-request-id", rid.encode())]
        started = time.perf_counter()
        status_seen = {"code": 500}
        # Middleware between here and the router (asgi_csrf) hands on a copy of the scope, so
        # the router's scope["route"] never reaches this one; the box is shared by the copies.
        route_box: dict[str, str] = {}
        scope[ROUTE_BOX] = route_box
        too_large = _problem_bytes(
            413,
            f"Dữ liệu gửi quá {self.max_body // 1024} KB / the body "
            f"exceeds {self.max_body // 1024} KB",
            scope.get("path", ""),
        )

        async def send_with_id(message):
            if message["type"] == "http.response.start":
                status_seen["code"] = message["status"]
                message.setdefault("headers", [])
                # Server-Timing: the time the app took up to its answer's first byte, read by
                # browsers' developer tools and by `dossier bench pages`.
                took = f"app;dur={(time.perf_counter() - started) * 1000:.2f}".encode()
                message["headers"] = [
                    *message["headers"],
                    (b"x-request-id", rid.encode()),
                    (b"server-timing", took),
                ]
            await send(message)

        async def refuse():
            await send_with_id(
                {
                    "type": "http.response.start",
                    "status": 413,
                    "headers": [
                        (b"content-type", PROBLEM_JSON.encode()),
                        (b"content-length", str(len(too_large)).encode()),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": too_large})

        declared = headers.get(b"content-length")
        try:
            if declared is not None and int(declared) > self.max_body:
                await refuse()
                return
        except ValueError:
            pass
        # Read the body first (it is small by contract) so that an oversized one is refused
        # before any route sees it, whether or not Content-Length was declared.
        chunks, received, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                chunks.append(message)
                break
            received += len(message.get("body", b""))
            if received > self.max_body:
                await refuse()
                return
            chunks.append(message)
            more = message.get("more_body", False)
        replay = iter(chunks)

        async def replay_receive():
            return next(replay, None) or await receive()

        try:
            await self.app(scope, replay_receive, send_with_id)
        finally:
            name = route_box.get("path") or "unmatched"
            metrics.REQUESTS.labels(scope["method"], name, str(status_seen["code"])).inc()
            metrics.LATENCY.labels(scope["method"], name).observe(time.perf_counter() - started)


class RouteLabel:
    """Innermost: after the router has matched, puts the route's template (``/api/v1/dossiers/
    {dossier_id}``, never the id) in the box ApiMiddleware reads for its metrics labels."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send):
        try:
            await self.app(scope, receive, send)
        finally:
            box = scope.get(ROUTE_BOX)
            path = getattr(scope.get("route"), "path", None)
            if box is not None and path:
                box["path"] = path
