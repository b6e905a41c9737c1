"""Hot statements, compiled once per dialect and run on the DBAPI cursor of the caller's
SQLAlchemy connection (inside its transaction, if it has one).

SQLAlchemy's per-execute machinery (execution context, compiled-cache lookup, events, result
wrapping) costs several times what SQLite needs to run the statement itself (see
docs/BENCHMARKS.md). The few statements every ``fire`` runs skip it; they keep SQLAlchemy's
SQL, dialect and type handling, taken through the public ``dialect_impl`` processors, so the
values written and read are exactly those the ORM path would write and read.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from operator import itemgetter
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import JSON, Column, Connection
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.types import TypeEngine
from sqlmodel.sql.sqltypes import UTCDateTime

from workflow import jsontext

_REQUIRED = object()


def _sqlite_utc_text(value: datetime | None) -> str | None:
    """An aware time as SQLite's stored text of it in UTC: what SQLModel's UTCDateTime and
    SQLAlchemy's SQLite DATETIME write together ('2026-03-02 02:00:00.000000'), in one call."""
    if value is None:
        return None
    if value.tzinfo is not UTC:
        if value.utcoffset() is None:
            raise ValueError("Datetime values must have timezone information")
        value = value.astimezone(UTC)
    return utc_text(value)


# One fire writes the same instant three times (updated_at, step_opened_at, the audit row's at)
# and most steps share a deadline, so recent texts are remembered. Keyed on UTC times only:
# equal UTC times are the same instant (in a zone with daylight saving, two equal-looking local
# times can be an hour apart).
@lru_cache(maxsize=4096)
def utc_text(value: datetime) -> str:
    """A UTC time as SQLite's stored text of it: '2026-03-02 02:00:00.000000'."""
    return value.isoformat(" ", "microseconds")[:26]  # without the "+00:00"


@lru_cache(maxsize=4096)  # a text is one instant; the datetime read back is immutable
def _sqlite_utc_time(text: str | None) -> datetime | None:
    """SQLite's stored text back to an aware UTC time, as UTCDateTime reads it."""
    return None if text is None else datetime.fromisoformat(text).replace(tzinfo=UTC)


def bind_processor(type_: TypeEngine, dialect: Dialect) -> Callable[[Any], Any] | None:
    """SQLAlchemy's processor for a value bound to ``type_``; for UTC times on SQLite an
    equivalent in one call (tests/unit/test_prepared_processors.py holds them equal): the
    generic chain is the larger part of converting a dossier row."""
    if dialect.name == "sqlite" and isinstance(type_, UTCDateTime):
        return _sqlite_utc_text
    return type_.dialect_impl(dialect).bind_processor(dialect)


def result_processor(
    type_: TypeEngine, dialect: Dialect, coltype: Any
) -> Callable[[Any], Any] | None:
    """SQLAlchemy's processor for a value read from ``type_``; on SQLite, UTC times as above and
    JSON text straight to the engine's parser (SQLAlchemy's goes through two wrappers to it, for
    each of a dossier's JSON columns on every read)."""
    if dialect.name == "sqlite" and isinstance(type_, UTCDateTime):
        return _sqlite_utc_time
    generic = type_.dialect_impl(dialect).result_processor(dialect, coltype)
    if (
        dialect.name == "sqlite"
        and isinstance(type_, JSON)
        and generic is not None
        and getattr(dialect, "_json_deserializer", None) is jsontext.loads
    ):
        return _sqlite_json(generic)
    return generic


