"""No secret in a log line: query strings of sign-in callbacks (authorization codes, state) and
anything shaped like a bearer token are cut before a record is written."""

from __future__ import annotations

import logging
import re

_QUERY = re.compile(r"(/auth/oidc/[^\s?\"]*)\?[^\s\"]*")
_BEARER = re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+")
# A provider's redirect (a Location header in httpcore's trace) carries the code in its query.
_PARAM = re.compile(r"(?i)([?&](?:code|access_token|id_token|refresh_token|token)=)[^&\s\"']+")
# Filters run only on the logger a record is made on, not on its parents: name each one.
LOGGERS = (
    "uvicorn.access",
    "uvicorn.error",
    "httpx",
    "httpcore.connection",
    "httpcore.http11",
    "httpcore.http2",
    "httpcore.proxy",
    "api",
    "api.session",
)


def _clean(text: str) -> str:
    text = _QUERY.sub(r"\1?[redacted]", text)
    return _PARAM.sub(r"\1[redacted]", _BEARER.sub(r"\1[redacted]", text))


class RedactSecrets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        # Formatted first: arguments may be URL objects (httpx), not strings.
        message = record.getMessage()
        cleaned = _clean(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True


def install() -> None:
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactSecrets) for f in logger.filters):
            logger.addFilter(RedactSecrets())
