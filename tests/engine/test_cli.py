"""The `dossier` command as an operator uses it."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from api.cli import app
from states.lifecycle import State
from tests.engine.helpers import walk
from tests.factories import build_world
from workflow.users import authenticate

runner = CliRunner()


def test_user_add_prints_a_working_token_once(engine):
    world = build_world()
    result = runner.invoke(
        app,
        [
            "user",
            "add",
            "--name",
            "Nguyễn Văn A",
            "--role",
            "police",
            "--territory",
            str(world.commune),
        ],
    )
    assert result.exit_code == 0, result.output
    token = result.stdout.strip().splitlines()[-1]
    actor = authenticate(token)
    assert (
        actor is not None and actor.commune_code == world.commune and actor.role.value == "police"
    )


def test_user_add_refuses_a_commune_role_on_a_province(engine):
    result = runner.invoke(
        app, ["user", "add", "--name", "X", "--role", "commune_reviewer", "--territory", "51"]
    )
    assert result.exit_code == 2 and "commune" in result.output


def test_audit_verify_reports_ok_then_exit_code_on_damage(engine):
    world = build_world()
    walk(world, world.units["KDC"], world.actor("unit", "KDC"), State.COMMUNE_REVIEWED)
    result = runner.invoke(app, ["audit", "verify"])
    assert result.exit_code == 0 and json.loads(result.stdout)["ok"] is True


def test_demo_walks_dossiers_into_every_open_and_closed_state(engine):
    result = runner.invoke(app, ["demo", "--year", "2026"])
    assert result.exit_code == 0, result.output
    from sqlalchemy import text

    from workflow.db import read_connection

    with read_connection() as conn:
        states = {r[0] for r in conn.execute(text("SELECT DISTINCT state FROM dossier"))}
    assert states == {s.value for s in State}
    again = runner.invoke(app, ["demo", "--if-empty"])
    assert "already has data" in again.output


def test_audit_keygen_checkpoint_and_verify_catch_a_rewritten_history(
    engine, tmp_path, monkeypatch
):
    from tests.engine.test_audit_log import rewrite_history
    from workflow.settings import get_settings

    key = tmp_path / "keys" / "audit.pem"
    made = runner.invoke(app, ["audit", "keygen", "--out", str(key)])
    assert made.exit_code == 0, made.output
    assert key.stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "keys" / "audit.pem.pub").read_bytes().startswith(b"-----BEGIN PUBLIC KEY")
    again = runner.invoke(app, ["audit", "keygen", "--out", str(key)])
    assert again.exit_code == 2 and "never overwritten" in again.output

    monkeypatch.setenv("AUDIT_HEADS_DIR", str(tmp_path / "heads"))
    monkeypatch.delenv("AUDIT_KEY_FILE", raising=False)
    get_settings.cache_clear()
    try:
        unsigned = runner.invoke(app, ["audit", "checkpoint"])
        assert unsigned.exit_code == 2 and "AUDIT_KEY_FILE" in unsigned.output
        monkeypatch.setenv("AUDIT_KEY_FILE", str(key))
        get_settings.cache_clear()
        world = build_world()
        d = walk(world, world.units["KDC"], world.actor("unit", "KDC"), State.RECOGNISED)
        head = json.loads(runner.invoke(app, ["audit", "checkpoint"]).stdout)
        assert head["tree_size"] > 5 and head["file"].startswith(str(tmp_path / "heads"))
        ok = json.loads(runner.invoke(app, ["audit", "verify"]).stdout)
        assert ok["ok"] and ok["log"]["heads_checked"] == 1 and ok["log"]["findings"] == []

        # the auditor's own copy of the heads and the public key, away from the server
        copy = tmp_path / "auditor"
        copy.mkdir()
        for f in (tmp_path / "heads").iterdir():
            (copy / f.name).write_bytes(f.read_bytes())
        rewrite_history(d["id"], 5, actor_name="Chủ tịch UBND khác")
        caught = runner.invoke(
            app, ["audit", "verify", "--heads", str(copy), "--public-key", f"{key}.pub"]
        )
        assert caught.exit_code == 1
        report = json.loads(caught.stdout)
        bad_key = runner.invoke(app, ["audit", "verify", "--public-key", str(copy / "none.pub")])
        assert bad_key.exit_code == 2 and "public key cannot be read" in bad_key.output
        assert report["findings"] == []  # the chain and the replay are fooled, not the log
        assert any("head's root" in f["problem"] for f in report["log"]["findings"])
    finally:
        get_settings.cache_clear()
