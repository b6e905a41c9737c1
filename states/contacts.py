"""A user's email address and Vietnamese phone number: checked and normalised, pure."""

from __future__ import annotations

import re

# A pragmatic address check (one @, a dotted domain, no spaces): the mail server is the judge.
_EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$"
)
# Vietnamese mobile (03x, 05x, 07x, 08x, 09x) and fixed lines (02x), ten digits after the 0.
_PHONE = re.compile(r"^0[2-9]\d{8}$")


def normalise_email(value: str) -> str:
    """The address, trimmed and lower-cased (so that one address names one person whatever its
    case); ValueError with the reason when not one."""
    text = value.strip()
    if len(text) > 254 or not _EMAIL.match(text) or ".." in text:
        raise ValueError(
            f"email: '{value}' không phải địa chỉ thư hợp lệ / is not a valid email address "
            "(e.g. ten@congan.gov.vn)"
        )
    return text.lower()


def normalise_phone(value: str) -> str:
    """The number as 0XXXXXXXXX (+84 / 84 prefixes and spaces, dots, dashes removed);
    ValueError with the reason when it is not a Vietnamese number."""
    text = re.sub(r"[\s.\-()]", "", value)
    if text.startswith("+84"):
        text = "0" + text[3:]
    elif text.startswith("84") and len(text) == 11:
        text = "0" + text[2:]
    if not _PHONE.match(text):
        raise ValueError(
            f"phone: '{value}' không phải số điện thoại Việt Nam / is not a Vietnamese phone "
            "number (e.g. 0912345678 or +84912345678)"
        )
    return text
