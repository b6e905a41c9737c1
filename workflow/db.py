"""Engines and transactions for both databases.

SQLite: the driver's own transaction handling is switched off so that the engine can say
BEGIN IMMEDIATE where it writes (a deferred BEGIN would let two writers read the same version
and then fail on the upgrade to a write lock). Postgres: a write that follows a read in one
transaction locks the row with FOR UPDATE (workflow/engine.py). Every change, whoever makes it
(the API, the CLI, the demo, the benchmark), runs in one ``write_transaction``.
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


_BEGIN = {mode: f"BEGIN {mode}" for mode in ("DEFERRED", "IMMEDIATE", "EXCLUSIVE")}

# SQLite lets one writer in at a time, and a writer that finds the lock taken sleeps in SQLite's
# busy handler (1, 2, 5, 10 ... ms) even when the lock frees a fraction of a millisecond later:
# under eight concurrent requests that was a p99 of 140-190 ms. The threads of one process queue
# on a Python lock per database file instead and are woken the moment it is free; other
# processes still meet SQLite's own busy timeout.
_WRITERS: dict[str, threading.RLock] = {}
_WRITERS_GUARD = threading.Lock()
# A turn not given in this long is "database is locked", a 503 to retry; None: the engine's busy
# timeout (DATABASE_BUSY_TIMEOUT_SECONDS), as long as SQLite waits for another process.
WRITER_WAIT_S: float | None = None
_BUSY_TIMEOUT = "antt_busy_timeout_s"


def make_engine(url: str, **kwargs) -> Engine:
    # The dossier's JSON columns are written and read by orjson (workflow/jsontext.py).
    kwargs.setdefault("json_serializer", jsontext.dumps)
    kwargs.setdefault("json_deserializer", jsontext.loads)
    busy = get_settings().database_busy_timeout_seconds
    if url.startswith("sqlite"):
        synchronous = get_settings().sqlite_synchronous  # FULL, NORMAL or EXTRA, validated
        engine = create_engine(
            url, connect_args={"timeout": busy, "check_same_thread": False}, **kwargs
        )
        engine.__dict__[_BUSY_TIMEOUT] = busy

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn, _record):
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            if ":memory:" not in url:
                cur.execute("PRAGMA journal_mode=WAL")
            cur.execute(f"PRAGMA synchronous={synchronous}")
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
            # than the BEGIN itself (see workflow/prepared.py).
            dbapi = conn.connection.dbapi_connection
            assert dbapi is not None  # None only once invalidated, never while it begins
            if not dbapi.in_transaction:
                _driver_execute(dbapi, _BEGIN[mode])

        return engine
    # Every connection is used inside a with-block that commits or rolls back, so the pool's
    # extra ROLLBACK on check-in is a wasted round trip (about 50 us a transaction here).
    kwargs.setdefault("pool_reset_on_return", None)
    # A table or row another session holds is waited for as long as SQLite's busy timeout,
    # then refused (lock_not_available: a 503 to retry) instead of holding the request forever.
    kwargs.setdefault("connect_args", {"options": f"-c lock_timeout={int(busy * 1000)}"})
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    engine = create_engine(url, **kwargs)
    engine.__dict__[_BUSY_TIMEOUT] = busy
    return engine


def _driver_execute(dbapi: Any, sql: str) -> None:
    """Run ``sql`` on SQLite's own connection; "database is locked" as SQLAlchemy raises it, so
    that the API answers it as every other busy database (503), not as an unknown error."""
    try:
        dbapi.execute(sql)
    except sqlite3.OperationalError as err:
        raise OperationalError(sql, None, err) from err


def _driver_commit(dbapi: Any) -> None:
    try:
        dbapi.commit()
    except sqlite3.OperationalError as err:
        raise OperationalError("COMMIT", None, err) from err


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


def _take_turn(lock: threading.RLock, engine: Engine) -> None:
    wait = WRITER_WAIT_S if WRITER_WAIT_S is not None else engine.__dict__.get(_BUSY_TIMEOUT, 30)
    if not lock.acquire(timeout=wait):
        raise OperationalError(
            "BEGIN IMMEDIATE",
            None,
            sqlite3.OperationalError(
                f"database is locked: another writer of this process held it for {wait} s"
            ),
        )


@contextmanager
def one_writer(engine: Engine) -> Iterator[None]:
    """SQLite: hold this process's turn to write ``engine``'s database for the block."""
    if engine.dialect.name != "sqlite":
        yield
        return
    lock = _writer_lock(engine)
    _take_turn(lock, engine)
    try:
        yield
    finally:
        lock.release()


def write_transaction(engine: Engine | None = None) -> _WriteTransaction:
    """One write transaction: commits when the block ends, rolls back on any exception.
    Inside ``joined(conn)`` it is that transaction, and committing is the joiner's business."""
    return _WriteTransaction(engine)


