"""The audit log over HTTP, checked the way an outside auditor would: copy the signed heads
(no sign-in), fetch a dossier's trail and its inclusion proof, recompute every hash, check the
signature with the published key."""

from __future__ import annotations

import base64

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from states.lifecycle import State
from tests.api.helpers import walk
from tests.engine.test_audit_log import consistent, every_row_as_leaf
from tests.unit.test_merkle import mth
from workflow import audit, audit_log, checkpoints, jsontext, merkle


@pytest.fixture
def signed(api, audit_signing):
    return api


def _heads(api, **params):
    r = api.client.get("/api/v1/audit/checkpoints", params=params)
    assert r.status_code == 200, r.text
    return r.json()


def _signature_holds(public_key_b64: str, head: dict) -> bool:
    key = Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key_b64))
    signed_bytes = jsontext.canonical_utf8(
        {k: head[k] for k in ("log", "tree_size", "root_hash", "timestamp", "key_id")}
    )
    try:
        key.verify(base64.b64decode(head["signature"]), signed_bytes)
    except InvalidSignature:
        return False
    return True


def test_anyone_copies_the_heads_and_an_auditor_proves_a_trail_into_one(signed):
    api = signed
    d = walk(api, "KDC", State.RECOGNISED)
    assert _heads(api)["heads"] == []
    checkpoints.checkpoint()
    listing = _heads(api)  # no Authorization header
    (head,) = listing["heads"]
    assert _signature_holds(listing["public_key"], head)

    auditor = api.auth(api.world.actor("auditor"))
    trail = api.client.get(f"/api/v1/dossiers/{d['id']}/audit", headers=auditor).json()
    r = api.client.get(f"/api/v1/dossiers/{d['id']}/audit/proof", headers=auditor)
    assert r.status_code == 200, r.text
    proof = r.json()
    assert proof["tree_head"] == head and proof["pending"] == []
    assert [e["seq"] for e in proof["entries"]] == [row["seq"] for row in trail]
    prev = audit.GENESIS
    for entry, row in zip(proof["entries"], trail, strict=True):
        fields = {**row, "payload": jsontext.canonical(row["payload"]), "dossier_id": d["id"]}
        assert audit.row_hash(prev, fields) == row["hash"] == entry["hash"]
        prev = row["hash"]
        leaf = merkle.leaf_hash(jsontext.canonical_utf8(entry["leaf"]))
        assert entry["leaf"] == {
            "trail": "dossier",
            "owner": d["id"],
            "seq": row["seq"],
            "hash": row["hash"],
        }
        path = [bytes.fromhex(p) for p in entry["audit_path"]]
        got = merkle.root_from_inclusion(entry["leaf_index"], head["tree_size"], leaf, path)
        assert got is not None and got.hex() == head["root_hash"]


def test_rows_after_the_head_are_pending_and_heads_are_consistent(signed):
    api = signed
    d = walk(api, "KDC", State.SELF_SCORED)
    first = checkpoints.checkpoint().head
    d = walk(api, "CQ", State.COMMUNE_REVIEWED)
    reviewer = api.auth(api.world.actor("commune_reviewer"))
    r = api.client.get(f"/api/v1/dossiers/{d['id']}/audit/proof", headers=reviewer)
    assert r.status_code == 200 and r.json()["entries"] == [] and r.json()["pending"] == [1, 2, 3]
    second = checkpoints.checkpoint().head
    assert [h["tree_size"] for h in _heads(api)["heads"]] == [first.tree_size, second.tree_size]
    assert [h["tree_size"] for h in _heads(api, after=first.tree_size)["heads"]] == [
        second.tree_size
    ]
    r = api.client.get(
        "/api/v1/audit/consistency", params={"first": first.tree_size, "second": second.tree_size}
    )
    assert r.status_code == 200, r.text
    proof = [bytes.fromhex(p) for p in r.json()["proof"]]
    assert consistent(first, second, proof)
    r = api.client.get(
        f"/api/v1/dossiers/{d['id']}/audit/proof",
        params={"tree_size": first.tree_size},
        headers=reviewer,
    )
    assert r.json()["tree_head"]["tree_size"] == first.tree_size and r.json()["pending"] == [
        1,
        2,
        3,
    ]


def test_a_proof_before_any_head_or_for_an_unknown_size_says_what_to_do(signed):
    api = signed
    d = walk(api, "KDC", State.REGISTERED)
    auth = api.auth(api.world.actor("commune_reviewer"))
    r = api.client.get(f"/api/v1/dossiers/{d['id']}/audit/proof", headers=auth)
    assert r.status_code == 409 and "dossier audit checkpoint" in r.json()["detail"]
    head = checkpoints.checkpoint().head
    r = api.client.get(
        f"/api/v1/dossiers/{d['id']}/audit/proof",
        params={"tree_size": head.tree_size + 1},
        headers=auth,
    )
    assert r.status_code == 422 and "/api/v1/audit/checkpoints" in r.text
    for params in (
        {"first": 2, "second": 1},
        {"first": 1, "second": head.tree_size + 1},
        {"first": 0, "second": 1},
        {"first": 1},
        {"first": 1, "second": 2, "x": 1},
    ):
        r = api.client.get("/api/v1/audit/consistency", params=params)
        assert r.status_code == 422, (params, r.text)
        assert r.headers["content-type"] == "application/problem+json"


def test_the_stored_nodes_give_the_same_root_as_the_rfc(signed):
    api = signed
    for key in ("KDC", "CQ", "DN"):
        walk(api, key, State.SELF_SCORED)
        checkpoints.checkpoint()
    from workflow.db import read_connection

    leaves = every_row_as_leaf()
    with read_connection() as conn:
        for size in range(1, len(leaves) + 1):
            assert audit_log.root(conn, size) == mth(leaves[:size])
