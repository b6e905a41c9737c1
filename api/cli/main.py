"""The Typer application and helpers the command modules share."""

from __future__ import annotations

import json
import sys
from typing import Any

import typer

from bench.cli import bench_app
from workflow.errors import WorkflowError

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    help="Hồ sơ công nhận 'An toàn về an ninh, trật tự' / ANTT recognition dossiers",
)
db_app = typer.Typer(no_args_is_help=True, help="Database schema (Alembic migrations)")
audit_app = typer.Typer(no_args_is_help=True, help="The audit trail")
user_app = typer.Typer(no_args_is_help=True, help="Users and their API tokens")
app.add_typer(db_app, name="db")
app.add_typer(audit_app, name="audit")
app.add_typer(user_app, name="user")


@app.callback()
def _settings_checked() -> None:
    """Every command reads its settings first: a wrong one stops it here, each named with what
    it takes, before a database is opened or a server half starts."""
    from pydantic import ValidationError

    from workflow.settings import get_settings

    try:
        get_settings()
    except ValidationError as err:
        stderr(f"error: {err.error_count()} setting(s) cannot be used")
        for problem in err.errors():
            name = "_".join(str(part) for part in problem["loc"]).upper()
            message = problem["msg"].removeprefix("Value error, ")
            stderr(f"  - {name}: {message}")
        raise typer.Exit(code=2) from None


# The one product module that reaches into bench/: the operators' `dossier bench ...`.
app.add_typer(bench_app, name="bench")


def emit(value: Any) -> None:
    typer.echo(json.dumps(value, ensure_ascii=False, indent=2, default=str))


def fail(err: WorkflowError) -> None:
    reasons = getattr(err, "reasons", []) or []
    if len(reasons) > 1:  # a title, then one reason a line (not all of them joined on the first)
        typer.echo(f"error: {err.title} ({len(reasons)})", err=True)
    else:
        typer.echo(f"error: {err.detail}", err=True)
    for reason in reasons:
        if reason != err.detail:
            typer.echo(f"  - {reason}", err=True)
    raise typer.Exit(code=2)


def use_database(url: str | None) -> None:
    if url:
        from workflow import db

        db.set_engine(db.make_engine(url))


def stderr(text: str) -> None:
    print(text, file=sys.stderr)


def require_current_schema() -> None:
    """Exit 2, saying what to run, unless the database is at the newest migration: the server's
    role may not migrate (docs/OPERATIONS.md), and on an old schema every request would fail."""
    from workflow import migrate

    gap = migrate.schema_gap()
    if gap is not None:
        stderr(f"error: {gap}")
        raise typer.Exit(code=2)