class _WriteTransaction:
    """``write_transaction``'s block. A class, not a generator: every change enters one. On
    SQLite it says BEGIN IMMEDIATE and COMMIT on the driver's connection, which took a third
    off an empty transaction against SQLAlchemy's own (docs/BENCHMARKS.md); whatever SQLAlchemy
    begins inside joins it (``_on_begin``) and is committed with it."""

    __slots__ = ("_engine", "_conn", "_dbapi", "_lock", "_tx")
    _conn: Connection | None
    _dbapi: Any  # the driver's connection while SQLite's transaction is ours, else None

    def __init__(self, engine: Engine | None) -> None:
        self._engine = engine

    def __enter__(self) -> Connection:
        joined_conn = _joined.get()
        if joined_conn is not None:
            self._conn = None
            return joined_conn
        engine = self._engine or get_engine()
        if engine.dialect.name == "sqlite":
            return self._begin_sqlite(engine)
        conn = self._conn = engine.connect()
        self._dbapi = None
        try:
            self._tx = conn.begin()
        except BaseException:
            conn.close()
            raise
        return conn

    def _begin_sqlite(self, engine: Engine) -> Connection:
        lock = self._lock = _writer_lock(engine)
        _take_turn(lock, engine)
        try:
            conn = self._conn = _writer_connection(engine)
            dbapi = conn.connection.dbapi_connection
            assert dbapi is not None  # None only once invalidated, and then it was replaced
            _driver_execute(dbapi, _BEGIN["IMMEDIATE"])
        except BaseException:
            lock.release()
            raise
        self._dbapi = dbapi
        return conn

    def __exit__(self, kind, error, traceback) -> None:
        conn = self._conn
        if conn is None:
            return
        dbapi = self._dbapi
        if dbapi is None:
            try:
                if kind is None:
                    self._tx.commit()
                elif conn.get_transaction() is self._tx:
                    # Not when the block ended it itself (reading_after_refusal on PostgreSQL).
                    self._tx.rollback()
            finally:
                conn.close()
            return
        try:
            began = conn.in_transaction()  # SQLAlchemy joined the driver's transaction
            if kind is None:
                try:
                    conn.commit() if began else _driver_commit(dbapi)
                except BaseException:
                    dbapi.rollback()  # leave no transaction open on the writer's connection
                    raise
            else:
                conn.rollback() if began else dbapi.rollback()
        except BaseException:
            _drop_writer_connection(conn.engine)  # in doubt: the next writer gets a new one
            raise
        finally:
            if conn.invalidated or conn.closed:
                _drop_writer_connection(conn.engine)
            self._lock.release()


# SQLite lets one writer in at a time, and this process's writers already take turns on the
# database's lock (_WRITERS), so they share one connection, kept open by the engine, instead of
# checking one out of the pool and back for every change: that was a tenth of a change's time
# (docs/BENCHMARKS.md). Only the thread holding the turn uses it.
_HELD = "antt_writer_connection"


def _writer_connection(engine: Engine) -> Connection:
    conn = engine.__dict__.get(_HELD)
    if conn is None or conn.closed or conn.invalidated:
        conn = engine.__dict__[_HELD] = engine.connect()
        if not event.contains(engine, "engine_disposed", _drop_writer_connection):
            event.listen(engine, "engine_disposed", _drop_writer_connection)
    return conn


