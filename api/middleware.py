"""Plain ASGI middleware: request ids, the body-size ceiling, the JSON guard, request metrics.

Plain ASGI rather than BaseHTTPMiddleware: it can refuse an oversized body while it arrives,
before any of it is parsed.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from typing import Any

from api import json_guard, metrics
from api.problems import HTTP_TITLES, PROBLEM_JSON

MAX_BODY_BYTES = 256 * 1024  # a full self-assessment is about 1 KB; papers are references
# The scope key of the box RouteLabel fills with the matched route's template.
ROUTE_BOX = "antt.route"
# The audit rows' request_id column holds 100 characters: the id is cut once, here, so that the
# answer's header, the logs and the hashed audit row carry the same value.
MAX_REQUEST_ID = 100
_NOT_PRINTABLE_ASCII = re.compile(rb"[^\x20-\x7e]+")
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def request_id(sent: bytes | None) -> str:
    """The request id this server uses for ``sent``: printable ASCII, at most 100 characters;
    a fresh one when nothing printable was sent."""
    kept = _NOT_PRINTABLE_ASCII.sub(b"", sent or b"")[:MAX_REQUEST_ID].decode("ascii")
    return kept or str(uuid.uuid4())


def _problem_bytes(status: int, detail: str, path: str, **extra: Any) -> bytes:
    return json.dumps(
        {
            "type": extra.pop("type", "about:blank"),
            "title": extra.pop("title", HTTP_TITLES[status]),
            "status": status,
            "detail": detail,
            "instance": path,
            **extra,
        },
        ensure_ascii=False,
    ).encode()


def _is_json(headers: dict[bytes, bytes]) -> bool:
    """Whether the framework will read this body as JSON (it does when no type is declared)."""
    declared = headers.get(b"content-type", b"").split(b";", 1)[0].strip().lower()
    return not declared or declared == b"application/json" or declared.endswith(b"+json")


def _guard_refusal(path: str, raw: bytes) -> bytes | None:
    found = json_guard.refusal(raw)
    if found is None:
        return None
    field, kind, message = found
    reason = f"{field}: {message}"
    return _problem_bytes(
        422,
        "Kiểm tra các trường được nêu / check the fields listed: " + reason,
        path,
        type="/problems/invalid-input",
        title="Dữ liệu không hợp lệ / Invalid input",
        errors=[{"field": field, "message": message, "type": kind}],
        reasons=[reason],
        error_count=1,
    )


class ApiMiddleware:
    def __init__(self, app, max_body: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_body = max_body

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        rid = request_id(headers.get(b"x-request-id"))
        # Whatever was sent is replaced by the cut id: routes read it from the headers.
        scope["headers"] = [
            *(h for h in scope.get("headers", []) if h[0] != b"x-request-id"),
            (b"x-request-id", rid.encode()),
        ]
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

        async def refuse(status: int = 413, body: bytes = too_large):
            await send_with_id(
                {
                    "type": "http.response.start",
                    "status": status,
                    "headers": [
                        (b"content-type", PROBLEM_JSON.encode()),
                        (b"content-length", str(len(body)).encode()),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})

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
        raw = b"".join(c.get("body", b"") for c in chunks if c["type"] == "http.request")
        if raw and scope["method"] in _BODY_METHODS and _is_json(headers):
            refused = _guard_refusal(scope.get("path", ""), raw)
            if refused is not None:
                await refuse(422, refused)
                return
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
