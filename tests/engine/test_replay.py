"""Full replay: every column of a dossier an event determines is rebuilt from its trail, and a
column changed behind the engine is named by `dossier audit verify` (workflow/replay.py)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from api.cli import app
from scheduler.sweep import sweep
from states.lifecycle import Event, State
from tests.conftest import ON_POSTGRES
from tests.engine.helpers import (
    authorised_actor,
    enable_revocation,
    payload_for,
    register_at,
    walk,
)
from tests.factories import build_world
from workflow import audit, replay
from workflow import engine as wf
from workflow.db import read_connection, write_transaction
from workflow.models import Dossier
from workflow.units import create_unit

runner = CliRunner()


def fire_all(world, d, rep, events, now=None):
    for event in events:
        actor = authorised_actor(world, d, event, rep)
        d = wf.fire(d["id"], event, actor, payload_for(event, d), d["version"], now=now)
    return d


@pytest.fixture
def paths(engine):
    """Dossiers taken through every event there is: returns from two steps and resubmissions,
    a recognition then its revocation, a rejection with a score sheet, escalations of two steps
    by the sweep, a withdrawal, and the default walks of a KDC (households) and an XA."""
    world = build_world()
    enable_revocation()
    dn_rep, cq_rep, kdc_rep = (world.actor("unit", k) for k in ("DN", "CQ", "KDC"))
    submit, approve, verify, back = (
        Event.SUBMIT_SELF_SCORE,
        Event.COMMUNE_APPROVE,
        Event.POLICE_VERIFY,
        Event.RETURN_FOR_REVISION,
    )
    revoked = fire_all(
        world,
        register_at(world.units["DN"], dn_rep),
        dn_rep,
        [submit, back, submit, approve, verify, back, submit, approve, verify, Event.RECOGNISE],
    )
    revoked = fire_all(world, revoked, dn_rep, [Event.REVOKE])
    rejected = fire_all(
        world, register_at(world.units["CQ"], cq_rep), cq_rep, [submit, approve, verify]
    )
    rejected = fire_all(world, rejected, cq_rep, [Event.REJECT])
    withdrawn = register_at(world.units["CSGD"], world.actor("unit", "CSGD"))
    sweep(datetime(2026, 11, 20, 2, 0, tzinfo=UTC))  # its registered step, long overdue
    withdrawn = fire_all(world, wf.get(withdrawn["id"]), world.actor("unit", "CSGD"), [submit])
    sweep(datetime.now(UTC) + timedelta(days=90))  # the review step it opened
    withdrawn = fire_all(
        world, wf.get(withdrawn["id"]), world.actor("unit", "CSGD"), [Event.WITHDRAW]
    )
    recognised = walk(world, world.units["KDC"], kdc_rep, State.RECOGNISED)
    commune = walk(world, world.units["XA"], world.actor("unit", "XA"), State.POLICE_VERIFIED)
    spare = create_unit(
        subject_type="DN", commune_code=world.commune, name="Spare", managing_level="province"
    )
    return (
        world,
        {
            "revoked": wf.get(revoked["id"]),
            "rejected": wf.get(rejected["id"]),
            "withdrawn": wf.get(withdrawn["id"]),
            "recognised": wf.get(recognised["id"]),
            "commune": wf.get(commune["id"]),
        },
        spare,
    )


def verify_cli() -> tuple[int, dict]:
    result = runner.invoke(app, ["audit", "verify"])
    return result.exit_code, json.loads(result.stdout)


def test_the_replayed_columns_are_every_column_of_the_dossier():
    """A new column is either replayed or named here as the chain's own."""
    columns = {c.name for c in Dossier.__table__.columns}
    assert set(replay.COLUMNS) == columns - {"id", "audit_seq", "audit_head"}
    assert len(set(replay.COLUMNS)) == len(replay.COLUMNS)
    assert set(replay.COLUMNS) | {"audit_seq", "audit_head"} >= wf.WRITABLE


