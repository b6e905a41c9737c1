"""SQLite: copy the write-ahead log back into the database from a thread of its own.

Left to itself, SQLite checkpoints inside the COMMIT of whichever write pushes the log past its
threshold, and that one write waits while thousands of pages are copied and synced (up to 30 ms;
about 20 µs of every write on average in `dossier bench lifecycle`). A PASSIVE checkpoint from a
second connection copies them while the writers go on: it never blocks a writer, and the driver
lets go of the GIL while it runs, so on a second core that cost leaves the writes' path. Each
connection's own automatic checkpoint (workflow/db.py) stays as the backstop: it finds little
left to copy, and it is what lets the next write start the log over from its beginning.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine

log = logging.getLogger(__name__)

INTERVAL_S = 0.05  # 0.01 to 0.2 s measured within noise of each other; shorter keeps the log small


@dataclass
class Checkpointer:
    """A running background checkpointer; ``last`` is SQLite's answer to the latest checkpoint:
    (busy, frames in the log, frames copied back)."""

    path: str
    interval: float = INTERVAL_S
    runs: int = 0
    last: tuple[int, int, int] | None = None
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="sqlite-checkpointer", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _loop(self) -> None:
        conn: sqlite3.Connection | None = None
        failing = False
        try:
            while not self._stop.wait(self.interval):
                try:
                    if conn is None:  # read-write, never creating a database that is not there
                        conn = sqlite3.connect(
                            f"{Path(self.path).resolve().as_uri()}?mode=rw",
                            uri=True,
                            isolation_level=None,
                            check_same_thread=False,
                            timeout=1,
                        )
                    row = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                except sqlite3.Error as err:
                    # The writers' own checkpoints carry on meanwhile: say so once, keep trying.
                    if not failing:
                        log.warning("background checkpoint of %s failed: %s", self.path, err)
                    failing = True
                    continue
                failing = False
                self.last = tuple(row)
                self.runs += 1
        finally:
            if conn is not None:
                conn.close()


def _wal_database(engine: Engine) -> str | None:
    """The file of a SQLite database in WAL mode, or None (Postgres, in-memory, other modes)."""
    if engine.dialect.name != "sqlite" or engine.url.database in (None, "", ":memory:"):
        return None
    with engine.connect() as conn:
        mode = conn.exec_driver_sql("PRAGMA journal_mode").scalar()
    return engine.url.database if str(mode).lower() == "wal" else None


@contextmanager
def checkpointing(engine: Engine, interval: float = INTERVAL_S) -> Iterator[Checkpointer | None]:
    """Checkpoint ``engine``'s SQLite database in the background for the block (None where
    there is nothing to do: Postgres checkpoints on its own)."""
    path = _wal_database(engine)
    if path is None:
        yield None
        return
    checkpointer = Checkpointer(path, interval)
    checkpointer.start()
    try:
        yield checkpointer
    finally:
        checkpointer.stop()
