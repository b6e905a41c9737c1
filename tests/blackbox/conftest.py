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
from sqlalchemy import text

from tests.conftest import DATABASE_URL, ON_POSTGRES
from workflow.db import make_engine

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def server_db(tmp_path_factory):
    if not ON_POSTGRES:
        yield f"sqlite:///{tmp_path_factory.mktemp('server') / 'dossier.db'}"
        return
    name = f"test_blackbox_{os.getpid()}"
    admin = make_engine(DATABASE_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name}"))
        conn.execute(text(f"CREATE DATABASE {name}"))
    yield DATABASE_URL.rsplit("/", 1)[0] + "/" + name
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    admin.dispose()


@pytest.fixture(scope="session")
def server(server_db, tmp_path_factory):
    """(base url, environment) of `dossier run` serving a freshly migrated, demo-seeded database."""
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": server_db, "PATH": f"{BIN}:{os.environ.get('PATH', '')}"}
    log = (tmp_path_factory.mktemp("server") / "server.log").open("w")
    proc = subprocess.Popen([str(BIN / "dossier"), "run", "--port", str(port)], cwd=ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT)
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
