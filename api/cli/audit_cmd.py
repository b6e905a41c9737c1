"""`dossier audit verify`: the chain of every dossier (or one), the replay check, and the chain of
every user's trail (who gave whom which power)."""

from __future__ import annotations

import typer

from api.cli.main import audit_app, emit
from workflow import audit
from workflow.db import get_engine, read_connection


@audit_app.command("verify")
def verify(
    dossier: int = typer.Option(None, "--dossier", help="check only this dossier"),
    user: int = typer.Option(None, "--user", help="check only this user's trail"),
) -> None:
    """Detect edited, deleted, inserted or reordered audit rows; replay each trail."""
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
    emit(
        {
            "ok": not findings and not user_findings,
            "dossiers_checked": checked,
            "findings": [f.as_dict() for f in findings],
            "users_checked": users_checked,
            "user_findings": [f.as_dict() for f in user_findings],
        }
    )
    if findings or user_findings:
        raise typer.Exit(code=1)