def _drop_writer_connection(engine: Engine) -> None:
    conn = engine.__dict__.pop(_HELD, None)
    if conn is not None:
        try:
            # Detached, closing it closes the file: checked into a pool that ``dispose`` has
            # already let go, it would stay open (and SQLite would checkpoint it much later).
            if not conn.invalidated:
                conn.detach()
            conn.close()
        except Exception:  # noqa: BLE001 - a broken connection may refuse; it is dropped
            pass


@contextmanager
def read_connection(engine: Engine | None = None) -> Iterator[Connection]:
    engine = engine or get_engine()
    with engine.connect() as conn, conn.begin():
        yield conn


@contextmanager
def compare_and_set_connection(engine: Engine | None = None) -> Iterator[Connection]:
    """PostgreSQL, a move without an Idempotency-Key: no transaction around it. The dossier is
    read unlocked and its move written by one statement that changes the row only if it is
    still at the version read (the UPDATE, the audit and the message INSERTs in one CTE, atomic
    on its own): two round trips where BEGIN, a locked read, the write and COMMIT take four."""
    engine = engine or get_engine()
    with _autocommit_engine(engine).connect() as conn:
        yield conn


# The compare-and-set connections come from a pool of their own, opened in autocommit once:
# switching a pooled connection to autocommit and back on every checkout (SQLAlchemy's
# isolation_level option) cost 80 µs CPU of a move's 650 (docs/BENCHMARKS.md). 5 kept open and
# 30 at most, as many as the main pool allows (docs/OPERATIONS.md has the process's budget).
_AUTOCOMMIT = "antt_autocommit_engine"
_AUTOCOMMIT_GUARD = threading.Lock()
_AUTOCOMMIT_OPTION = "antt_autocommit"


def _autocommit_engine(engine: Engine) -> Engine:
    found = engine.__dict__.get(_AUTOCOMMIT)
    if found is None:
        with _AUTOCOMMIT_GUARD:
            found = engine.__dict__.get(_AUTOCOMMIT)
            if found is None:
                found = make_engine(
                    engine.url.render_as_string(hide_password=False),
                    isolation_level="AUTOCOMMIT",
                    execution_options={_AUTOCOMMIT_OPTION: True},
                    pool_size=5,
                    max_overflow=25,
                )
                engine.__dict__[_AUTOCOMMIT] = found
                if not event.contains(engine, "engine_disposed", _dispose_autocommit_engine):
                    event.listen(engine, "engine_disposed", _dispose_autocommit_engine)
    return found


def _dispose_autocommit_engine(engine: Engine) -> None:
    found = engine.__dict__.pop(_AUTOCOMMIT, None)
    if found is not None:
        found.dispose()


def is_autocommit(conn: Connection) -> bool:
    return bool(conn.get_execution_options().get(_AUTOCOMMIT_OPTION, False))


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


@contextmanager
def reading_after_refusal(engine: Engine | None = None) -> Iterator[Connection]:
    """A connection to read what a refused write ran into (the dossier already registered, the
    row already at a seq) without checking out a second one while the caller's transaction
    holds the first: 64 refused registrations, each holding one and waiting for another,
    emptied the pool for 30 s. On PostgreSQL that transaction is aborted by the refusal and is
    rolled back here (it fails anyway); SQLite's survives a refused statement."""
    conn = _joined.get()
    if conn is None:
        with read_connection(engine) as fresh:
            yield fresh
        return
    if conn.dialect.name == "sqlite" or is_autocommit(conn):
        yield conn
        return
    conn.rollback()
    try:
        yield conn
    finally:
        # The read began a transaction of its own (on the driver's connection, for a prepared
        # statement): ended here, since the pool does not reset a connection it takes back.
        conn.rollback()
        dbapi = conn.connection.dbapi_connection
        if dbapi is not None:
            dbapi.rollback()


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
