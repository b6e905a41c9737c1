"""HTTP preconditions: If-Match carries the version the client read."""

from __future__ import annotations

import re

from api.problems import ApiProblem

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
