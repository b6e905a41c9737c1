"""Signed tree heads: (size, root, time) of the audit log signed with Ed25519, kept as files
outside the database.

The private key lives in a file the database never holds (setting ``audit_key_file``). A head is
a small JSON file; anyone may copy them (``GET /api/v1/audit/checkpoints``), and a copy kept
elsewhere is what lets an auditor catch a database owner who rewrites history and recomputes
every hash (docs/RELIABILITY.md, "Tamper evidence").
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from workflow import jsontext

LOG_ID = "antt-dossier audit log v1"


@dataclass(frozen=True)
class TreeHead:
    tree_size: int
    root_hash: str  # hex SHA-256
    timestamp: str  # UTC, ISO 8601 with Z
    key_id: str  # hex SHA-256 of the raw public key
    signature: str  # base64 Ed25519 signature over ``signed_bytes``

    def signed_bytes(self) -> bytes:
        return jsontext.canonical_utf8(
            {
                "log": LOG_ID,
                "tree_size": self.tree_size,
                "root_hash": self.root_hash,
                "timestamp": self.timestamp,
                "key_id": self.key_id,
            }
        )

    def as_dict(self) -> dict[str, Any]:
        return {"log": LOG_ID, **asdict(self)}


class KeyMissing(Exception):
    """No signing key is configured, or its file cannot be read."""


def generate_key(path: Path) -> Ed25519PrivateKey:
    """A new key, written readable by its owner only; an existing file is never overwritten."""
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(pem)
    return key


def load_key(path: str | Path | None) -> Ed25519PrivateKey:
    if not path:
        raise KeyMissing(
            "no signing key: set AUDIT_KEY_FILE (create one with `dossier audit keygen`)"
        )
    try:
        key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
    except (OSError, ValueError) as e:
        raise KeyMissing(f"the signing key {path} cannot be read: {e}") from e
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyMissing(f"the signing key {path} is not an Ed25519 key")
    return key


def public_raw(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def public_b64(key: Ed25519PublicKey) -> str:
    return base64.b64encode(public_raw(key)).decode()


def public_from_b64(text: str) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(base64.b64decode(text, validate=True))


def load_public(path: Path) -> Ed25519PublicKey:
    """A public key file: the PEM `dossier audit keygen` writes beside the key, or base64 raw."""
    data = path.read_bytes()
    if data.lstrip().startswith(b"-----BEGIN"):
        key = serialization.load_pem_public_key(data)
        if not isinstance(key, Ed25519PublicKey):
            raise ValueError(f"{path} is not an Ed25519 public key")
        return key
    return public_from_b64(data.decode().strip())


def public_pem(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def key_id(key: Ed25519PublicKey) -> str:
    return hashlib.sha256(public_raw(key)).hexdigest()


def sign(key: Ed25519PrivateKey, tree_size: int, root: bytes, at: datetime) -> TreeHead:
    stamp = at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    unsigned = TreeHead(tree_size, root.hex(), stamp, key_id(key.public_key()), "")
    signature = key.sign(unsigned.signed_bytes())
    return TreeHead(
        tree_size, root.hex(), stamp, unsigned.key_id, base64.b64encode(signature).decode()
    )


def signature_holds(head: TreeHead, key: Ed25519PublicKey) -> bool:
    try:
        key.verify(base64.b64decode(head.signature, validate=True), head.signed_bytes())
    except (InvalidSignature, ValueError):
        return False
    return head.key_id == key_id(key)


def file_name(head: TreeHead) -> str:
    stamp = head.timestamp.replace("-", "").replace(":", "").replace(".", "")
    return f"{head.tree_size:012d}-{stamp}.json"


def save(head: TreeHead, directory: Path) -> Path:
    """Write the head atomically and durably: a crash leaves the whole file or none."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / file_name(head)
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(head.as_dict(), f, ensure_ascii=False, indent=1)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    dir_fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    return path


def parse(data: dict[str, Any]) -> TreeHead:
    """A head from its JSON; ValueError names what is wrong."""
    if data.get("log") != LOG_ID:
        raise ValueError(f"not a head of this log (log is {data.get('log')!r})")
    try:
        head = TreeHead(
            tree_size=int(data["tree_size"]),
            root_hash=str(data["root_hash"]),
            timestamp=str(data["timestamp"]),
            key_id=str(data["key_id"]),
            signature=str(data["signature"]),
        )
    except (KeyError, TypeError, ValueError) as e:
        raise ValueError(f"a field is missing or malformed: {e}") from e
    if head.tree_size < 0 or len(head.root_hash) != 64:
        raise ValueError("tree_size or root_hash is malformed")
    return head


def _files(directory: Path) -> list[Path]:
    # Names begin with the zero-padded size: sorted names are heads in the log's order.
    return sorted(directory.glob("*.json")) if directory.is_dir() else []


def _read(path: Path) -> TreeHead:
    return parse(json.loads(path.read_text(encoding="utf-8")))


def load_all(directory: Path) -> tuple[list[TreeHead], list[str]]:
    """Every head in the directory, smallest tree first, and the files that are not heads."""
    heads, bad = [], []
    for path in _files(directory):
        try:
            heads.append(_read(path))
        except (OSError, ValueError) as e:
            bad.append(f"{path.name}: {e}")
    heads.sort(key=lambda h: (h.tree_size, h.timestamp))
    return heads, bad


def page(directory: Path, after: int, limit: int) -> list[TreeHead]:
    """Heads of trees larger than ``after``, smallest first, reading only the files returned."""
    out: list[TreeHead] = []
    for path in _files(directory):
        if not path.name[:12].isdigit() or int(path.name[:12]) <= after:
            continue
        try:
            out.append(_read(path))
        except (OSError, ValueError):
            continue  # `dossier audit verify` names it; a reader gets the good ones
        if len(out) == limit:
            break
    return out


def latest(directory: Path) -> TreeHead | None:
    for path in reversed(_files(directory)):
        try:
            return _read(path)
        except (OSError, ValueError):
            continue
    return None


def of_size(directory: Path, tree_size: int) -> TreeHead | None:
    for path in sorted(directory.glob(f"{tree_size:012d}-*.json"), reverse=True):
        try:
            return _read(path)
        except (OSError, ValueError):
            continue
    return None
