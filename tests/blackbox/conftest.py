"""A real server, started with the README's command (`dossier run`), on its own database."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import scratch_database

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def server_db(tmp_path_factory):
    with scratch_database("test_blackbox", tmp_path_factory.mktemp("server")) as url:
        yield url


@pytest.fixture(scope="session")
def server(server_db, tmp_path_factory):
    """(base url, environment) of `dossier run` serving a freshly migrated, demo-seeded database."""
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": server_db, "PATH": f"{BIN}:{os.environ.get('PATH', '')}"}
    log = (tmp_path_factory.mktemp("server") / "server.log").open("w")
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
