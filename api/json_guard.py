"""What a JSON body may hold before any route parses it: at most 32 levels of nesting, no lone
UTF-16 surrogate in a string or key, numbers that are finite and integers within int64.

Python's json module recurses per level (a body of 100,000 brackets is a RecursionError), keeps
"\\ud800" as a string that neither UTF-8 nor the database can store, and reads any number of
digits; each of those was a 500 from a small body in a free field (papers, assessment, scores).
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

MAX_DEPTH = 32
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
_MAX_INT_DIGITS = 20  # int64 has 19 digits; a sign makes 20

# A JSON string, escapes included (the unrolled form: no backtracking per character).
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.S)
_NOT_BRACKET = re.compile(rb"[^\[\]{}]+")
_OPEN = frozenset(b"[{")


class _OutOfRange:
    """An integer literal too long to be read at all (Python refuses past 4,300 digits)."""


_TOO_LONG = _OutOfRange()


def _int(literal: str) -> int | _OutOfRange:
    return _TOO_LONG if len(literal) > _MAX_INT_DIGITS else int(literal)


def depth_of(raw: bytes) -> int:
    """How deeply ``raw`` nests arrays and objects (brackets inside strings do not count)."""
    if raw.count(b"[") + raw.count(b"{") <= MAX_DEPTH:
        return 0  # cannot be too deep, whatever the shape
    depth = deepest = 0
    for byte in _NOT_BRACKET.sub(b"", _STRING.sub(b"", raw)):
        if byte in _OPEN:
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > MAX_DEPTH:
                    return deepest
        else:
            depth -= 1
    return deepest


def _has_lone_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _why_not(value: Any) -> tuple[str, str] | None:
    if isinstance(value, str):
        if _has_lone_surrogate(value):
            return "lone_surrogate", (
                "chuỗi chứa nửa cặp thay thế UTF-16 (\\ud800-\\udfff) đứng riêng / the text "
                "holds a lone UTF-16 surrogate escape (\\ud800-\\udfff), which is no character"
            )
    elif isinstance(value, _OutOfRange) or (
        isinstance(value, int)
        and not isinstance(value, bool)
        and not INT64_MIN <= value <= INT64_MAX
    ):
        return "number_out_of_range", (
            "số nguyên vượt quá phạm vi 64 bit / the number is an integer outside the signed "
            "64-bit range"
        )
    elif isinstance(value, float) and not math.isfinite(value):
        return "number_not_finite", (
            "số phải hữu hạn (không NaN, Infinity hay quá 1e308) / the number must be finite "
            "(no NaN, Infinity or beyond 1e308)"
        )
    return None


def _first_problem(document: Any) -> tuple[str, str, str] | None:
    """(field path, error type, message) of the first value the body may not hold, or None."""
    stack: list[tuple[str, Any]] = [("body", document)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, dict):
            for key, item in value.items():
                where = f"{path}.{key}"
                if _has_lone_surrogate(key):
                    kind, message = _why_not(key) or ("", "")
                    return where.encode("utf-8", "backslashreplace").decode(), kind, message
                stack.append((where, item))
        elif isinstance(value, list):
            stack.extend((f"{path}.{i}", item) for i, item in enumerate(value))
        elif (why := _why_not(value)) is not None:
            return path.encode("utf-8", "backslashreplace").decode(), *why
    return None


def refusal(raw: bytes) -> tuple[str, str, str] | None:
    """Why ``raw`` may not reach a route, as (field, error type, message); None when it may (a
    body that is not JSON at all is left to the framework's own 422)."""
    if depth_of(raw) > MAX_DEPTH:
        return (
            "body",
            "json_too_deep",
            (
                f"JSON lồng nhau quá {MAX_DEPTH} cấp / the JSON nests arrays and objects more than "
                f"{MAX_DEPTH} levels deep"
            ),
        )
    try:
        # NaN, Infinity and -Infinity are read as NaN: refused below as not finite.
        document = json.loads(raw, parse_int=_int, parse_constant=lambda _name: math.nan)
    except (ValueError, UnicodeDecodeError):
        return None  # malformed: the framework names the position
    return _first_problem(document)
