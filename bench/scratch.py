"""The database a benchmark runs on: a scratch one it creates and removes, or an empty one the
operator names.

By default each benchmark makes its own: a file in a temporary directory (SQLite), or with
``--db postgres`` a new database ``bench_<pid>_<random>`` created beside the one DATABASE_URL
names and dropped at the end, even when the run fails. A database the operator names (``--database
URL``, or a ``sqlite:`` DATABASE_URL) is used only when it is empty and is never dropped: a
benchmark must not be able to wipe or dilute real data.
"""

from __future__ import annotations

import os
import secrets
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, make_url, text
from sqlalchemy.pool import NullPool

from workflow import rulesets

POSTGRES_HINT = "--db postgres needs DATABASE_URL=postgresql+psycopg://..."


class Refused(Exception):
    """The benchmark will not run on this database; the message says what to do instead."""


def kind(url: str) -> str:
    """``postgres`` or ``sqlite``: the names ``--db`` takes."""
    return "postgres" if url.startswith("postgresql") else "sqlite"


def shown(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def libpq_url(url: str) -> str:
    """The URL without SQLAlchemy's driver suffix, for psycopg itself."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def sqlite_path(url: str) -> str:
    return make_url(url).database or ""


def _sqlite_contents(path: str) -> list[str]:
    if not os.path.exists(path) or os.path.getsize(path) == 0:
        return []
    # Read-only through the URI: opening it the engine's way would switch the file to WAL.
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = conn.execute(
            "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') ORDER BY name"
        ).fetchall()
    except sqlite3.DatabaseError as err:
        return [f"(not an empty SQLite database: {err})"]
    finally:
        conn.close()
    return [r[0] for r in rows]


def _postgres_contents(url: str) -> list[str]:
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT n.nspname || '.' || c.relname FROM pg_class c "
                    "JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') "
                    "AND n.nspname NOT IN ('pg_catalog', 'information_schema') "
                    "AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%' "
                    "ORDER BY 1"
                )
            ).all()
    except Exception as err:  # noqa: BLE001 - a database that cannot be opened is not one to write to either
        raise Refused(f"cannot open the database {shown(url)}: {err}") from None
    finally:
        engine.dispose()
    return [r[0] for r in rows]


def refuse_unless_empty(url: str, named_by: str = "--database") -> None:
    """Raise ``Refused`` when the database at ``url`` holds any table, view or sequence;
    reads only, so a refused database is left exactly as it was."""
    if kind(url) == "sqlite":
        path = sqlite_path(url)
        if not path or path == ":memory:":
            raise Refused(
                f"{named_by} {shown(url)}: the benchmark's workers need a database file "
                "they can all open; omit it to use a scratch one"
            )
        found = _sqlite_contents(path)
    else:
        found = _postgres_contents(url)
    if found:
        listed = ", ".join(found[:5]) + (f" and {len(found) - 5} more" if len(found) > 5 else "")
        raise Refused(
            f"refusing to benchmark on a database that holds data: {shown(url)} ({named_by}) "
            f"has {listed}; point --database at an empty database or omit it to use a "
            "scratch one"
        )


@contextmanager
def _sqlite_scratch() -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="dossier-bench-", ignore_cleanup_errors=True) as d:
        yield f"sqlite:///{os.path.join(d, 'bench.db')}"


@contextmanager
def _postgres_scratch(server_url: str) -> Iterator[str]:
    name = f"bench_{os.getpid()}_{secrets.token_hex(4)}"
    # CREATE/DROP DATABASE cannot run inside a transaction; NullPool keeps no connection open
    # that a forked worker could inherit.
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        # FORCE: a worker or a server the run could not stop must not keep the database alive.
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def database(db: str = "sqlite", database: str | None = None) -> Iterator[str]:
    """The URL a benchmark runs on, for the length of the ``with`` block.

    ``database`` (or a ``sqlite:`` DATABASE_URL when ``db`` is sqlite) must be empty and is
    kept afterwards; otherwise a scratch database is created now and removed at the end.
    """
    # Rule sets are cached by id for the process: ids of another database must not answer here.
    rulesets.forget()
    try:
        with _database(db, database) as url:
            yield url
    finally:
        rulesets.forget()


@contextmanager
def _database(db: str, database: str | None) -> Iterator[str]:
    env = os.environ.get("DATABASE_URL", "")
    if database is None and db == "sqlite" and env.startswith("sqlite"):
        database, named_by = env, "DATABASE_URL"
    else:
        named_by = "--database"
    if database:
        refuse_unless_empty(database, named_by)
        yield database
        return
    if db == "postgres":
        if not env.startswith("postgresql"):
            raise SystemExit(POSTGRES_HINT)
        with _postgres_scratch(env) as url:
            yield url
        return
    with _sqlite_scratch() as url:
        yield url
