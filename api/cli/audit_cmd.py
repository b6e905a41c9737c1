"""`dossier audit ...`: verify the trails (chains, replay) and the Merkle log against the signed
tree heads; write a head now; create the signing key."""

from __future__ import annotations

from pathlib import Path

import typer

from api.cli.main import audit_app, emit, stderr
from workflow import audit, checkpoints, tree_heads
from workflow.db import get_engine, read_connection


@audit_app.command("verify")
def verify(
    dossier: int = typer.Option(None, "--dossier", help="check only this dossier"),
    user: int = typer.Option(None, "--user", help="check only this user's trail"),
    heads: Path = typer.Option(
        None, "--heads", help="a directory of tree heads copied earlier (default: AUDIT_HEADS_DIR)"
    ),
    public_key: Path = typer.Option(
        None, "--public-key", help="the log's public key (default: from AUDIT_KEY_FILE)"
    ),
) -> None:
    """Detect edited, deleted, inserted or reordered audit rows; replay each trail; and check the
    whole log against every saved tree head (even rows rewritten with recomputed hashes)."""
    checked, findings = 0, []
    if user is None:
        if dossier is None:
            checked, findings = audit.verify_parallel(get_engine())
        else:
            with read_connection() as conn:
                checked, findings = audit.verify(conn, dossier)
    users_checked, user_findings = 0, []
    if dossier is None:
        with read_connection() as conn:
            users_checked, user_findings = audit.verify_users(conn, user)
    log: dict = {"findings": []}
    if dossier is None and user is None:
        try:
            key = (
                tree_heads.load_public(public_key)
                if public_key
                else checkpoints.configured_public_key()
            )
        except (OSError, ValueError, tree_heads.KeyMissing) as e:
            stderr(f"error: the public key cannot be read: {e}")
            raise typer.Exit(code=2) from e
        with read_connection() as conn:
            log = checkpoints.check(conn, heads or checkpoints.heads_dir(), key)
    ok = not findings and not user_findings and not log["findings"]
    emit(
        {
            "ok": ok,
            "dossiers_checked": checked,
            "findings": [f.as_dict() for f in findings],
            "users_checked": users_checked,
            "user_findings": [f.as_dict() for f in user_findings],
            **({"log": log} if dossier is None and user is None else {}),
        }
    )
    if not ok:
        raise typer.Exit(code=1)


@audit_app.command("checkpoint")
def checkpoint() -> None:
    """Take new audit rows into the Merkle log and write a signed tree head now."""
    try:
        written = checkpoints.checkpoint()
    except tree_heads.KeyMissing as e:
        stderr(f"error: {e}")
        raise typer.Exit(code=2) from e
    emit({**written.head.as_dict(), "file": str(written.path) if written.path else None})


@audit_app.command("keygen")
def keygen(
    out: Path = typer.Option(..., "--out", help="where to write the new private key (PEM)"),
) -> None:
    """Create the Ed25519 key that signs tree heads (and its public key beside it, .pub)."""
    if out.exists():
        stderr(
            f"error: {out} exists; a key is never overwritten (heads signed with it would be orphaned)"
        )
        raise typer.Exit(code=2)
    key = tree_heads.generate_key(out)
    pub = out.with_name(out.name + ".pub")
    pub.write_bytes(tree_heads.public_pem(key.public_key()))
    emit(
        {
            "key_file": str(out),
            "public_key_file": str(pub),
            "key_id": tree_heads.key_id(key.public_key()),
            "next": f"set AUDIT_KEY_FILE={out} for the server and the clock",
        }
    )
