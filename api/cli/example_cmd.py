"""`dossier example EVENT`: a valid request body to start from (the README walkthrough uses it)."""

from __future__ import annotations

from datetime import UTC, datetime

import typer

from api.cli.main import app, emit, fail
from states import examples
from states.calendar import local_date
from states.subjects import SubjectType
from workflow import engine as wf
from workflow import rulesets
from workflow.db import read_connection
from workflow.errors import WorkflowError


def body_for(event: str, subject: SubjectType, rules=None) -> dict:
    # the guard judges the decision date in Vietnam
    return examples.example(event, subject, rules, decision_date=local_date(datetime.now(UTC)))


@app.command("example")
def example(
    event: str = typer.Argument(..., help="register or an event name, e.g. submit_self_score"),
    subject: str = typer.Option(None, "--subject", help="KDC, XA, CQ, DN or CSGD"),
    dossier: int = typer.Option(
        None, "--dossier", help="use this dossier's subject type and pinned rule set"
    ),
) -> None:
    """Print a valid JSON body for EVENT (complete assessment, score sheet and papers where
    the event needs them), to edit and send with curl -d @file."""
    if event != examples.REGISTER and event not in {e.value for e in examples.EXAMPLES}:
        raise typer.BadParameter(
            f"'{event}': use register or one of {', '.join(e.value for e in examples.EXAMPLES)}"
        )
    rules = None
    try:
        if dossier is not None:
            with read_connection() as conn:
                row = wf.load(conn, dossier)
                rules = rulesets.load(conn, row["rule_set_id"])
            subject = row["subject_type"]
    except WorkflowError as e:
        fail(e)
    if subject is None:
        raise typer.BadParameter("give --subject or --dossier")
    try:
        kind = SubjectType(subject)
    except ValueError:
        raise typer.BadParameter(f"'{subject}': use KDC, XA, CQ, DN or CSGD") from None
    emit(body_for(event, kind, rules))
