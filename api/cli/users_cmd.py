"""`dossier user add`: prints the new user's token once, on stdout."""

from __future__ import annotations

import typer

from api.cli.main import fail, stderr, user_app
from workflow.errors import WorkflowError
from workflow.users import create_user


@user_app.command("add")
def add(
    name: str = typer.Option(..., "--name"),
    role: str = typer.Option(
        ..., "--role", help="unit, commune_reviewer, police, ubnd, province_admin or auditor"
    ),
    territory: str = typer.Option(
        None,
        "--territory",
        help="province code (51) or commune code (21211); province:51 / commune:21211 also work",
    ),
    unit: int = typer.Option(None, "--unit", help="the unit's id, for role unit"),
) -> None:
    """Create a user; the token is printed once and stored only as a hash."""
    try:
        actor, token = create_user(name=name, role=role, territory_code=territory, unit_id=unit)
    except WorkflowError as e:
        fail(e)
    stderr(f"user {actor.id} ({actor.role.value}) created; its token follows, keep it safe:")
    typer.echo(token)
