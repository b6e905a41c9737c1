"""`dossier user list | add | deactivate | reactivate | rotate` as an operator uses them, with the
API refusing the old token at once."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from api.cli import app

runner = CliRunner()


def _add(name: str, *extra: str) -> str:
    result = runner.invoke(
        app, ["user", "add", "--name", name, "--role", "police", "--territory", "51", *extra]
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1  # only the token on stdout: scripts capture it
    return lines[0]


def _me(api, token: str):
    return api.client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})


def test_add_with_contact_and_list(api):
    token = _add("Lê Văn Cường", "--email", "cuong@congan.gov.vn", "--phone", "0912345678")
    me = _me(api, token).json()
    assert me["email"] == "cuong@congan.gov.vn" and me["phone"] == "0912345678"
    result = runner.invoke(app, ["user", "list", "--role", "police"])
    assert result.exit_code == 0 and "Lê Văn Cường" in result.stdout
    listed = json.loads(runner.invoke(app, ["user", "list", "--json"]).stdout)
    assert me["id"] in [u["id"] for u in listed]
    bad = runner.invoke(
        app,
        ["user", "add", "--name", "X", "--role", "police", "--territory", "51", "--phone", "12"],
    )
    assert bad.exit_code == 2 and "Vietnamese phone" in bad.output


def test_rotate_by_name_refuses_the_old_token_at_once(api):
    old = _add("Phạm Thị Dung")
    assert _me(api, old).status_code == 200
    result = runner.invoke(app, ["user", "rotate", "Phạm Thị Dung"])
    assert result.exit_code == 0, result.output
    new = result.stdout.strip()
    refused = _me(api, old)
    assert refused.status_code == 401 and refused.json()["reason"] == "rotated"
    assert _me(api, new).status_code == 200
    trail = api.client.get(
        f"/api/v1/users/{_me(api, new).json()['id']}/trail",
        headers=api.auth(api.world.actor("province_admin", "province")),
    ).json()
    assert trail["events"][-1]["event"] == "token_rotated"
    assert trail["events"][-1]["actor_role"] == "operator"


def test_deactivate_by_id_then_reactivate(api):
    token = _add("Võ Văn Em")
    user_id = _me(api, token).json()["id"]
    result = runner.invoke(app, ["user", "deactivate", str(user_id)])
    assert result.exit_code == 0, result.output
    refused = _me(api, token)
    assert refused.status_code == 401 and refused.json()["reason"] == "deactivated"
    again = runner.invoke(app, ["user", "deactivate", str(user_id)])
    assert again.exit_code == 2 and "already deactivated" in again.output
    assert runner.invoke(app, ["user", "reactivate", str(user_id)]).exit_code == 0
    assert _me(api, token).status_code == 200
    listed = runner.invoke(app, ["user", "list", "--inactive"])
    assert "Võ Văn Em" not in listed.stdout


def test_an_ambiguous_or_unknown_name_is_a_clear_error(api):
    _add("Trùng Tên")
    _add("Trùng Tên")
    result = runner.invoke(app, ["user", "rotate", "Trùng Tên"])
    assert result.exit_code == 2 and "give the id of one of" in result.output
    result = runner.invoke(app, ["user", "deactivate", "Không Có Ai"])
    assert result.exit_code == 2 and "there is no user" in result.output


def test_audit_verify_checks_every_user_trail(api):
    from sqlalchemy import text

    from tests.conftest import ON_POSTGRES
    from workflow.db import write_transaction

    _add("Đặng Văn Giang")
    report = json.loads(runner.invoke(app, ["audit", "verify"]).stdout)
    assert report["ok"] is True and report["users_checked"] > 20
    with write_transaction() as conn:
        if ON_POSTGRES:
            conn.execute(text("SET LOCAL session_replication_role = replica"))
        else:
            conn.execute(text("DROP TRIGGER user_event_no_delete"))
        conn.execute(text("DELETE FROM user_event WHERE seq = 1 AND user_id = 1"))
    result = runner.invoke(app, ["audit", "verify"])
    report = json.loads(result.stdout)
    assert result.exit_code == 1 and report["ok"] is False
    assert [f["user_id"] for f in report["user_findings"]] == [1]