def test_every_path_replays_to_no_finding(paths):
    _, dossiers, _ = paths
    assert {k: d["state"] for k, d in dossiers.items()} == {
        "revoked": "revoked",
        "rejected": "rejected",
        "withdrawn": "withdrawn",
        "recognised": "recognised",
        "commune": "police_verified",
    }
    with read_connection() as conn:
        events = {r["event"] for d in dossiers.values() for r in audit.trail(conn, d["id"])}
    assert events == {"register", "escalate", *(e.value for e in Event)}
    # What replay checks is there to check: a decision, a class, returns, a withdrawal.
    revoked, rejected, withdrawn = (dossiers[k] for k in ("revoked", "rejected", "withdrawn"))
    assert revoked["decision_no"] and revoked["classification"] and revoked["total_score"]
    assert revoked["returns"] == {"self_scored": 1, "police_verified": 1}
    assert rejected["classification"] is not None and withdrawn["withdrawn_at"] is not None
    code, report = verify_cli()
    assert (code, report["findings"]) == (0, [])


def test_the_register_event_records_what_the_dossier_takes_from_its_unit(paths):
    world, dossiers, _ = paths
    d = dossiers["recognised"]
    with read_connection() as conn:
        first = audit.trail(conn, d["id"])[0]
    payload = json.loads(first["payload"])
    assert payload[replay.RECORDED] == {c: d[c] for c in replay.RECORDED_COLUMNS}
    assert payload["households"]  # the request's own fields are kept beside it


# For each column, a change behind the engine, and the dossier it is made on.
CHANGES = {
    "state": ("'rejected'", "revoked"),
    "version": ("version + 1", "revoked"),
    "rule_set_id": (
        "(SELECT min(r.id) FROM rule_set r WHERE r.id <> dossier.rule_set_id)",
        "revoked",
    ),
    "unit_id": (":spare", "revoked"),
    "year": ("year + 1", "revoked"),
    "subject_type": ("'CQ'", "revoked"),
    "managing_level": ("'commune'", "revoked"),
    "province_code": ("1", "revoked"),
    "commune_code": (":other_commune", "recognised"),  # into another commune's territory
    "created_at": ("'2026-01-05 03:00:00.000000'", "revoked"),
    "updated_at": ("'2026-01-05 03:00:00.000000'", "revoked"),
    "step_opened_at": ("'2026-01-05 03:00:00.000000'", "commune"),
    "step_seq": ("step_seq + 1", "revoked"),
    "due_at": ("'2026-12-30 16:59:59.000000'", "commune"),
    "step_opened_late": ("NOT step_opened_late", "commune"),
    "escalation_level": ("escalation_level + 1", "commune"),
    "next_escalation_at": ("'2026-12-30 01:00:00.000000'", "commune"),
    "returns": ("'{\"self_scored\": 0}'", "revoked"),
    "assessment": ("'{\"forged\": true}'", "revoked"),
    "verified_assessment": ("'{\"forged\": true}'", "revoked"),
    "self_scores": ("'{\"forged\": 1}'", "revoked"),
    "verified_scores": ("'{\"forged\": 1}'", "revoked"),
    "total_score": ("total_score + 10", "revoked"),
    "classification": ("'forged'", "rejected"),
    "decision_no": ("'999/QĐ-GIẢ'", "revoked"),
    "decision_date": ("'2026-01-02'", "revoked"),
    "last_reason": ("'forged'", "rejected"),
    "withdrawn_at": ("'2026-06-01 00:00:00.000000'", "revoked"),
}


def test_every_replayed_column_has_a_change_to_catch():
    assert set(CHANGES) == set(replay.COLUMNS)


