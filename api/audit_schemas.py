"""The audit log over the wire: signed tree heads, consistency proofs, a dossier's inclusion
proof. Hashes are hex, the signature and the public key base64 (RFC 9162's fields, as JSON)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from api.params import QueryModel

HEAD_EXAMPLE = {
    "log": "antt-dossier audit log v1",
    "tree_size": 1204,
    "root_hash": "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    "timestamp": "2026-12-03T09:00:00.000000Z",
    "key_id": "0c1f…",
    "signature": "q3J2…==",
}
MAX_SIZE = 2**31 - 1


class TreeHeadOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [HEAD_EXAMPLE]})

    log: str
    tree_size: int
    root_hash: str
    timestamp: str
    key_id: str
    signature: str = Field(description="Ed25519 over the canonical JSON of the other fields")


class CheckpointsOut(BaseModel):
    public_key: str | None = Field(description="Ed25519, raw 32 bytes, base64; pin it out of band")
    key_id: str | None
    heads: list[TreeHeadOut]


class CheckpointsQuery(QueryModel):
    after: int = Field(0, ge=0, le=MAX_SIZE, description="chỉ các cây lớn hơn / only larger trees")
    limit: int = Field(100, ge=1, le=1000)


class ConsistencyQuery(QueryModel):
    first: int = Field(ge=1, le=MAX_SIZE, description="kích thước cây cũ / the older head's size")
    second: int = Field(ge=1, le=MAX_SIZE, description="kích thước cây mới / the newer head's size")


class ConsistencyOut(BaseModel):
    first: int
    second: int
    proof: list[str] = Field(description="RFC 9162 2.1.4 consistency proof, hex hashes")


class ProofQuery(QueryModel):
    tree_size: int | None = Field(
        None, ge=1, le=MAX_SIZE, description="a saved head's size (default: the latest head)"
    )


class InclusionOut(BaseModel):
    seq: int
    hash: str = Field(description="the trail row's own hash (GET …/audit)")
    leaf_index: int
    leaf: dict = Field(description="the leaf's fields; its hash is SHA-256(0x00 || canonical JSON)")
    audit_path: list[str] = Field(description="RFC 9162 2.1.3 inclusion proof, hex hashes")


class ProofOut(BaseModel):
    dossier_id: int
    tree_head: TreeHeadOut
    public_key: str | None
    entries: list[InclusionOut]
    pending: list[int] = Field(description="seqs the head does not cover yet (the next one will)")
