"""`dossier db upgrade|downgrade`."""

from __future__ import annotations

import typer

from api.cli.main import db_app, use_database
from workflow import migrate


@db_app.command("upgrade")
def upgrade(
    revision: str = typer.Argument("head"),
    database: str = typer.Option(None, "--database", help="overrides DATABASE_URL"),
) -> None:
    """Apply the migrations up to REVISION (default: the newest)."""
    use_database(database)
    migrate.upgrade(revision=revision)
    typer.echo(f"database at {revision}")


@db_app.command("downgrade")
def downgrade(
    revision: str = typer.Argument(...), database: str = typer.Option(None, "--database")
) -> None:
    """Undo migrations down to REVISION ('base' removes every table)."""
    use_database(database)
    migrate.downgrade(revision=revision)
    typer.echo(f"database at {revision}")
