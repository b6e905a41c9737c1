"""The one-call converters for UTC times on SQLite write and read exactly what SQLAlchemy's and
SQLModel's own chain writes and reads: same stored text, same value back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel.sql.sqltypes import UTCDateTime

from workflow import prepared

SQLITE = sqlite.dialect()
TYPE = UTCDateTime()
GENERIC_BIND = TYPE.dialect_impl(SQLITE).bind_processor(SQLITE)
GENERIC_RESULT = TYPE.dialect_impl(SQLITE).result_processor(SQLITE, None)
FAST_BIND = prepared.bind_processor(TYPE, SQLITE)
FAST_RESULT = prepared.result_processor(TYPE, SQLITE, None)

offsets = st.integers(min_value=-14 * 60, max_value=14 * 60).map(
    lambda m: timezone(timedelta(minutes=m))
)
aware = st.datetimes(
    min_value=datetime(1900, 1, 2), max_value=datetime(2200, 1, 1), timezones=offsets
)


def test_the_fast_converters_are_the_ones_used_on_sqlite_only():
    assert FAST_BIND is prepared._sqlite_utc_text and FAST_RESULT is prepared._sqlite_utc_time
    assert prepared.bind_processor(TYPE, postgresql.dialect()) is not prepared._sqlite_utc_text


@given(aware)
def test_same_text_written(moment):
    assert FAST_BIND(moment) == GENERIC_BIND(moment)


@given(aware)
def test_same_time_read_back(moment):
    text = GENERIC_BIND(moment)
    assert FAST_RESULT(text) == GENERIC_RESULT(text) == moment
    assert FAST_RESULT(text).tzinfo is UTC


def test_none_and_naive_times_are_handled_as_sqlmodel_does():
    assert FAST_BIND(None) is None and FAST_RESULT(None) is None
    with pytest.raises(ValueError):
        GENERIC_BIND(datetime(2026, 1, 1))
    with pytest.raises(ValueError):
        FAST_BIND(datetime(2026, 1, 1))


@pytest.mark.parametrize(
    "dialect", [SQLITE, postgresql.psycopg.dialect()], ids=["sqlite", "postgres"]
)
def test_every_column_reads_null_as_none_so_rows_may_skip_the_call(dialect):
    """Prepared rows leave a NULL as None without calling the column's processor."""
    from sqlmodel import SQLModel

    import workflow.models  # noqa: F401  (the tables)

    checked = 0
    for table in SQLModel.metadata.tables.values():
        for column in table.columns:
            # The driver's type code, as a cursor describes the column (Postgres float8: 701).
            code = (
                701 if dialect.name == "postgresql" and column.type.python_type is float else None
            )
            process = prepared.result_processor(column.type, dialect, code)
            if process is not None:
                assert process(None) is None, f"{table.name}.{column.name}"
                checked += 1
    assert checked >= 10


def test_equal_looking_local_times_an_hour_apart_are_written_apart():
    """The remembered texts are keyed on UTC times: 01:30 twice on the night New York's clocks
    go back compares equal as local times but is two instants."""
    from zoneinfo import ZoneInfo

    first = datetime(2026, 11, 1, 1, 30, tzinfo=ZoneInfo("America/New_York"))
    second = first.replace(fold=1)
    assert first == second  # as Python compares times of one zone
    assert FAST_BIND(first) == GENERIC_BIND(first) == "2026-11-01 05:30:00.000000"
    assert FAST_BIND(second) == GENERIC_BIND(second) == "2026-11-01 06:30:00.000000"


def _json_processors():
    from sqlalchemy import JSON

    from workflow.db import make_engine

    dialect = make_engine("sqlite://").dialect  # with the engine's JSON parser, as every engine is
    impl = JSON().dialect_impl(dialect)
    return impl.result_processor(dialect, None), prepared.result_processor(JSON(), dialect, None)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.text()
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


@given(json_values)
def test_json_columns_read_back_as_sqlalchemy_reads_them(value):
    import json

    generic, fast = _json_processors()
    assert fast.__qualname__ == "_sqlite_json.<locals>.process"
    text = json.dumps(value)
    assert fast(text) == generic(text) == value


@pytest.mark.parametrize("stored", [None, 7, 2.5])
def test_json_values_sqlite_stored_as_numbers_or_null_read_as_before(stored):
    """A JSON column has numeric affinity in SQLite: the text '7' is stored as the integer 7."""
    generic, fast = _json_processors()
    assert fast(stored) == generic(stored)


def test_a_dialect_with_another_json_parser_keeps_sqlalchemys_processor():
    from sqlalchemy import JSON

    dialect = SQLITE  # no json_deserializer: SQLAlchemy's default
    assert (
        prepared.result_processor(JSON(), dialect, None).__qualname__
        != "_sqlite_json.<locals>.process"
    )
