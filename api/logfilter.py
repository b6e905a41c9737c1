"""No secret in a log line: query strings of sign-in callbacks (authorization codes, state) and
anything shaped like a bearer token are cut before a record is written."""

from __future__ import annotations

import logging
import re

_QUERY = re.compile(r"(/auth/oidc/[^\s?\"]*)\?[^\s\"]*")
_BEARER = re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+")


def _clean(value):
    if isinstance(value, str):
        return _BEARER.sub(r"\1[redacted]", _QUERY.sub(r"\1?[redacted]", value))
    return value


class RedactSecrets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(_clean(a) for a in record.args)
        record.msg = _clean(record.msg)
        return True


def install() -> None:
    for name in ("uvicorn.access", "uvicorn.error", "httpx", "httpcore", "api"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactSecrets) for f in logger.filters):
            logger.addFilter(RedactSecrets())
