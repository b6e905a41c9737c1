"""A setting the operator got wrong stops the command with one line naming it and what it takes,
before anything touches the database: not a traceback, not a server that half starts."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from pydantic import ValidationError

from workflow.settings import Settings


def _dossier(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from api.cli import app; app()", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **env},
        check=False,
    )


@pytest.mark.parametrize("token", ["short", "x" * 15])
def test_a_guessable_metrics_token_is_refused(token):
    # The token is the only thing between anyone and /metrics: a short one is a guess away.
    with pytest.raises(ValidationError) as refused:
        Settings(metrics_token=token)
    assert "metrics_token" in str(refused.value)
    assert "16" in str(refused.value)


def test_a_long_metrics_token_is_taken_and_an_empty_one_means_off():
    assert Settings(metrics_token="m" * 16).metrics_token == "m" * 16
    assert Settings(metrics_token="").metrics_token is None


def test_a_wrong_setting_stops_the_command_naming_it(tmp_path):
    db = tmp_path / "untouched.db"
    done = _dossier("db", "upgrade", SQLITE_SYNCHRONOUS="OFF", DATABASE_URL=f"sqlite:///{db}")
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert lines[0].startswith("error: ")
    assert any("SQLITE_SYNCHRONOUS" in line and "FULL" in line for line in lines), done.stderr
    assert not db.exists()  # refused before the database was opened


def test_every_wrong_setting_is_named_at_once(tmp_path):
    done = _dossier(
        "serve",
        SQLITE_SYNCHRONOUS="OFF",
        METRICS_TOKEN="abc",
        DATABASE_URL=f"sqlite:///{tmp_path / 'x.db'}",
    )
    assert done.returncode == 2
    assert "SQLITE_SYNCHRONOUS" in done.stderr and "METRICS_TOKEN" in done.stderr
