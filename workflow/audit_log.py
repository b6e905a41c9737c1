"""The audit log: every audit row of both trails (dossiers' ``audit_event``, users'
``user_event``) as a leaf of one append-only Merkle tree (RFC 9162), in the order the log took
them in. Signed tree heads (workflow/tree_heads.py) name a prefix of it; whoever copied a head can
later prove that every row it covers is still there, unchanged.

A leaf is the canonical JSON of (trail, owner, seq, row hash): the row's hash already covers its
content and its place in its chain, and an auditor holding a dossier's trail has all four.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, exists, func, select, text, tuple_

from workflow import jsontext, merkle
from workflow.models import AuditEvent, AuditLeaf, MerkleNode, UserEvent, table_of

leaf_table = table_of(AuditLeaf)
node_table = table_of(MerkleNode)
DOSSIER, USER = "dossier", "user"
TRAILS = {
    DOSSIER: (table_of(AuditEvent), "dossier_id"),
    USER: (table_of(UserEvent), "user_id"),
}
_LOCK_KEY = 0x414E5454  # "ANTT": one integrating transaction at a time on PostgreSQL


def leaf_data(trail: str, owner: int, seq: int, row_hash: str) -> bytes:
    return jsontext.canonical_utf8({"trail": trail, "owner": owner, "seq": seq, "hash": row_hash})


def leaf_of(trail: str, owner: int, seq: int, row_hash: str) -> bytes:
    return merkle.leaf_hash(leaf_data(trail, owner, seq, row_hash))


def size(conn: Connection) -> int:
    return conn.execute(select(func.count()).select_from(leaf_table)).scalar_one()


def _new_rows(conn: Connection, trail: str) -> list[tuple[int, int, int, str]]:
    """The trail's rows the log has not taken in, oldest first."""
    table, owner = TRAILS[trail]
    q = select(table.c.id, table.c[owner], table.c.seq, table.c.hash).order_by(table.c.id)
    if conn.dialect.name == "sqlite":
        # One writer at a time: ids are drawn in commit order, so no row can appear below the
        # highest one taken in.
        horizon = conn.execute(
            select(func.max(leaf_table.c.row_id)).where(leaf_table.c.trail == trail)
        ).scalar()
        q = q.where(table.c.id > (horizon or 0))
    else:
        # Postgres draws ids before commit: a row with a lower id can commit after a higher one,
        # so the log looks for every row it lacks (one anti-join, once per checkpoint).
        taken = exists().where(leaf_table.c.trail == trail, leaf_table.c.row_id == table.c.id)
        q = q.where(~taken)
    return [(r[0], r[1], r[2], r[3]) for r in conn.execute(q)]


class _Nodes:
    """Stored perfect-subtree hashes, fetched in one query per call to ``load``."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.known: dict[tuple[int, int], bytes] = {}

    def load(self, coords: Iterable[tuple[int, int]]) -> None:
        wanted = {c for c in coords if c not in self.known}
        leaves = [i for level, i in wanted if level == 0]
        inner = [c for c in wanted if c[0] > 0]
        for start in range(0, len(leaves), 500):
            chunk = leaves[start : start + 500]
            for index, digest in self.conn.execute(
                select(leaf_table.c.leaf_index, leaf_table.c.hash).where(
                    leaf_table.c.leaf_index.in_(chunk)
                )
            ):
                self.known[(0, index)] = bytes.fromhex(digest)
        for start in range(0, len(inner), 500):
            chunk2 = inner[start : start + 500]
            for level, index, digest in self.conn.execute(
                select(node_table.c.level, node_table.c.node_index, node_table.c.hash).where(
                    tuple_(node_table.c.level, node_table.c.node_index).in_(chunk2)
                )
            ):
                self.known[(level, index)] = bytes.fromhex(digest)

    def __call__(self, level: int, index: int) -> bytes:
        try:
            return self.known[(level, index)]
        except KeyError:
            raise LogBroken(f"the log's node ({level}, {index}) is missing") from None


class LogBroken(Exception):
    """A stored leaf or node the log needs is gone: only a hand on the database does that."""


def integrate(conn: Connection) -> int:
    """Take every audit row the log lacks in as new leaves, store the new perfect subtrees, and
    return the new size. In the caller's write transaction."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_KEY})
    start = size(conn)
    rows = [(trail, *r) for trail in TRAILS for r in _new_rows(conn, trail)]
    if not rows:
        return start
    nodes = _Nodes(conn)
    nodes.load(merkle.range_nodes(0, start) if start else [])
    new_leaves: list[tuple[int, str, int, str]] = []
    new_nodes: list[tuple[int, int, str]] = []
    for offset, (trail, row_id, owner, seq, row_hash) in enumerate(rows):
        index = start + offset
        digest = leaf_of(trail, owner, seq, row_hash)
        nodes.known[(0, index)] = digest
        new_leaves.append((index, trail, row_id, digest.hex()))
        level, i = 0, index
        while i & 1:  # a right child completes its parent's perfect subtree
            parent = merkle.node_hash(nodes(level, i - 1), nodes(level, i))
            level, i = level + 1, i >> 1
            nodes.known[(level, i)] = parent
            new_nodes.append((level, i, parent.hex()))
    # Straight to the driver's executemany: SQLAlchemy's per-row parameter handling cost more
    # than the hashing (a million leaves the day the log is switched on).
    mark = "?" if conn.dialect.name == "sqlite" else "%s"
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.executemany(
            f"INSERT INTO audit_leaf (leaf_index, trail, row_id, hash) "
            f"VALUES ({mark}, {mark}, {mark}, {mark})",
            new_leaves,
        )
        if new_nodes:
            cursor.executemany(
                f"INSERT INTO merkle_node (level, node_index, hash) VALUES ({mark}, {mark}, {mark})",
                new_nodes,
            )
    finally:
        cursor.close()
    return start + len(rows)


