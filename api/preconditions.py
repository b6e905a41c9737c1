"""HTTP preconditions and retries: If-Match carries the version, Idempotency-Key a retry."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from typing import Any

from fastapi.responses import JSONResponse

from api.problems import ApiProblem
from workflow import idempotency
from workflow.actors import Actor
from workflow.db import joined, write_transaction

_ETAG = re.compile(r'^\s*(?:W/)?"?(\d{1,18})"?\s*$')


def version_from_if_match(if_match: str | None) -> int:
    if if_match is None or not if_match.strip():
        raise ApiProblem(
            428,
            'Cần tiêu đề If-Match với phiên bản hồ sơ bạn đã đọc, ví dụ If-Match: "3" '
            '/ send If-Match with the version you read (the ETag), e.g. If-Match: "3"',
        )
    found = _ETAG.match(if_match)
    if found is None:
        raise ApiProblem(
            400,
            f'If-Match "{if_match[:60]}" không hợp lệ; gửi đúng ETag đã nhận, ví dụ '
            f'"3" / If-Match must be the ETag you received, e.g. "3"',
        )
    return int(found.group(1))


def fingerprint(method: str, path: str, if_match: str | None, body: Any) -> str:
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256("\0".join((method, path, if_match or "", text)).encode()).hexdigest()


def respond(
    status: int, body: Any, etag: str | None, location: str | None, replayed: bool = False
) -> JSONResponse:
    headers = {}
    if etag:
        headers["ETag"] = etag
    if location:
        headers["Location"] = location
    if replayed:
        headers["Idempotent-Replayed"] = "true"
    return JSONResponse(body, status_code=status, headers=headers)


def once(
    actor: Actor,
    key: str | None,
    fp: str,
    change: Callable[[], tuple[int, Any, str | None, str | None]],
) -> JSONResponse:
    """Run ``change`` directly, or once per Idempotency-Key (a retry gets the first response)."""
    if key is None:
        with write_transaction() as conn, joined(conn):
            return respond(*change())
    if actor.id is None:  # pragma: no cover - API actors always come from the user table
        raise ApiProblem(400, "Idempotency-Key needs a stored user")
    stored = idempotency.run(actor.id, key, fp, change)
    return respond(stored.status, stored.body, stored.etag, stored.location, stored.replayed)
