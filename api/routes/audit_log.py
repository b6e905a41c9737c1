"""The audit log for anyone to check: the signed tree heads (public: copies kept elsewhere are
the point), consistency between two heads, and one dossier's inclusion proof (for whoever may
read its trail)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from api.audit_schemas import (
    CheckpointsOut,
    CheckpointsQuery,
    ConsistencyOut,
    ConsistencyQuery,
    ProofOut,
    ProofQuery,
)
from api.deps import CurrentActor, ReadConnection
from api.routes.dossiers import COMMON, DossierId
from workflow import audit_log, checkpoints, queries, tree_heads
from workflow.errors import Conflict, InvalidInput

router = APIRouter(tags=["Nhật ký / Audit log"])


def _public_key() -> tuple[str | None, str | None]:
    key = checkpoints.configured_public_key()
    return (tree_heads.public_b64(key), tree_heads.key_id(key)) if key else (None, None)


@router.get(
    "/api/v1/audit/checkpoints",
    response_model=CheckpointsOut,
    summary="Các đầu cây đã ký / the signed tree heads, for anyone to copy",
)
def list_heads(q: Annotated[CheckpointsQuery, Query()]) -> dict[str, Any]:
    """No sign-in: a head names only a count and a hash. Keep copies elsewhere; `dossier audit
    verify --heads DIR` checks the database against them."""
    public_key, kid = _public_key()
    heads = tree_heads.page(checkpoints.heads_dir(), q.after, q.limit)
    return {"public_key": public_key, "key_id": kid, "heads": [h.as_dict() for h in heads]}


@router.get(
    "/api/v1/audit/consistency",
    response_model=ConsistencyOut,
    responses={422: COMMON[422]},
    summary="Chứng minh cây cũ là tiền tố của cây mới / a consistency proof between two heads",
)
def consistency(conn: ReadConnection, q: Annotated[ConsistencyQuery, Query()]) -> dict[str, Any]:
    size = audit_log.size(conn)
    if q.first > q.second or q.second > size:
        raise InvalidInput(
            [f"cần 1 ≤ first ≤ second ≤ {size} / need 1 ≤ first ≤ second ≤ {size}, the log's size"]
        )
    proof = audit_log.consistency(conn, q.first, q.second)
    return {"first": q.first, "second": q.second, "proof": [p.hex() for p in proof]}


@router.get(
    "/api/v1/dossiers/{dossier_id}/audit/proof",
    response_model=ProofOut,
    responses={**COMMON, 409: {**COMMON[422], "description": "no signed tree head yet"}},
    tags=["Hồ sơ / Dossiers"],
    summary="Chứng minh nhật ký hồ sơ nằm trong cây đã ký / the trail's inclusion proof",
)
def proof(
    actor: CurrentActor,
    conn: ReadConnection,
    q: Annotated[ProofQuery, Query()],
    dossier_id: int = DossierId,
) -> dict[str, Any]:
    """Each row's audit path to a signed head's root: recompute the row's hash from the trail
    (GET …/audit), its leaf hash, the root from the path, and check the head's signature."""
    queries.readable_dossier(conn, actor, dossier_id)
    directory = checkpoints.heads_dir()
    head = (
        tree_heads.latest(directory)
        if q.tree_size is None
        else tree_heads.of_size(directory, q.tree_size)
    )
    if head is None:
        if q.tree_size is not None:
            raise InvalidInput(
                [
                    f"không có đầu cây kích thước {q.tree_size} / no saved head of size {q.tree_size} "
                    "(GET /api/v1/audit/checkpoints lists them)"
                ]
            )
        raise Conflict(
            "Chưa có đầu cây nào được ký / no tree head has been signed yet: an operator runs "
            "`dossier audit checkpoint` (the clock writes one every AUDIT_CHECKPOINT_MINUTES)"
        )
    if head.tree_size > audit_log.size(conn):
        raise Conflict(
            f"Cây trong cơ sở dữ liệu ngắn hơn đầu cây đã ký / the log holds fewer leaves than the "
            f"head of size {head.tree_size}: it was cut; run `dossier audit verify`"
        )
    entries, pending = audit_log.inclusion(conn, audit_log.DOSSIER, dossier_id, head.tree_size)
    public_key, _ = _public_key()
    return {
        "dossier_id": dossier_id,
        "tree_head": head.as_dict(),
        "public_key": public_key,
        "entries": [
            {
                "seq": e.seq,
                "hash": e.row_hash,
                "leaf_index": e.leaf_index,
                "leaf": {
                    "trail": audit_log.DOSSIER,
                    "owner": dossier_id,
                    "seq": e.seq,
                    "hash": e.row_hash,
                },
                "audit_path": [p.hex() for p in e.audit_path],
            }
            for e in entries
        ],
        "pending": pending,
    }
