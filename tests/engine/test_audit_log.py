"""The Merkle log and its signed heads: what `dossier audit verify` catches that the chain alone
cannot (a rewrite with recomputed hashes, a cut log), on both databases."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from states.lifecycle import Event, State
from tests.conftest import ON_POSTGRES
from tests.engine.helpers import authorised_actor, payload_for, walk
from tests.factories import build_world
from tests.unit.test_merkle import mth
from workflow import audit, audit_log, checkpoints, merkle, tree_heads
from workflow import engine as wf
from workflow.db import read_connection, write_transaction
from workflow.models import AuditEvent, UserEvent, table_of
from workflow.settings import get_settings


@pytest.fixture
def signing(audit_signing):
    return audit_signing


@pytest.fixture
def world(engine):
    w = build_world()
    rep = w.actor("unit", "CQ")
    d = walk(w, w.units["CQ"], rep, State.POLICE_VERIFIED)  # the People's Committee rejects it
    actor = authorised_actor(w, d, Event.REJECT, rep)
    w.rejected = wf.fire(d["id"], Event.REJECT, actor, payload_for(Event.REJECT, d), d["version"])
    w.recognised = walk(w, w.units["KDC"], w.actor("unit", "KDC"), State.RECOGNISED)
    return w


def every_row_as_leaf() -> list[bytes]:
    """The leaf data of every audit row, in the log's order, read independently of the log."""
    with read_connection() as conn:
        order = conn.execute(text("SELECT trail, row_id FROM audit_leaf ORDER BY leaf_index")).all()
        rows = {
            ("dossier", r.id): ("dossier", r.dossier_id, r.seq, r.hash)
            for r in conn.execute(select(table_of(AuditEvent)))
        }
        rows |= {
            ("user", r.id): ("user", r.user_id, r.seq, r.hash)
            for r in conn.execute(select(table_of(UserEvent)))
        }
    return [audit_log.leaf_data(*rows[(t, i)]) for t, i in order]


def consistent(first: tree_heads.TreeHead, second: tree_heads.TreeHead, proof: list[bytes]) -> bool:
    """Does the proof show ``first``'s tree is a prefix of ``second``'s (RFC 9162 2.1.4.2)?"""
    return merkle.verify_consistency(
        first.tree_size,
        second.tree_size,
        bytes.fromhex(first.root_hash),
        bytes.fromhex(second.root_hash),
        proof,
    )


def check() -> dict:
    with read_connection() as conn:
        return checkpoints.check(conn, checkpoints.heads_dir(), checkpoints.configured_public_key())


def behind_the_engine(*statements: tuple[str, dict]) -> None:
    """What a database owner can do: switch the append-only triggers off and write."""
    with write_transaction() as conn:
        if ON_POSTGRES:
            conn.execute(text("SET LOCAL session_replication_role = replica"))
        else:
            for table in ("audit_event", "audit_leaf", "merkle_node"):
                for op in ("update", "delete"):
                    conn.execute(text(f"DROP TRIGGER IF EXISTS {table}_no_{op}"))
        for sql, params in statements:
            conn.execute(text(sql), params)


def rewrite_history(dossier_id: int, seq: int, **changes) -> None:
    """Turn one row into something else and recompute its hash and every later one with the
    project's own function, then set the dossier's head: the chain check is fooled."""
    with read_connection() as conn:
        rows = audit.trail(conn, dossier_id)
    prev = rows[seq - 2]["hash"] if seq > 1 else audit.GENESIS
    statements = []
    for r in rows[seq - 1 :]:
        if r["seq"] == seq:
            r.update(changes)
        r["prev_hash"] = prev
        r["hash"] = audit.row_hash(prev, r)
        prev = r["hash"]
        statements.append(
            (
                "UPDATE audit_event SET event = :event, to_state = :to_state, payload = :payload, "
                "actor_name = :actor_name, prev_hash = :prev_hash, hash = :hash WHERE id = :id",
                {
                    k: r[k]
                    for k in (
                        "event",
                        "to_state",
                        "payload",
                        "actor_name",
                        "prev_hash",
                        "hash",
                        "id",
                    )
                },
            )
        )
    statements.append(
        (
            "UPDATE dossier SET audit_head = :h, state = :s WHERE id = :d",
            {"h": prev, "s": rows[-1]["to_state"], "d": dossier_id},
        )
    )
    behind_the_engine(*statements)


def test_the_log_holds_every_row_of_both_trails_in_a_tree_the_rfc_would_build(world, signing):
    written = checkpoints.checkpoint()
    leaves = every_row_as_leaf()
    with read_connection() as conn:
        events = conn.execute(text("SELECT count(*) FROM audit_event")).scalar_one()
        user_rows = conn.execute(text("SELECT count(*) FROM user_event")).scalar_one()
    assert written.head.tree_size == len(leaves) == events + user_rows > 10
    assert written.head.root_hash == mth(leaves).hex()
    assert tree_heads.signature_holds(written.head, checkpoints.configured_public_key())
    saved = json.loads(written.path.read_text())
    assert saved["tree_size"] == written.head.tree_size and saved["log"] == tree_heads.LOG_ID
    report = check()
    assert report["findings"] == [] and report["rows_not_in_log"] == 0


def test_heads_taken_one_batch_at_a_time_are_consistent_with_each_other(world, signing):
    first = checkpoints.checkpoint().head
    assert checkpoints.checkpoint().path is None  # nothing new, no new head
    walk(world, world.units["DN"], world.actor("unit", "DN"), State.POLICE_VERIFIED)
    second = checkpoints.checkpoint().head
    assert second.tree_size > first.tree_size
    assert second.root_hash == mth(every_row_as_leaf()).hex()
    with read_connection() as conn:
        proof = audit_log.consistency(conn, first.tree_size, second.tree_size)
        assert audit_log.root(conn, first.tree_size).hex() == first.root_hash
    assert consistent(first, second, proof)
    assert check()["findings"] == [] and check()["heads_checked"] == 2


