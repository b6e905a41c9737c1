"""Checkpoints of the audit log: take new audit rows into the Merkle log, sign a tree head and
write it outside the database; and check the database against every head written before.

Run by the clock every ``audit_checkpoint_minutes`` and by `dossier audit checkpoint`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import Connection, Engine, make_url

from workflow import audit_log, merkle, tree_heads
from workflow.db import write_transaction
from workflow.settings import get_settings


def _beside_database() -> Path:
    """Where the demo keeps its key and heads: next to its SQLite file, or named after the
    Postgres database, so that two databases never share heads."""
    url = make_url(get_settings().database_url)
    if url.get_backend_name() == "sqlite":
        return Path(f"{url.database or 'memory'}.audit")
    return Path(f"audit-{url.host or 'local'}-{url.port or 5432}-{url.database}")


def heads_dir() -> Path:
    configured = get_settings().audit_heads_dir
    return Path(configured) if configured else _beside_database() / "heads"


def demo_key_file() -> Path:
    return _beside_database() / "signing-key.pem"


def key_file() -> Path | None:
    """AUDIT_KEY_FILE, or else the key `dossier run` made beside the demo's database."""
    configured = get_settings().audit_key_file
    if configured:
        return Path(configured)
    return demo_key_file() if demo_key_file().exists() else None


@dataclass(frozen=True)
class Written:
    head: tree_heads.TreeHead
    path: Path | None  # None: the log had not grown since the last head, none was written


def checkpoint(engine: Engine | None = None, now: datetime | None = None) -> Written:
    """Integrate, sign, save. The leaves commit before the head that names them is written, so a
    head never covers rows a crash could take back."""
    key = tree_heads.load_key(key_file())
    with write_transaction(engine) as conn:
        size = audit_log.integrate(conn)
        root = audit_log.root(conn, size)
    directory = heads_dir()
    last = tree_heads.latest(directory)
    if last is not None and last.tree_size == size and last.root_hash == root.hex():
        return Written(last, None)
    head = tree_heads.sign(key, size, root, now or datetime.now(UTC))
    return Written(head, tree_heads.save(head, directory))


def configured_public_key() -> Ed25519PublicKey | None:
    path = key_file()
    if path is None or not path.exists():
        return None
    return tree_heads.load_key(path).public_key()


def check(conn: Connection, directory: Path, public_key: Ed25519PublicKey | None) -> dict[str, Any]:
    """The database against every head in ``directory``: each signature, and the root the rows
    themselves give at each head's size (so a rewrite with recomputed hashes is caught, and a
    log cut shorter than a head). A failing head is narrowed down by the largest good head
    below it."""
    heads, bad_files = tree_heads.load_all(directory)
    rebuilt = audit_log.rebuild(conn)
    findings: list[dict[str, Any]] = [{"head": None, **f} for f in rebuilt.findings]
    findings += [
        {"head": name, "leaf_index": None, "problem": "not a tree head"} for name in bad_files
    ]
    if heads and public_key is None:
        findings.append(
            {
                "head": None,
                "leaf_index": None,
                "problem": "no public key to check the heads' signatures with (--public-key)",
            }
        )
    node = merkle.node_in(rebuilt.levels)
    good_below = 0
    for head in heads:
        name = tree_heads.file_name(head)
        if public_key is not None and not tree_heads.signature_holds(head, public_key):
            findings.append(
                {
                    "head": name,
                    "leaf_index": None,
                    "problem": "the signature does not hold with this log's public key: the head "
                    "was altered or signed by another key",
                }
            )
            continue
        if head.tree_size > rebuilt.size:
            findings.append(
                {
                    "head": name,
                    "leaf_index": rebuilt.size,
                    "problem": f"the head covers {head.tree_size} leaves but the log holds "
                    f"{rebuilt.size}: rows were removed from the end",
                }
            )
            continue
        if merkle.root(head.tree_size, node).hex() != head.root_hash:
            findings.append(
                {
                    "head": name,
                    "leaf_index": good_below,
                    "problem": f"the rows do not give this head's root: a row among leaves "
                    f"{good_below} to {head.tree_size - 1} was rewritten, removed or reordered",
                }
            )
            continue
        good_below = head.tree_size
    return {
        "heads_checked": len(heads),
        "log_size": rebuilt.size,
        "largest_head": heads[-1].tree_size if heads else 0,
        "rows_not_in_log": rebuilt.not_in_log,
        "findings": findings,
    }
