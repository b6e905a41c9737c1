"""orjson writes what the standard library wrote: the same bytes for the audit fields that are
hashed (so every trail written before still verifies), the same values for everything else, and
the standard library's path for what orjson refuses."""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workflow import audit, jsontext


def stdlib_canonical(value):
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


# Text as JSON carries it: any code point but a lone surrogate, which neither encoder writes.
text = st.text(st.characters(exclude_categories=("Cs",)))
ints = st.integers(min_value=-(2**63), max_value=2**64 - 1)
scalars = st.none() | st.booleans() | ints | text
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4),
    max_leaves=20,
)


@given(values)
def test_canonical_is_the_standard_librarys_text_for_values_without_floats(value):
    assert jsontext.canonical(value) == stdlib_canonical(value)
    assert jsontext.canonical_utf8(value) == stdlib_canonical(value).encode()


@given(
    st.recursive(
        scalars | st.floats(allow_nan=False, allow_infinity=False),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4),
        max_leaves=20,
    )
)
def test_floats_come_back_as_the_same_values(value):
    assert json.loads(jsontext.canonical(value)) == value
    assert jsontext.loads(jsontext.dumps(value)) == value


hashed_fields = st.fixed_dictionaries(
    {
        "dossier_id": ints,
        "seq": ints,
        "event": text,
        "from_state": st.none() | text,
        "to_state": st.none() | text,
        "version": ints,
        "actor_id": st.none() | ints,
        "actor_name": text,
        "role": text,
        "payload": text,
        "reason": st.none() | text,
        "at": st.datetimes(timezones=st.just(UTC)),
        "request_id": st.none() | text,
        "rule_set_id": ints,
    }
)


@given(st.text(alphabet="0123456789abcdef", min_size=64, max_size=64), hashed_fields)
def test_a_row_hashes_to_what_the_standard_librarys_encoding_gave(prev, row):
    fields = {k: row[k] for k in sorted(audit.HASHED_FIELDS)}
    fields["at"] = row["at"].isoformat(timespec="microseconds")
    before = hashlib.sha256((prev + stdlib_canonical(fields)).encode()).hexdigest()
    assert audit.row_hash(prev, row) == before


@dataclass
class Paper:
    ref: str


def test_what_json_has_no_value_for_is_written_as_its_str_as_before():
    value = {
        "on": date(2026, 11, 12),
        "at": datetime(2026, 11, 12, 3, 4, 5, tzinfo=UTC),
        "paper": Paper("01/TT"),
        "ids": {3, 4},
    }
    assert jsontext.canonical(value) == stdlib_canonical(value)
    assert jsontext.dumps(value) == json.dumps(
        value, separators=(",", ":"), ensure_ascii=False, default=str
    )


def test_what_orjson_refuses_takes_the_standard_librarys_path():
    huge = {"n": 2**70, "k": "ä"}
    assert jsontext.canonical(huge) == stdlib_canonical(huge)
    assert jsontext.dumps({1: "a"}) == '{"1":"a"}'
    assert jsontext.loads('{"score": NaN, "n": 1180591620717411303424}')["n"] == 2**70
    assert math.isnan(jsontext.loads('{"score": NaN}')["score"])


def test_a_non_finite_float_is_written_as_null_as_the_api_writes_it():
    assert jsontext.canonical({"x": float("nan"), "y": float("inf")}) == '{"x":null,"y":null}'


def test_text_that_is_not_json_is_still_refused():
    with pytest.raises(ValueError):
        jsontext.loads("{not json")


@given(
    st.text(alphabet="0123456789abcdef", min_size=64, max_size=64),
    hashed_fields,
    st.dictionaries(text, scalars, max_size=4),
)
def test_a_recorded_row_carries_the_hash_verify_will_compute(prev, row, payload):
    fields = {k: v for k, v in row.items() if k != "payload"}
    recorded, digest = audit.record(prev_hash=prev, payload=payload, **fields)
    assert recorded["hash"] == digest == audit.row_hash(prev, recorded)
    assert recorded["prev_hash"] == prev and recorded["at"] == row["at"]
