"""The audit trail: append one hash-chained row per accepted event; verify the chain, then replay
it to every column of the dossier (workflow/replay.py).

A row's hash covers a canonical encoding of every recorded field and the previous row's hash,
so an edited, deleted, inserted or reordered row breaks the chain at that row. The dossier row
keeps the chain's head, so losing the last row is noticed too.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, String, bindparam, insert, select, type_coerce
from sqlalchemy.exc import NoResultFound

from states.rulesets import RuleSet
from workflow import jsontext, replay, rulesets
from workflow.models import AuditEvent, Dossier, table_of
from workflow.prepared import Prepared, utc_text

audit_table = table_of(AuditEvent)
dossier_table = table_of(Dossier)

GENESIS = "0" * 64
REGISTER = replay.REGISTER

HASHED_FIELDS = (
    "dossier_id",
    "seq",
    "event",
    "from_state",
    "to_state",
    "version",
    "actor_id",
    "actor_name",
    "role",
    "payload",
    "reason",
    "at",
    "request_id",
    "rule_set_id",
)

AUDIT_COLUMNS = (*HASHED_FIELDS, "prev_hash", "hash")
INSERT = Prepared(
    insert(audit_table).values(  # built once: see workflow/prepared.py
        {name: bindparam(name) for name in AUDIT_COLUMNS}
    )
)


canonical_json = jsontext.canonical


def _at_text(at: datetime | str) -> str:
    """The hashed text of a time: '2026-03-02T02:00:00.000000+00:00'. SQLite's stored text of a
    naive UTC time ('2026-03-02 02:00:00.000000') is rewritten without parsing (verify reads a
    million of them); a datetime goes through that same text (``prepared.utc_text``, which
    remembers the recent ones)."""
    text = at if isinstance(at, str) and len(at) == 26 and at[10] == " " else utc_text(_utc(at))
    return f"{text[:10]}T{text[11:]}+00:00"


def _utc(at: datetime | str) -> datetime:
    if isinstance(at, str):
        at = datetime.fromisoformat(at)
    if at.tzinfo is UTC:
        return at
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def row_hash(prev_hash: str, record: dict[str, Any]) -> str:
    """SHA-256 of the previous hash and the canonical JSON of the hashed fields (UTF-8)."""
    fields = {k: record[k] for k in HASHED_FIELDS}
    fields["at"] = _at_text(fields["at"])
    return _digest(prev_hash, fields)


def _digest(prev_hash: str, fields: dict[str, Any]) -> str:
    return hashlib.sha256(prev_hash.encode() + jsontext.canonical_utf8(fields)).hexdigest()


def chain_hash(prev_hash: str, fields: dict[str, Any]) -> str:
    """The hash of one row of another trail (the users' trail, workflow/user_trail.py): the same
    encoding and the same time text as a dossier's row, over the fields that trail records."""
    return _digest(prev_hash, {**fields, "at": _at_text(fields["at"])})


def record(
    *,
    dossier_id: int,
    seq: int,
    prev_hash: str,
    event: str,
    from_state: str | None,
    to_state: str | None,
    version: int,
    actor_id: int | None,
    actor_name: str,
    role: str,
    payload: dict[str, Any],
    reason: str | None,
    at: datetime,
    request_id: str | None,
    rule_set_id: int,
) -> tuple[dict[str, Any], str]:
    """The audit row to insert (every column of ``AUDIT_COLUMNS``) and its hash: ``row_hash``
    of that row, with the hashed fields built once (tests/engine/test_audit.py holds them equal)."""
    fields = dict(
        dossier_id=dossier_id,
        seq=seq,
        event=event,
        from_state=from_state,
        to_state=to_state,
        version=version,
        actor_id=actor_id,
        actor_name=actor_name,
        role=role,
        payload=canonical_json(payload),
        reason=reason,
        at=_at_text(at),
        request_id=request_id,
        rule_set_id=rule_set_id,
    )
    digest = _digest(prev_hash, fields)
    return {**fields, "at": at, "prev_hash": prev_hash, "hash": digest}, digest


def append(conn: Connection, **fields: Any) -> str:
    """Insert one audit row in the caller's transaction and return its hash."""
    row, digest = record(**fields)
    INSERT.execute(conn, row)
    return digest


_PREFIX = "a_"  # the audit row's parameters beside the dossier's in one statement


def insert_after(moved):
    """Postgres: INSERT the audit row (its parameters as ``with_row`` names them) for each row
    the data-modifying CTE ``moved`` returned, so that the row exists exactly when the dossier
    moved (workflow/engine.py, workflow/registration.py). The psycopg dialect renders each
    typed parameter with its cast."""
    values = [
        moved.c.id if c == "dossier_id" else bindparam(_PREFIX + c, type_=audit_table.c[c].type)
        for c in AUDIT_COLUMNS
    ]
    return insert(audit_table).from_select(list(AUDIT_COLUMNS), select(*values).select_from(moved))


def with_row(params: dict[str, Any], row: dict[str, Any]) -> dict[str, Any]:
    """The parameters of an ``insert_after`` statement: the dossier's and the audit row's."""
    return {**params, **{_PREFIX + k: v for k, v in row.items()}}


@dataclass(frozen=True)
class Finding:
    dossier_id: int
    seq: int | None
    problem: str
    column: str | None = None  # the dossier's column that replay found different

    def as_dict(self) -> dict[str, Any]:
        return {
            "dossier_id": self.dossier_id,
            "seq": self.seq,
            "problem": self.problem,
            "column": self.column,
        }


def verify_dossier(
    dossier: dict[str, Any],
    rows: list[dict[str, Any]],
    rules_of: Callable[[int], RuleSet | None],
) -> list[Finding]:
    """The chain of ``rows`` (the dossier's whole trail, in order), then, if it holds, the full
    replay of every column of ``dossier`` (workflow/replay.py)."""
    did = dossier["id"]
    findings: list[Finding] = []
    prev = GENESIS
    for expected_seq, r in enumerate(rows, start=1):
        if r["seq"] != expected_seq:
            findings.append(
                Finding(
                    did,
                    r["seq"],
                    f"expected row {expected_seq} here, found "
                    f"row {r['seq']}: a row was removed or inserted",
                )
            )
            break
        if r["prev_hash"] != prev:
            findings.append(
                Finding(
                    did,
                    r["seq"],
                    "the link to the previous row is broken: "
                    "rows were reordered, removed or inserted",
                )
            )
            break
        if row_hash(prev, r) != r["hash"]:
            findings.append(
                Finding(did, r["seq"], "the row's content does not match its hash: it was edited")
            )
            break
        prev = r["hash"]
    if findings:
        return findings
    if len(rows) != dossier["audit_seq"] or prev != dossier["audit_head"]:
        findings.append(
            Finding(
                did,
                len(rows),
                f"the trail has {len(rows)} rows but the dossier "
                f"records {dossier['audit_seq']}: rows are missing "
                "at the end, or the head was altered",
            )
        )
        return findings
    return [
        Finding(did, d.seq, f"replaying the trail: {d.problem}", d.column)
        for d in replay.replay(dossier, rows, rules_of)
    ]


def _rules_of(conn: Connection) -> Callable[[int], RuleSet | None]:
    """Rule sets by id, parsed once each (``rulesets.load`` keeps them); None for an id that
    names no rule set (a forged row)."""

    def rules_of(rule_set_id: int) -> RuleSet | None:
        try:
            return rulesets.load(conn, rule_set_id)
        except NoResultFound:
            return None

    return rules_of


_TRAIL_COLUMNS = [
    audit_table.c[name] for name in ("dossier_id", *HASHED_FIELDS[1:], "prev_hash", "hash")
]
# Read on the driver's cursor (workflow/prepared.py): a million rows through SQLAlchemy's row
# objects cost more than hashing them.
_TRAILS = Prepared(
    select(*[type_coerce(c, String).label("at") if c.name == "at" else c for c in _TRAIL_COLUMNS])
    .where(audit_table.c.dossier_id.between(bindparam("lo"), bindparam("hi")))
    .order_by(audit_table.c.dossier_id, audit_table.c.seq, audit_table.c.id)
)


# Every column (replay compares them), a batch of ids at a time, on the driver's cursor.
_DOSSIERS = Prepared(
    select(dossier_table)
    .where(dossier_table.c.id > bindparam("after"), dossier_table.c.id <= bindparam("upto"))
    .order_by(dossier_table.c.id)
    .limit(bindparam("batch"))
)
_NO_ID = 2**31 - 1  # the largest id an INTEGER column holds


def verify(
    conn: Connection,
    dossier_id: int | None = None,
    batch: int = 1000,
    id_range: tuple[int, int] | None = None,
) -> tuple[int, list[Finding]]:
    """Check every dossier's chain (or one, or ids in [lo, hi]); returns (checked, findings)."""
    last_id, upto = 0, _NO_ID
    if dossier_id is not None:
        last_id, upto = dossier_id - 1, dossier_id
    elif id_range is not None:
        last_id, upto = id_range[0] - 1, id_range[1]
    checked = 0
    findings: list[Finding] = []
    rules_of = _rules_of(conn)
    while True:
        dossiers = _DOSSIERS.all(conn, {"after": last_id, "upto": upto, "batch": batch})
        if not dossiers:
            break
        ids = [d["id"] for d in dossiers]
        trails: dict[int, list[dict[str, Any]]] = {i: [] for i in ids}
        for r in _TRAILS.all(conn, {"lo": ids[0], "hi": ids[-1]}):
            trail_of = trails.get(r["dossier_id"])
            if trail_of is not None:
                trail_of.append(r)
        for d in dossiers:
            findings.extend(verify_dossier(d, trails[d["id"]], rules_of))
        checked += len(dossiers)
        last_id = ids[-1]
    return checked, findings


def _verify_range(url: str, lo: int, hi: int) -> tuple[int, list[Finding]]:
    from workflow.db import make_engine, read_connection

    engine = make_engine(url)
    try:
        with read_connection(engine) as conn:
            return verify(conn, id_range=(lo, hi))
    finally:
        engine.dispose()


def verify_parallel(engine, workers: int | None = None) -> tuple[int, list[Finding]]:
    """``verify`` over every dossier, split by id range across processes: each chain is checked
    on its own, so the work divides cleanly over the cores."""
    import os
    from concurrent.futures import ProcessPoolExecutor

    from sqlalchemy import func

    workers = workers or os.cpu_count() or 1
    with engine.connect() as conn:
        lo, hi = conn.execute(
            select(func.min(dossier_table.c.id), func.max(dossier_table.c.id))
        ).one()
    if lo is None:
        return 0, []
    if workers == 1 or hi - lo < 10_000:
        with engine.connect() as conn:
            return verify(conn)
    step = (hi - lo) // workers + 1
    ranges = [(lo + k * step, min(hi, lo + (k + 1) * step - 1)) for k in range(workers)]
    url = engine.url.render_as_string(hide_password=False)
    checked, findings = 0, []
    with ProcessPoolExecutor(workers) as pool:
        for n, found in pool.map(_verify_range, [url] * workers, *zip(*ranges)):
            checked += n
            findings.extend(found)
    return checked, sorted(findings, key=lambda f: (f.dossier_id, f.seq or 0))


def verify_users(conn: Connection, user_id: int | None = None) -> tuple[int, list[Any]]:
    """Every user's trail (or one): the same chain check (workflow/user_trail.py)."""
    from workflow import user_trail  # it builds on this module's hashing

    return user_trail.verify(conn, user_id)


def trail(conn: Connection, dossier_id: int) -> list[dict[str, Any]]:
    rows = conn.execute(
        select(audit_table)
        .where(audit_table.c.dossier_id == dossier_id)
        .order_by(audit_table.c.seq)
    )
    return [dict(r._mapping) for r in rows]
