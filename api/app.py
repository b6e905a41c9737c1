"""The FastAPI application: thin routes over ``workflow``, problem details for every error."""

from __future__ import annotations

from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from api import csrf, logfilter, openapi, problems
from api.middleware import ApiMiddleware, RouteLabel
from api.routes import (
    audit_log,
    dossiers,
    meta,
    metrics,
    notices,
    reports,
    rulesets,
    session,
    units,
    users,
)
from api.web import admin, dashboard, frame, pages
from workflow.settings import get_settings

DESCRIPTION = """
Hồ sơ công nhận **"An toàn về an ninh, trật tự"** (ANTT) — khu dân cư (KDC), xã/phường (XA),
cơ quan (CQ), doanh nghiệp (DN), cơ sở giáo dục (CSGD) — từ đăng ký đến quyết định của UBND.

The yearly ANTT recognition dossiers, from registration to the People's Committee's decision.

* Authenticate with `Authorization: Bearer <token>` (tokens come from `dossier user add` or
  `POST /api/v1/users`); `GET /api/v1/me` says who you are and when your token expires.
* Every change sends `If-Match: "<version>"` (the `ETag` of the dossier you read) and may send
  `Idempotency-Key` so that a retry changes nothing.
* Errors are RFC 9457 problem details (`application/problem+json`) with Vietnamese and English
  reasons; a refused event lists every unmet condition under `reasons`.
* `GET /api/v1/dossiers?awaiting_me=true` is your inbox; `GET /api/v1/dossiers/{id}/actions` says
  what you may do now and what each event needs.
"""


@asynccontextmanager
async def lifespan(app: FastAPI):
    from workflow.checkpointer import checkpointing
    from workflow.db import get_engine
    from workflow.engine import warm_up

    warm_up()
    # The API process embeds the clock unless told not to (several workers: run
    # `dossier scheduler` once beside them and set EMBEDDED_SCHEDULER=false).
    clock = None
    if get_settings().embedded_scheduler:
        from scheduler import runner

        clock = runner.build()
        clock.start()
    app.state.scheduler = clock
    try:
        with checkpointing(get_engine()):
            yield
    finally:
        if clock is not None:
            clock.shutdown(wait=False)


def create_app() -> FastAPI:
    app = FastAPI(
        title="Hồ sơ công nhận ANTT / ANTT recognition dossiers",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    problems.install(app)
    app.include_router(dossiers.router)
    app.include_router(audit_log.router)
    app.include_router(units.router)
    app.include_router(rulesets.router)
    app.include_router(reports.router)
    app.include_router(meta.router)
    if metrics.enabled():  # unset METRICS_TOKEN: no such route, a 404 like any unknown path
        app.include_router(metrics.router)
    app.include_router(users.router)
    app.include_router(notices.router)
    app.include_router(session.router)
    app.include_router(pages.router)
    app.include_router(dashboard.router)
    app.include_router(admin.router)
    app.add_exception_handler(frame.SignInNeeded, frame.sign_in_redirect)  # type: ignore[arg-type]
    static = Path(pages.__file__).parent / "static"
    app.mount("/static", StaticFiles(directory=static), name="static")
    logfilter.install()
    settings = get_settings()
    app.add_middleware(RouteLabel)  # first added, so innermost: it sees the router's scope
    csrf.install(app, settings, session.secret_key(settings))
    app.add_middleware(ApiMiddleware)
    openapi.install(app)
    return app
