"""JSON text for what the engine stores and hashes: orjson's encoder and parser, which write and
read the same values as the standard library's in a fifth of the time (a self-assessment payload:
13 µs to 2 µs; docs/BENCHMARKS.md).

Values orjson refuses (integers beyond 64 bits, keys that are not strings, text the standard
library still reads such as ``NaN``) take the standard library's path, so nothing that was
written or read before is refused now. What JSON has no value for is written as before: a
date or time as its ``str()``. A non-finite float is written as ``null``, as the API's own
models (pydantic) already write it.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

# Dates, times and dataclasses go to ``default=str`` as the standard library's encoder sent them.
_PASSTHROUGH = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
_SORTED = _PASSTHROUGH | orjson.OPT_SORT_KEYS


def canonical(value: Any) -> str:
    """Sorted keys, no spaces, text not escaped: one text for one value (the audit payload)."""
    try:
        return orjson.dumps(value, default=str, option=_SORTED).decode()
    except orjson.JSONEncodeError:
        return json.dumps(
            value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
        )


def canonical_utf8(value: Any) -> bytes:
    """``canonical(value)`` as UTF-8 bytes, without the round trip through ``str``."""
    try:
        return orjson.dumps(value, default=str, option=_SORTED)
    except orjson.JSONEncodeError:
        return canonical(value).encode()


def dumps(value: Any) -> str:
    """Keys in the order given (the JSON columns of a dossier)."""
    try:
        return orjson.dumps(value, default=str, option=_PASSTHROUGH).decode()
    except orjson.JSONEncodeError:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)


def loads(text: str | bytes) -> Any:
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)
