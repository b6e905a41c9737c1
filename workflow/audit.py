"""The audit trail: append one hash-chained row per accepted event; verify and replay the chain.

A row's hash covers a canonical encoding of every recorded field and the previous row's hash,
so an edited, deleted, inserted or reordered row breaks the chain at that row. The dossier row
keeps the chain's head, so losing the last row is noticed too.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, insert, select

from states.lifecycle import INITIAL, State, TRANSITION_BY_EVENT, Event
from workflow.models import AuditEvent, Dossier

audit_table = AuditEvent.__table__
dossier_table = Dossier.__table__

_INSERT = insert(audit_table)  # built once: see workflow/engine.py
GENESIS = "0" * 64
REGISTER = "register"

HASHED_FIELDS = ("dossier_id", "seq", "event", "from_state", "to_state", "version", "actor_id",
                 "actor_name", "role", "payload", "reason", "at", "request_id", "rule_set_id")


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def _at_text(at: datetime) -> str:
    if at.tzinfo is not UTC:
        at = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    return at.isoformat(timespec="microseconds")


_SORTED_FIELDS = tuple(sorted(HASHED_FIELDS))
_encode = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, default=str).encode


def row_hash(prev_hash: str, record: dict[str, Any]) -> str:
    # Keys in sorted order: the same bytes as canonical_json of these fields.
    fields = {k: record[k] for k in _SORTED_FIELDS}
    fields["at"] = _at_text(fields["at"])
    return hashlib.sha256((prev_hash + _encode(fields)).encode()).hexdigest()


def append(conn: Connection, *, dossier_id: int, seq: int, prev_hash: str, event: str,
           from_state: str | None, to_state: str | None, version: int, actor_id: int | None,
           actor_name: str, role: str, payload: dict[str, Any], reason: str | None,
           at: datetime, request_id: str | None, rule_set_id: int) -> str:
    """Insert one audit row in the caller's transaction and return its hash."""
    record = dict(dossier_id=dossier_id, seq=seq, event=event, from_state=from_state,
                  to_state=to_state, version=version, actor_id=actor_id, actor_name=actor_name,
                  role=role, payload=canonical_json(payload), reason=reason,
                  at=at, request_id=request_id,
                  rule_set_id=rule_set_id)
    digest = row_hash(prev_hash, record)
    conn.execute(_INSERT, {**record, "prev_hash": prev_hash, "hash": digest})
    return digest


@dataclass(frozen=True)
class Finding:
    dossier_id: int
    seq: int | None
    problem: str

    def as_dict(self) -> dict[str, Any]:
        return {"dossier_id": self.dossier_id, "seq": self.seq, "problem": self.problem}


def _replay(rows: list[dict[str, Any]]) -> tuple[str | None, int]:
    """Rebuild (state, version) from the trail alone, using the lifecycle table."""
    state: str | None = None
    version = 0
    for r in rows:
        if r["event"] == REGISTER:
            state, version = INITIAL.value, 1
        elif r["event"] in Event._value2member_map_:
            t = TRANSITION_BY_EVENT[Event(r["event"])]
            if state is None or State(state) not in t.sources:
                return None, -1
            state, version = t.dest.value, version + 1
    return state, version


def verify_dossier(dossier: dict[str, Any], rows: list[dict[str, Any]]) -> list[Finding]:
    did = dossier["id"]
    findings: list[Finding] = []
    prev = GENESIS
    for expected_seq, r in enumerate(rows, start=1):
        if r["seq"] != expected_seq:
            findings.append(Finding(did, r["seq"], f"expected row {expected_seq} here, found "
                                                   f"row {r['seq']}: a row was removed or inserted"))
            break
        if r["prev_hash"] != prev:
            findings.append(Finding(did, r["seq"], "the link to the previous row is broken: "
                                                   "rows were reordered, removed or inserted"))
            break
        if row_hash(prev, r) != r["hash"]:
            findings.append(Finding(did, r["seq"], "the row's content does not match its hash: "
                                                   "it was edited"))
            break
        prev = r["hash"]
    if findings:
        return findings
    if len(rows) != dossier["audit_seq"] or prev != dossier["audit_head"]:
        findings.append(Finding(did, len(rows), f"the trail has {len(rows)} rows but the dossier "
                                                f"records {dossier['audit_seq']}: rows are missing "
                                                "at the end, or the head was altered"))
        return findings
    state, version = _replay(rows)
    if state != dossier["state"] or version != dossier["version"]:
        findings.append(Finding(did, None, f"replaying the trail gives state {state} version "
                                           f"{version}, the dossier says {dossier['state']} "
                                           f"version {dossier['version']}"))
    return findings


_TRAIL_COLUMNS = [audit_table.c[name] for name in ("dossier_id", *HASHED_FIELDS[1:], "prev_hash", "hash")]


def verify(conn: Connection, dossier_id: int | None = None, batch: int = 500) -> tuple[int, list[Finding]]:
    """Check every dossier's chain (or one); returns (dossiers checked, findings)."""
    q = select(dossier_table.c.id, dossier_table.c.state, dossier_table.c.version,
               dossier_table.c.audit_seq, dossier_table.c.audit_head).order_by(dossier_table.c.id)
    if dossier_id is not None:
        q = q.where(dossier_table.c.id == dossier_id)
    checked = 0
    findings: list[Finding] = []
    last_id = 0
    while True:
        dossiers = [dict(r._mapping) for r in conn.execute(
            q.where(dossier_table.c.id > last_id).limit(batch))]
        if not dossiers:
            break
        ids = [d["id"] for d in dossiers]
        trails: dict[int, list[dict[str, Any]]] = {i: [] for i in ids}
        rows = conn.execute(select(*_TRAIL_COLUMNS).where(audit_table.c.dossier_id.in_(ids))
                            .order_by(audit_table.c.dossier_id, audit_table.c.seq, audit_table.c.id))
        for r in rows:
            trails[r.dossier_id].append(r._asdict())
        for d in dossiers:
            findings.extend(verify_dossier(d, trails[d["id"]]))
        checked += len(dossiers)
        last_id = ids[-1]
    return checked, findings


def trail(conn: Connection, dossier_id: int) -> list[dict[str, Any]]:
    rows = conn.execute(select(audit_table).where(audit_table.c.dossier_id == dossier_id)
                        .order_by(audit_table.c.seq))
    return [dict(r._mapping) for r in rows]
