"""`dossier serve`: uvicorn with the API (and, in one process, its clock)."""

from __future__ import annotations

import os

import typer

from api.cli.main import app, require_current_schema, stderr


@app.command("serve")
def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: int = typer.Option(
        1,
        "--workers",
        min=1,
        help=("API worker processes; with more than one, run `dossier scheduler` beside them"),
    ),
) -> None:
    """Serve the HTTP API (SQLite by default; DATABASE_URL switches to Postgres)."""
    import uvicorn

    require_current_schema()

    if workers > 1:
        # Each worker would otherwise start its own clock. That would still escalate once (the
        # sweep's exactly-once lives in the database) but would wake the database N times over.
        os.environ["EMBEDDED_SCHEDULER"] = "false"
        from workflow.settings import get_settings

        get_settings.cache_clear()
        stderr(
            f"{workers} workers, embedded scheduler off: run `dossier scheduler` once beside them"
        )
    uvicorn.run("api.app:create_app", factory=True, host=host, port=port, workers=workers)
