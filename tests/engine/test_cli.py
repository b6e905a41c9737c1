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
