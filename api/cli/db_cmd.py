"""`dossier db upgrade|downgrade`."""

from __future__ import annotations

import typer

from api.cli.main import db_app, emit, stderr, use_database
from workflow import grants, migrate
from workflow.db import get_engine


@db_app.command("upgrade")
def upgrade(
    revision: str = typer.Argument("head"),
    database: str = typer.Option(None, "--database", help="overrides DATABASE_URL"),
    grant: str = typer.Option(
        None,
        "--grant",
        metavar="ROLE",
        help="PostgreSQL: then give ROLE, the server's role, rows only (docs/OPERATIONS.md)",
    ),
) -> None:
    """Apply the migrations up to REVISION (default: the newest), as the tables' owner."""
    use_database(database)
    engine = get_engine()
    if grant is not None:
        try:  # before migrating: a refused role leaves the schema as it was
            if engine.dialect.name != "postgresql":  # refused without touching the file
                raise grants.GrantRefused(grants.ONLY_POSTGRES)
            with engine.connect() as conn:
                grants.check_role(conn, grant)
        except grants.GrantRefused as refused:
            stderr(f"error: {refused}")
            raise typer.Exit(code=2) from None
    migrate.upgrade(revision=revision)
    typer.echo(f"database at {revision}")
    if grant is not None:
        try:
            with engine.begin() as conn:
                held = grants.grant_server_role(conn, grant)
        except grants.GrantRefused as refused:
            stderr(f"error: {refused}")
            raise typer.Exit(code=2) from None
        emit({**held, "tables": {t: ", ".join(p) for t, p in held["tables"].items()}})


@db_app.command("downgrade")
def downgrade(
    revision: str = typer.Argument(...), database: str = typer.Option(None, "--database")
) -> None:
    """Undo migrations down to REVISION ('base' removes every table)."""
    use_database(database)
    migrate.downgrade(revision=revision)
    typer.echo(f"database at {revision}")
