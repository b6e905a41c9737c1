"""Engines and transactions for both databases.

SQLite: the driver's own transaction handling is switched off so that the engine can say
BEGIN IMMEDIATE where it writes (a deferred BEGIN would let two writers read the same version
and then fail on the upgrade to a write lock). Postgres: a write that must follow a read in one
transaction locks the row with FOR UPDATE; a single-statement write runs on an
``autocommit_connection`` and protects itself with its WHERE clause (workflow/engine.py).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.exc import OperationalError

from workflow import jsontext
from workflow.settings import get_settings

_engine: Engine | None = None
# A transaction the caller already holds: write_transaction joins it instead of opening another,
# so a caller can add its own rows (an idempotency record) to the engine's one transaction.
_joined: ContextVar[Connection | None] = ContextVar("joined_transaction", default=None)
# A connection a worker holds for its life: each write transaction begins and commits on it
# instead of checking one out of the pool (a batch, a benchmark worker).
_held: ContextVar[Connection | None] = ContextVar("held_connection", default=None)


_BEGIN = {mode: f"BEGIN {mode}" for mode in ("DEFERRED", "IMMEDIATE", "EXCLUSIVE")}

# SQLite lets one writer in at a time, and a writer that finds the lock taken sleeps in SQLite's
# busy handler (1, 2, 5, 10 ... ms) even when the lock frees a fraction of a millisecond later:
# under eight concurrent requests that was a p99 of 140-190 ms. The threads of one process queue
# on a Python lock per database file instead and are woken the moment it is free; other
# processes still meet SQLite's own busy timeout.
_WRITERS: dict[str, threading.RLock] = {}
_WRITERS_GUARD = threading.Lock()
WRITER_WAIT_S = 30  # as SQLite's busy timeout: then "database is locked", a 503 to retry


def make_engine(url: str, **kwargs) -> Engine:
    # The dossier's JSON columns are written and read by orjson (workflow/jsontext.py).
    kwargs.setdefault("json_serializer", jsontext.dumps)
    kwargs.setdefault("json_deserializer", jsontext.loads)
    if url.startswith("sqlite"):
        engine = create_engine(
            url, connect_args={"timeout": 30, "check_same_thread": False}, **kwargs
        )

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn, _record):
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            if ":memory:" not in url:
                cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            # Checkpoint every 10,000 pages (a WAL of up to 40 MB) rather than 1,000: hot index
            # pages written many times are copied back once, which took a tenth off each write
            # transaction (docs/BENCHMARKS.md); a WAL left to grow slows every read instead.
            cur.execute("PRAGMA wal_autocheckpoint=10000")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Connection):
            mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
            # On the driver's connection: a BEGIN through SQLAlchemy's execute path costs more
            # than the BEGIN itself (see workflow/prepared.py). Inside ``write_group`` the
            # transaction is already open, and SQLAlchemy's reads join it.
            dbapi = conn.connection.dbapi_connection
            assert dbapi is not None  # None only once invalidated, never while it begins
            if not dbapi.in_transaction:
                dbapi.execute(_BEGIN[mode])

        return engine
    # Every connection is used inside a with-block that commits or rolls back, so the pool's
    # extra ROLLBACK on check-in is a wasted round trip (about 50 us a transaction here).
    kwargs.setdefault("pool_reset_on_return", None)
    return create_engine(url, pool_size=10, max_overflow=20, **kwargs)


def get_engine() -> Engine:
    global _engine
    if _engine is None:
        _engine = make_engine(get_settings().database_url)
    return _engine


def set_engine(engine: Engine | None) -> None:
    """Point the process at another database (tests, benchmarks, the CLI's --database)."""
    global _engine
    _engine = engine


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def _writer_lock(engine: Engine) -> threading.RLock:
    key = engine.url.database or ""
    lock = _WRITERS.get(key)
    if lock is None:
        with _WRITERS_GUARD:
            lock = _WRITERS.setdefault(key, threading.RLock())
    return lock


def _take_turn(lock: threading.RLock) -> None:
    if not lock.acquire(timeout=WRITER_WAIT_S):
        raise OperationalError(
            "BEGIN IMMEDIATE",
            None,
            sqlite3.OperationalError(
                f"database is locked: another writer of this process held it for {WRITER_WAIT_S} s"
            ),
        )


@contextmanager
def one_writer(engine: Engine) -> Iterator[None]:
    """SQLite: hold this process's turn to write ``engine``'s database for the block."""
    if engine.dialect.name != "sqlite":
        yield
        return
    lock = _writer_lock(engine)
    _take_turn(lock)
    try:
        yield
    finally:
        lock.release()


@contextmanager
def write_transaction(engine: Engine | None = None) -> Iterator[Connection]:
    """One write transaction: commits when the block ends, rolls back on any exception.
    Inside ``joined(conn)`` it is that transaction, and committing is the joiner's business."""
    joined_conn = _joined.get()
    if joined_conn is not None:
        yield joined_conn
        return
    held = _held.get()
    if held is not None:
        if is_sqlite(held.engine):
            held.execution_options(sqlite_begin="IMMEDIATE")
        with one_writer(held.engine), held.begin():
            yield held
        return
    engine = engine or get_engine()
    with engine.connect() as conn:
        if is_sqlite(engine):
            conn = conn.execution_options(sqlite_begin="IMMEDIATE")
        with one_writer(engine), conn.begin():
            yield conn


def autocommit_connection(engine: Engine | None = None) -> _Autocommit:
    """A connection (the held one, or one from the pool) outside any transaction: each statement
    commits on its own, so reads take no lock and a single-statement write needs no BEGIN and
    COMMIT round trips. ``write_group`` groups several writes."""
    return _Autocommit(engine)


class _Autocommit:
    """``autocommit_connection``'s block (a class for the reason ``_WriteGroup`` is one)."""

    __slots__ = ("_engine", "_conn", "_pooled", "_dbapi")

    def __init__(self, engine: Engine | None) -> None:
        self._engine = engine

    def __enter__(self) -> Connection:
        held = _held.get()
        if held is not None and held.in_transaction():
            # Its open transaction would be rolled back (SQLite) or refused (Postgres) under the
            # caller's feet: a caller with its own transaction joins it instead.
            raise RuntimeError(
                "the held connection has a transaction open: use db.joined(conn) "
                "to write inside it, or end it first"
            )
        conn = self._conn = held if held is not None else (self._engine or get_engine()).connect()
        self._pooled = held is None
        self._dbapi = None
        if conn.dialect.name == "postgresql":
            # Any: psycopg's own connection; None only once invalidated, never just checked out.
            dbapi: Any = conn.connection.dbapi_connection
            try:
                dbapi.autocommit = True
            except BaseException:
                self._close()
                raise
            self._dbapi = dbapi
        return conn

    def __exit__(self, kind, error, traceback) -> None:
        conn = self._conn
        try:
            if conn.in_transaction():  # a read through SQLAlchemy began one; nothing to undo
                conn.rollback()
            if self._dbapi is not None:
                self._dbapi.autocommit = False
        except Exception:
            # A connection that cannot be put back as it was (the server went away) must not be
            # handed to the next transaction in autocommit: drop it from the pool.
            conn.invalidate()
            raise
        finally:
            self._close()

    def _close(self) -> None:
        if self._pooled:
            self._conn.close()


def write_group(conn: Connection) -> _WriteGroup:
    """On a connection from ``autocommit_connection``, around writes that must land together.
    SQLite: BEGIN IMMEDIATE, the block, COMMIT (ROLLBACK on any exception), on the driver's
    connection, since SQLAlchemy's transaction costs more than SQLite's own (docs/BENCHMARKS.md).
    Postgres: nothing; the block's one write statement commits on its own."""
    return _WriteGroup(conn)


class _WriteGroup:
    """``write_group``'s block: a class, since every fire enters one and a generator-based
    context manager cost about 2% of a fire's instructions."""

    __slots__ = ("_dbapi", "_lock")

    def __init__(self, conn: Connection) -> None:
        self._dbapi = None
        if conn.dialect.name != "sqlite":
            return
        if conn.in_transaction():  # end the reads SQLAlchemy began
            conn.rollback()
        self._dbapi = conn.connection.dbapi_connection
        self._lock = _writer_lock(conn.engine)

    def __enter__(self) -> None:
        if self._dbapi is None:
            return
        _take_turn(self._lock)
        try:
            self._dbapi.execute(_BEGIN["IMMEDIATE"])
        except BaseException:
            self._lock.release()
            raise

    def __exit__(self, kind, error, traceback) -> None:
        if self._dbapi is None:
            return
        try:
            if kind is None:
                try:
                    self._dbapi.commit()
                except BaseException:
                    self._dbapi.rollback()  # leave no transaction open on the connection
                    raise
            else:
                self._dbapi.rollback()
        finally:
            self._lock.release()


@contextmanager
def read_connection(engine: Engine | None = None) -> Iterator[Connection]:
    engine = engine or get_engine()
    with engine.connect() as conn, conn.begin():
        yield conn


@contextmanager
def _current(var: ContextVar[Connection | None], conn: Connection) -> Iterator[Connection]:
    token = var.set(conn)
    try:
        yield conn
    finally:
        var.reset(token)


def joined(conn: Connection):
    """Make ``write_transaction`` (the engine's, the registration's) use ``conn``'s transaction."""
    return _current(_joined, conn)


def holding(conn: Connection):
    """Run every ``write_transaction`` of this context on ``conn``, one transaction each."""
    return _current(_held, conn)


def joined_connection() -> Connection | None:
    """The transaction ``joined`` made current, if any."""
    return _joined.get()


def catch_up_sequences(conn: Connection, *tables: str) -> None:
    """Postgres: move each table's id sequence past rows inserted with explicit ids (bulk
    seeding), so that the next ordinary insert does not collide. SQLite needs nothing."""
    if conn.dialect.name != "postgresql":
        return
    for table in tables:
        conn.exec_driver_sql(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
            f"GREATEST((SELECT max(id) FROM {table}), 1))"
        )
