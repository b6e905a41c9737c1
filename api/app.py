"""The FastAPI application."""

from __future__ import annotations

from contextlib import asynccontextmanager

from fastapi import FastAPI

from states.lifecycle import mermaid
from workflow.settings import get_settings


@asynccontextmanager
async def lifespan(app: FastAPI):
    # The API process embeds the clock unless told not to (several workers: run
    # `dossier scheduler` once beside them and set EMBEDDED_SCHEDULER=false).
    clock = None
    if get_settings().embedded_scheduler:
        from scheduler import runner

        clock = runner.build()
        clock.start()
    app.state.scheduler = clock
    try:
        yield
    finally:
        if clock is not None:
            clock.shutdown(wait=False)


def create_app() -> FastAPI:
    app = FastAPI(title="Hồ sơ công nhận ANTT / ANTT recognition dossiers", version="0.1.0",
                  lifespan=lifespan)

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/api/v1/workflow.mmd")
    def workflow_mermaid() -> str:
        return mermaid()

    return app