@pytest.mark.parametrize("column", list(CHANGES))
def test_a_column_changed_behind_the_engine_is_named(paths, column):
    world, dossiers, spare = paths
    value, target = CHANGES[column]
    d = dossiers[target]
    with write_transaction() as conn:
        changed = conn.execute(
            text(f"UPDATE dossier SET {column} = {value} WHERE id = :d"),
            {"d": d["id"], "spare": spare["id"], "other_commune": world.other_commune},
        ).rowcount
    assert changed == 1 and wf.get(d["id"])[column] != d[column]
    code, report = verify_cli()
    assert code == 1
    (finding,) = report["findings"]
    assert (finding["dossier_id"], finding["column"]) == (d["id"], column)
    assert f"column {column}:" in finding["problem"] and "last set by row" in finding["problem"]
    assert 1 <= finding["seq"] <= d["audit_seq"]


def test_the_row_that_last_set_a_column_is_named(paths):
    _, dossiers, _ = paths
    d = dossiers["revoked"]
    with write_transaction() as conn:
        conn.execute(
            text("UPDATE dossier SET decision_no = 'x', commune_code = 1 WHERE id = :d"),
            {"d": d["id"]},
        )
    with read_connection() as conn:
        events = {r["seq"]: r["event"] for r in audit.trail(conn, d["id"])}
        found = {f.column: f for f in audit.verify(conn, d["id"])[1]}
    assert set(found) == {"decision_no", "commune_code"}
    assert events[found["decision_no"].seq] == "recognise"
    assert found["commune_code"].seq == 1 and events[1] == "register"
    assert repr(d["decision_no"]) in found["decision_no"].problem  # what the trail gives


def rewrite_trail(dossier_id: int, edit) -> None:
    """Rewrite a trail past the append-only trigger and recompute every hash and the head, as
    someone with the project's code and the database's write access would."""
    with write_transaction() as conn:
        if ON_POSTGRES:
            conn.execute(text("SET LOCAL session_replication_role = replica"))
        else:
            conn.execute(text("DROP TRIGGER IF EXISTS audit_event_no_update"))
        rows = [dict(r) for r in audit.trail(conn, dossier_id)]
        prev = audit.GENESIS
        for r in rows:
            edit(r)
            r["prev_hash"], r["hash"] = prev, audit.row_hash(prev, r)
            prev = r["hash"]
            conn.execute(
                text(
                    "UPDATE audit_event SET payload = :payload, prev_hash = :prev_hash, hash = :hash WHERE id = :id"
                ),
                r,
            )
        conn.execute(
            text("UPDATE dossier SET audit_head = :h WHERE id = :d"), {"h": prev, "d": dossier_id}
        )


def test_a_trail_from_before_registration_recorded_its_unit_replays_without_false_findings(paths):
    """A legacy register payload: the unit's columns are unknown to replay, not different; the
    rest is still checked, and so are the year and subject type (by the rule set)."""
    _, dossiers, _ = paths
    d = dossiers["revoked"]

    def legacy(row):
        if row["seq"] == 1:
            payload = json.loads(row["payload"])
            del payload[replay.RECORDED]
            row["payload"] = audit.canonical_json(payload)

    rewrite_trail(d["id"], legacy)
    with read_connection() as conn:
        assert audit.verify(conn)[1] == []
    with write_transaction() as conn:
        conn.execute(
            text(
                "UPDATE dossier SET commune_code = 1, decision_no = 'x', year = year + 1 WHERE id = :d"
            ),
            {"d": d["id"]},
        )
    with read_connection() as conn:
        assert {f.column for f in audit.verify(conn)[1]} == {"decision_no", "year"}


def test_a_forged_row_that_cannot_be_replayed_is_a_finding_not_an_error(paths):
    _, dossiers, _ = paths
    d = dossiers["revoked"]
    with read_connection() as conn:
        recognise = next(r["seq"] for r in audit.trail(conn, d["id"]) if r["event"] == "recognise")

    def forged(row):
        if row["seq"] == recognise:
            row["payload"] = "{}"

    rewrite_trail(d["id"], forged)
    with read_connection() as conn:
        (f,) = audit.verify(conn)[1]
    assert (f.dossier_id, f.seq, f.column) == (d["id"], recognise, None)
    assert "cannot be replayed" in f.problem