def _sqlite_json(generic: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def process(value: Any) -> Any:
        # Stored JSON text is parsed here; anything else (a number SQLite's column affinity
        # made of the text) is left to SQLAlchemy's own processor.
        return jsontext.loads(value) if type(value) is str else generic(value)

    return process


@dataclass
class _Compiled:
    sql: str
    # Bind names as the driver takes them: None for positional styles (qmark: a list in
    # ``binds`` order), else the name of each of ``binds`` in turn.
    names: tuple[str, ...] | None
    # (key in the caller's parameters, processor, value when not given), in the driver's order
    binds: tuple[tuple[str, Callable[[Any], Any] | None, Any], ...]
    # The same values when the caller gave every key (a fire's statements always do): fetched
    # in one C call, then (position, processor) for the few that have one. Binding value by
    # value in Python was a tenth of a fire's instructions.
    fetch: Callable[[Mapping[str, Any]], tuple[Any, ...]]
    processed: tuple[tuple[int, Callable[[Any], Any]], ...]
    # Built at the first fetch (some drivers' processors need the column's type code): the
    # result columns' names, and (position, name, processor) for those that have a processor.
    result_names: tuple[str, ...] | None = None
    converted: tuple[tuple[int, str, Callable[[Any], Any]], ...] = ()


def _convert(c: _Compiled, row: Sequence[Any]) -> dict[str, Any]:
    """A row as a dict, each value through its column's processor. A NULL stays None without
    the call: SQLAlchemy's processors all map None to None, and most of a dossier's optional
    columns are NULL for most of its life."""
    assert c.result_names is not None  # set by _result_processors before any row is converted
    out = dict(zip(c.result_names, row))
    for i, name, process in c.converted:
        value = row[i]
        if value is not None:
            out[name] = process(value)
    return out


# psycopg: one cursor per connection, kept. A client-side cursor has every row of its result in
# hand when execute returns, so a kept one holds nothing on the server, and building a cursor
# cost about 15 µs of every statement. sqlite3: a new cursor each time (cheap), closed after
# use, since a cursor left on a SELECT keeps that connection's read snapshot open.
_KEPT: WeakKeyDictionary[Any, Any] = WeakKeyDictionary()


def _cursor(dbapi_connection: Any) -> Any:
    if isinstance(dbapi_connection, sqlite3.Connection):
        return dbapi_connection.cursor()
    cursor = _KEPT.get(dbapi_connection)
    if cursor is None or cursor.closed:
        cursor = _KEPT[dbapi_connection] = dbapi_connection.cursor()
    return cursor


def _release(cursor: Any) -> None:
    if isinstance(cursor, sqlite3.Cursor):
        cursor.close()


def _fetcher(keys: tuple[str, ...]) -> Callable[[Mapping[str, Any]], tuple[Any, ...]]:
    if len(keys) > 1:
        return itemgetter(*keys)
    return lambda params: tuple(params[key] for key in keys)


def _values_with_defaults(c: _Compiled, params: Mapping[str, Any]) -> list[Any]:
    """The bound values when some key is missing: its default, or the error naming it."""
    values = []
    for key, process, default in c.binds:
        value = params.get(key, default)
        if value is _REQUIRED:
            raise KeyError(f"parameter '{key}' is required by: {c.sql}")
        values.append(value if process is None else process(value))
    return values


class Prepared:
    """A Core statement; ``columns`` names the result columns when it returns rows."""

    def __init__(self, statement: Any, columns: Sequence[Column] = ()) -> None:
        self.statement = statement
        self.columns = tuple(columns) or tuple(getattr(statement, "selected_columns", ()))
        self._by_dialect: dict[str, _Compiled] = {}

    def _compiled(self, dialect: Dialect) -> _Compiled:
        found = self._by_dialect.get(dialect.name)
        if found is None:
            compiled = self.statement.compile(dialect=dialect)
            by_name = {
                name: (
                    bind.key,
                    bind_processor(bind.type, dialect),
                    _REQUIRED if bind.required else bind.effective_value,
                )
                for bind, name in compiled.bind_names.items()
            }
            order = tuple(compiled.positiontup) if compiled.positional else tuple(by_name)
            binds = tuple(by_name[name] for name in order)
            found = self._by_dialect[dialect.name] = _Compiled(
                compiled.string,
                None if compiled.positional else order,
                binds,
                _fetcher(tuple(key for key, _, _ in binds)),
                tuple(
                    (i, process) for i, (_, process, _) in enumerate(binds) if process is not None
                ),
            )
        return found

    def _run(self, conn: Connection, params: Mapping[str, Any]):
        c = self._compiled(conn.dialect)
        try:
            values = list(c.fetch(params))
        except KeyError:
            values = _values_with_defaults(c, params)
        else:
            for i, process in c.processed:
                values[i] = process(values[i])
        args = values if c.names is None else dict(zip(c.names, values))
        cursor = _cursor(conn.connection.dbapi_connection)
        try:
            cursor.execute(c.sql, args)
        except conn.dialect.loaded_dbapi.Error as err:
            _release(cursor)
            # The exception SQLAlchemy's own execute would raise (IntegrityError, DataError,
            # OperationalError...), so that callers and the API's handlers see one kind.
            raise DBAPIError.instance(
                c.sql, args, err, conn.dialect.loaded_dbapi.Error, dialect=conn.dialect
            ) from err
        return c, cursor

    def execute(self, conn: Connection, params: dict[str, Any]) -> int:
        """Run it; returns the number of rows changed."""
        _, cursor = self._run(conn, params)
        count = cursor.rowcount
        _release(cursor)
        return count

    def first(self, conn: Connection, params: dict[str, Any]) -> dict[str, Any] | None:
        """The first row as a dict of column name to value (None when there is none)."""
        c, cursor = self._run(conn, params)
        row = cursor.fetchone()
        self._result_processors(c, conn, cursor)
        _release(cursor)
        return None if row is None else _convert(c, row)

    def all(self, conn: Connection, params: dict[str, Any]) -> list[dict[str, Any]]:
        """Every row, as dicts of column name to value."""
        c, cursor = self._run(conn, params)
        rows = cursor.fetchall()
        self._result_processors(c, conn, cursor)
        _release(cursor)
        return [_convert(c, row) for row in rows]

    def _result_processors(self, c: _Compiled, conn: Connection, cursor: Any) -> None:
        if c.result_names is None:
            dialect = conn.dialect
            processors = [
                result_processor(col.type, dialect, desc[1])
                for col, desc in zip(self.columns, cursor.description)
            ]
            c.converted = tuple(
                (i, col.name, process)
                for i, (col, process) in enumerate(zip(self.columns, processors))
                if process is not None
            )
            c.result_names = tuple(col.name for col in self.columns)

    def scalar(self, conn: Connection, params: dict[str, Any]) -> Any:
        row = self.first(conn, params)
        return None if row is None else next(iter(row.values()))
