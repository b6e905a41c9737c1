"""The users' trail: one append-only, hash-chained row per change to a user (created, role or
territory changed, contact changed, deactivated, reactivated, token rotated): who gave whom which
power, when. Chained per user with the dossiers' hashing (workflow/audit.py); the user row keeps
the chain's head, so a removed last row is noticed too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, String, insert, select, type_coerce

from workflow import jsontext
from workflow.audit import GENESIS, chain_hash
from workflow.models import AppUser, UserEvent

event_table = UserEvent.__table__
user_table = AppUser.__table__

HASHED_FIELDS = (
    "user_id",
    "seq",
    "event",
    "actor_id",
    "actor_name",
    "actor_role",
    "before",
    "after",
    "at",
    "request_id",
)

CREATED = "created"
CHANGED = "changed"
ROLE_CHANGED = "role_changed"
TERRITORY_CHANGED = "territory_changed"
CONTACT_CHANGED = "contact_changed"
DEACTIVATED = "deactivated"
REACTIVATED = "reactivated"
TOKEN_ROTATED = "token_rotated"


@dataclass(frozen=True)
class Who:
    """Who made a change: a signed-in user, or the operator at the command line (no id)."""

    id: int | None
    name: str
    role: str


def row_hash(prev_hash: str, row: dict[str, Any]) -> str:
    return chain_hash(prev_hash, {k: row[k] for k in HASHED_FIELDS})


def append(
    conn: Connection,
    *,
    user_id: int,
    seq: int,
    prev_hash: str,
    event: str,
    who: Who,
    before: dict[str, Any],
    after: dict[str, Any],
    at: datetime,
    request_id: str | None,
) -> str:
    """Insert one row in the caller's transaction (which holds the user row) and return its
    hash; the caller writes (seq, hash) as the user's new trail head in the same transaction."""
    row = {
        "user_id": user_id,
        "seq": seq,
        "event": event,
        "actor_id": who.id,
        "actor_name": who.name,
        "actor_role": who.role,
        "before": jsontext.canonical(before),
        "after": jsontext.canonical(after),
        "at": at,
        "request_id": request_id,
    }
    digest = row_hash(prev_hash, row)
    conn.execute(insert(event_table), {**row, "prev_hash": prev_hash, "hash": digest})
    return digest


@dataclass(frozen=True)
class UserFinding:
    user_id: int
    seq: int | None
    problem: str

    def as_dict(self) -> dict[str, Any]:
        return {"user_id": self.user_id, "seq": self.seq, "problem": self.problem}


def verify_user(user: dict[str, Any], rows: list[dict[str, Any]]) -> list[UserFinding]:
    uid = user["id"]
    prev = GENESIS
    for expected_seq, r in enumerate(rows, start=1):
        if r["seq"] != expected_seq:
            return [
                UserFinding(
                    uid,
                    r["seq"],
                    f"expected row {expected_seq} here, found row {r['seq']}: a row was "
                    "removed or inserted",
                )
            ]
        if r["prev_hash"] != prev:
            return [
                UserFinding(
                    uid,
                    r["seq"],
                    "the link to the previous row is broken: rows were reordered, removed or "
                    "inserted",
                )
            ]
        if row_hash(prev, r) != r["hash"]:
            return [
                UserFinding(
                    uid, r["seq"], "the row's content does not match its hash: it was edited"
                )
            ]
        prev = r["hash"]
    if len(rows) != user["trail_seq"] or prev != user["trail_head"]:
        return [
            UserFinding(
                uid,
                len(rows),
                f"the trail has {len(rows)} rows but the user records {user['trail_seq']}: rows "
                "are missing at the end, or the head was altered",
            )
        ]
    return []


_ROWS = select(
    *[type_coerce(c, String).label("at") if c.name == "at" else c for c in event_table.c]
).order_by(event_table.c.user_id, event_table.c.seq, event_table.c.id)


def verify(
    conn: Connection, user_id: int | None = None, batch: int = 1000
) -> tuple[int, list[UserFinding]]:
    """Check every user's chain (or one); returns (users checked, findings)."""
    q = select(user_table.c.id, user_table.c.trail_seq, user_table.c.trail_head).order_by(
        user_table.c.id
    )
    if user_id is not None:
        q = q.where(user_table.c.id == user_id)
    last_id, checked = 0, 0
    findings: list[UserFinding] = []
    while True:
        users = [r._asdict() for r in conn.execute(q.where(user_table.c.id > last_id).limit(batch))]
        if not users:
            return checked, findings
        ids = [u["id"] for u in users]
        trails: dict[int, list[dict[str, Any]]] = {i: [] for i in ids}
        rows = conn.execute(_ROWS.where(event_table.c.user_id.between(ids[0], ids[-1])))
        for r in rows:
            if r.user_id in trails:
                trails[r.user_id].append(dict(r._mapping))
        for u in users:
            findings.extend(verify_user(u, trails[u["id"]]))
        checked += len(users)
        last_id = ids[-1]


def trail(conn: Connection, user_id: int) -> list[dict[str, Any]]:
    rows = conn.execute(
        select(event_table).where(event_table.c.user_id == user_id).order_by(event_table.c.seq)
    )
    out = []
    for r in rows:
        row = dict(r._mapping)
        row["before"], row["after"] = jsontext.loads(row["before"]), jsontext.loads(row["after"])
        out.append(row)
    return out
