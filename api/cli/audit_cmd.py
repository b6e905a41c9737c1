"""`dossier audit verify`: the chain of every dossier (or one), and the replay check."""

from __future__ import annotations

import typer

from api.cli.main import audit_app, emit
from workflow import audit
from workflow.db import get_engine, read_connection


@audit_app.command("verify")
def verify(dossier: int = typer.Option(None, "--dossier", help="check only this dossier")) -> None:
    """Detect edited, deleted, inserted or reordered audit rows; replay each trail."""
    if dossier is None:
        checked, findings = audit.verify_parallel(get_engine())
    else:
        with read_connection() as conn:
            checked, findings = audit.verify(conn, dossier)
    emit(
        {
            "ok": not findings,
            "dossiers_checked": checked,
            "findings": [f.as_dict() for f in findings],
        }
    )
    if findings:
        raise typer.Exit(code=1)
