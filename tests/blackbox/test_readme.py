"""The README's walkthrough, pasted into bash against `dossier run`: it must walk a dossier to
recognised and find its trail intact. A stale README fails here."""

from __future__ import annotations

import re
import subprocess

import pytest

from tests.blackbox.conftest import ROOT


def walkthrough() -> str:
    text = (ROOT / "README.md").read_text()
    block = re.search(
        r"<!-- walkthrough:begin -->\n```sh\n(.*?)```\n<!-- walkthrough:end -->", text, re.S
    )
    assert block, "README has no walkthrough block"
    return block.group(1)


@pytest.mark.slow
def test_the_readme_walkthrough_runs_against_a_real_server(server):
    url, env = server
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", walkthrough()],
        cwd=ROOT,
        env={**env, "API": url},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[:1] == ["self_scored"] and "recognised" in lines
    assert [ln.split()[1] for ln in lines if re.match(r"^\d ", ln)] == [
        "register",
        "submit_self_score",
        "commune_approve",
        "police_verify",
        "recognise",
    ]
    assert lines[-1].startswith('{"ok":true')