def test_each_row_of_a_trail_is_proven_into_the_signed_root(world, signing):
    head = checkpoints.checkpoint().head
    with read_connection() as conn:
        entries, pending = audit_log.inclusion(
            conn, "dossier", world.recognised["id"], head.tree_size
        )
        trail = audit.trail(conn, world.recognised["id"])
    assert pending == [] and [e.seq for e in entries] == [r["seq"] for r in trail]
    for e, row in zip(entries, trail, strict=True):
        recomputed = audit.row_hash(row["prev_hash"], row)  # the auditor's own reading of the row
        leaf = audit_log.leaf_of("dossier", world.recognised["id"], row["seq"], recomputed)
        got = merkle.root_from_inclusion(e.leaf_index, head.tree_size, leaf, e.audit_path)
        assert got is not None and got.hex() == head.root_hash


def test_a_rejection_rewritten_into_a_recognition_with_recomputed_hashes_is_caught(world, signing):
    checkpoints.checkpoint()
    d = world.rejected["id"]
    with read_connection() as conn:
        last = audit.trail(conn, d)[-1]
    assert last["event"] == "reject"
    rewrite_history(
        d,
        last["seq"],
        event="recognise",
        to_state="recognised",
        payload='{"decision_date":"2026-12-01","decision_no":"99/QĐ-UBND"}',
    )
    findings = check()["findings"]
    assert any("no longer matches its row" in f["problem"] for f in findings)
    assert any(f["head"] and "do not give this head's root" in f["problem"] for f in findings)


def test_a_signer_renamed_with_recomputed_hashes_fools_the_chain_but_not_the_log(world, signing):
    checkpoints.checkpoint()
    d = world.recognised["id"]
    rewrite_history(d, 5, actor_name="Chủ tịch UBND khác")
    with read_connection() as conn:
        assert audit.verify(conn, d)[1] == []  # the chain and the replay are fooled
    findings = check()["findings"]
    assert [f["leaf_index"] is not None for f in findings] == [True, True]
    assert "no longer matches its row" in findings[0]["problem"]


def test_a_rewrite_that_also_rewrites_the_log_is_caught_by_the_head(world, signing):
    head = checkpoints.checkpoint().head
    d = world.rejected["id"]
    with read_connection() as conn:
        last = audit.trail(conn, d)[-1]
    rewrite_history(d, last["seq"], event="recognise", to_state="recognised")
    with read_connection() as conn:  # the attacker rebuilds the leaves and nodes too
        rows = conn.execute(
            text(
                "SELECT l.leaf_index, a.dossier_id, a.seq, a.hash FROM audit_leaf l "
                "JOIN audit_event a ON a.id = l.row_id AND l.trail = 'dossier'"
            )
        ).all()
    fixes = [
        (
            "UPDATE audit_leaf SET hash = :h WHERE leaf_index = :i",
            {
                "h": audit_log.leaf_of("dossier", r.dossier_id, r.seq, r.hash).hex(),
                "i": r.leaf_index,
            },
        )
        for r in rows
    ]
    behind_the_engine(*fixes)
    with read_connection() as conn:
        levels = audit_log.rebuild(conn).levels
    behind_the_engine(
        *[
            (
                "UPDATE merkle_node SET hash = :h WHERE level = :l AND node_index = :i",
                {"h": levels[lv][i].hex(), "l": lv, "i": i},
            )
            for lv in range(1, len(levels))
            for i in range(len(levels[lv]))
        ]
    )
    (finding,) = check()["findings"]
    assert finding["head"] == tree_heads.file_name(head)
    assert "rewritten, removed or reordered" in finding["problem"]


def test_a_log_cut_short_is_caught(world, signing):
    head = checkpoints.checkpoint().head
    behind_the_engine(("DELETE FROM audit_leaf WHERE leaf_index >= :n", {"n": head.tree_size - 2}))
    findings = check()["findings"]
    assert any("rows were removed from the end" in f["problem"] for f in findings)


def test_a_deleted_row_the_log_covers_is_named(world, signing):
    checkpoints.checkpoint()
    d = world.recognised["id"]
    behind_the_engine(("DELETE FROM audit_event WHERE dossier_id = :d AND seq = 5", {"d": d}))
    assert any("which is gone" in f["problem"] for f in check()["findings"])


def test_an_altered_or_foreign_head_is_refused(world, signing):
    written = checkpoints.checkpoint()
    data = json.loads(written.path.read_text())
    data["tree_size"] -= 1
    written.path.write_text(json.dumps(data))
    other = tree_heads.sign(Ed25519PrivateKey.generate(), 1, b"\0" * 32, datetime.now(UTC))
    tree_heads.save(other, signing)
    problems = [f["problem"] for f in check()["findings"]]
    assert sum("signature does not hold" in p for p in problems) == 2


def test_the_log_refuses_updates_and_deletes_like_the_trail(world, signing):
    checkpoints.checkpoint()
    for sql in ("UPDATE audit_leaf SET hash = 'x'", "DELETE FROM merkle_node"):
        with pytest.raises(DBAPIError, match="append-only"), write_transaction() as conn:
            conn.execute(text(sql))


def test_without_a_key_no_head_is_signed(world, tmp_path, monkeypatch):
    monkeypatch.delenv("AUDIT_KEY_FILE", raising=False)
    get_settings.cache_clear()
    try:
        with pytest.raises(tree_heads.KeyMissing, match="dossier audit keygen"):
            checkpoints.checkpoint()
    finally:
        get_settings.cache_clear()
