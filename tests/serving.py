"""`dossier run`, the README's command, started on a database of the test's own and stopped after."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running_server(database_url: str, log_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    """(base url, environment) of `dossier run` serving a migrated, demo-seeded database."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "PATH": f"{BIN}:{os.environ.get('PATH', '')}",
    }
    log = log_path.open("w")
    proc = subprocess.Popen(
        [str(BIN / "dossier"), "run", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            if proc.poll() is not None:
                raise RuntimeError(f"dossier run exited with {proc.returncode}: see {log.name}")
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        else:
            raise RuntimeError(f"dossier run did not answer /healthz: see {log.name}")
        yield url, env
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()
