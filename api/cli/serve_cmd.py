"""`dossier serve`: uvicorn with the API."""

from __future__ import annotations

import typer

from api.cli.main import app


@app.command("serve")
def serve(host: str = "127.0.0.1", port: int = 8000, workers: int = 1) -> None:
    """Serve the HTTP API (SQLite by default; DATABASE_URL switches to Postgres)."""
    import uvicorn

    uvicorn.run("api.app:create_app", factory=True, host=host, port=port, workers=workers)