def root(conn: Connection, tree_size: int) -> bytes:
    nodes = _Nodes(conn)
    nodes.load(merkle.range_nodes(0, tree_size) if tree_size else [])
    return merkle.root(tree_size, nodes)


def consistency(conn: Connection, first: int, second: int) -> list[bytes]:
    nodes = _Nodes(conn)
    # The proof reads at most two range decompositions per level: load them all at once.
    coords: set[tuple[int, int]] = set()
    merkle.consistency_proof(first, second, _Recorder(coords))
    nodes.load(coords)
    return merkle.consistency_proof(first, second, nodes)


class _Recorder:
    """A node reader that notes what was asked and answers a placeholder: a dry run names the
    nodes a proof needs, so that they come in one query."""

    def __init__(self, into: set[tuple[int, int]]) -> None:
        self.into = into

    def __call__(self, level: int, index: int) -> bytes:
        self.into.add((level, index))
        return bytes(32)


@dataclass(frozen=True)
class Entry:
    """One row of a dossier's trail as the log holds it, with its audit path in a tree."""

    seq: int
    row_hash: str
    leaf_index: int
    audit_path: list[bytes]


def inclusion(
    conn: Connection, trail: str, owner: int, tree_size: int
) -> tuple[list[Entry], list[int]]:
    """The audit path of every row of one trail that the first ``tree_size`` leaves hold, and
    the seqs of the rows they do not hold yet."""
    table, owner_col = TRAILS[trail]
    rows = conn.execute(
        select(table.c.seq, table.c.hash, leaf_table.c.leaf_index)
        .select_from(
            table.outerjoin(
                leaf_table, (leaf_table.c.trail == trail) & (leaf_table.c.row_id == table.c.id)
            )
        )
        .where(table.c[owner_col] == owner)
        .order_by(table.c.seq)
    ).all()
    covered = [r for r in rows if r.leaf_index is not None and r.leaf_index < tree_size]
    pending = [r.seq for r in rows if r.leaf_index is None or r.leaf_index >= tree_size]
    nodes = _Nodes(conn)
    nodes.load(c for r in covered for c in merkle.inclusion_nodes(r.leaf_index, tree_size))
    entries = [
        Entry(r.seq, r.hash, r.leaf_index, merkle.inclusion_path(r.leaf_index, tree_size, nodes))
        for r in covered
    ]
    return entries, pending


@dataclass(frozen=True)
class Rebuilt:
    """The log recomputed from the audit rows themselves, and what did not match on the way."""

    levels: list[list[bytes]]
    findings: list[dict[str, Any]]
    not_in_log: int

    @property
    def size(self) -> int:
        return len(self.levels[0])


def rebuild(conn: Connection) -> Rebuilt:
    """Every leaf recomputed from the row it names (not from its stored hash), and every stored
    node compared with the tree those leaves build: a row rewritten after the log took it in,
    a leaf or node removed or altered, is named here."""
    findings: list[dict[str, Any]] = []
    by_index: dict[int, bytes] = {}
    for trail, (table, owner_col) in TRAILS.items():
        q = (
            select(
                leaf_table.c.leaf_index,
                leaf_table.c.row_id,
                leaf_table.c.hash.label("stored"),
                table.c[owner_col].label("owner"),
                table.c.seq,
                table.c.hash,
            )
            .select_from(leaf_table.outerjoin(table, table.c.id == leaf_table.c.row_id))
            .where(leaf_table.c.trail == trail)
        )
        for r in conn.execute(q):
            if r.owner is None:
                findings.append(
                    _finding(
                        r.leaf_index,
                        f"leaf {r.leaf_index} covers {trail} row "
                        f"{r.row_id}, which is gone: a row was deleted",
                    )
                )
                by_index[r.leaf_index] = bytes.fromhex(r.stored)
                continue
            digest = leaf_of(trail, r.owner, r.seq, r.hash)
            if digest.hex() != r.stored:
                findings.append(
                    _finding(
                        r.leaf_index,
                        f"leaf {r.leaf_index} ({trail} {r.owner} row {r.seq}) "
                        "no longer matches its row: the row was rewritten after the log took it in",
                    )
                )
            by_index[r.leaf_index] = digest
    n = len(by_index)
    if n and max(by_index) != n - 1:
        missing = next(i for i in range(n + 1) if i not in by_index)
        findings.append(_finding(missing, f"leaf {missing} is missing: the log was cut"))
        n = missing
    built = merkle.levels(by_index[i] for i in range(n))
    named = sorted(f["leaf_index"] for f in findings)
    for level, index, digest in conn.execute(
        select(node_table.c.level, node_table.c.node_index, node_table.c.hash)
    ):
        if level >= len(built) or index >= len(built[level]) or built[level][index].hex() == digest:
            continue
        first = bisect.bisect_left(named, index << level)
        if first == len(named) or named[first] >= (index + 1) << level:  # not already named below
            findings.append(
                _finding(
                    index << level,
                    f"stored node ({level}, {index}) does not match the "
                    "rows below it: proofs from it would not verify",
                )
            )
    not_in_log = 0
    for trail, (table, _) in TRAILS.items():
        taken = exists().where(leaf_table.c.trail == trail, leaf_table.c.row_id == table.c.id)
        not_in_log += conn.execute(
            select(func.count()).select_from(table).where(~taken)
        ).scalar_one()
    return Rebuilt(built, findings, not_in_log)


def _finding(leaf_index: int, problem: str) -> dict[str, Any]:
    return {"leaf_index": leaf_index, "problem": problem}
