"""The FastAPI application."""

from __future__ import annotations

from fastapi import FastAPI

from states.lifecycle import mermaid


def create_app() -> FastAPI:
    app = FastAPI(title="Hồ sơ công nhận ANTT / ANTT recognition dossiers", version="0.1.0")

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/api/v1/workflow.mmd")
    def workflow_mermaid() -> str:
        return mermaid()

    return app
