"""The two changes an API request makes, registering a dossier and firing an event: each in one
transaction with its idempotency record and the answer rendered from what was written.

The routes call these and the lifecycle benchmark calls the very same functions, so the figure
it prints is the path officials use (docs/BENCHMARKS.md).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection

from api import metrics
from api.idempotency import Reply, fingerprint, once
from api.preconditions import version_from_if_match
from api.present import etag, render
from states.lifecycle import Event
from workflow import engine as wf
from workflow.actors import Actor
from workflow.db import compare_and_set_connection, get_engine, is_sqlite, joined
from workflow.registration import register


def register_dossier(
    actor: Actor,
    unit_id: int,
    year: int,
    payload: dict[str, Any],
    *,
    idempotency_key: str | None = None,
    request_id: str | None = None,
) -> Reply:
    """Register ``unit_id``'s dossier for ``year`` (201 with ETag and Location)."""

    def change(conn: Connection) -> Reply:
        row = register(unit_id, year, actor, payload, request_id=request_id)
        metrics.count_event("register")
        return Reply(201, render(conn, row), etag(row["version"]), f"/api/v1/dossiers/{row['id']}")

    def request() -> str:
        return fingerprint(
            "POST", "/api/v1/dossiers", None, {"unit_id": unit_id, "year": year, **payload}
        )

    return _commit(actor, idempotency_key, request, change)


def fire_event(
    actor: Actor,
    dossier_id: int,
    event: Event,
    payload: dict[str, Any],
    if_match: str | None,
    *,
    idempotency_key: str | None = None,
    request_id: str | None = None,
) -> Reply:
    """Fire ``event`` on the dossier at the version named by ``if_match`` (200 with its ETag)."""
    version = version_from_if_match(if_match)

    def change(conn: Connection) -> Reply:
        try:
            row = wf.fire(dossier_id, event, actor, payload, version, request_id=request_id)
        except Exception as err:
            metrics.REFUSALS.labels(event=event.value, reason=type(err).__name__).inc()
            raise
        metrics.count_event(event.value)
        return Reply(200, render(conn, row), etag(row["version"]))

    def request() -> str:
        path = f"/api/v1/dossiers/{dossier_id}/events/{event.value}"
        return fingerprint("POST", path, if_match, payload)

    return _commit(actor, idempotency_key, request, change)


def _commit(
    actor: Actor,
    idempotency_key: str | None,
    request: Callable[[], str],
    change: Callable[[Connection], Reply],
) -> Reply:
    """Run ``change`` the way its request asks. On PostgreSQL without a key, outside a
    transaction: a registration and a move are each one statement (the dossier, its audit row
    and its message in one CTE, workflow.db.compare_and_set_connection), two round trips, not
    four. With a key, the key's record must commit with the change, so a transaction holds
    both; ``request`` (the body's fingerprint, which costs as much as a statement) is only
    hashed then."""
    if idempotency_key is None:
        if not is_sqlite(get_engine()):
            with compare_and_set_connection() as conn, joined(conn):
                return change(conn)
        return once(actor, None, "", change)
    return once(actor, idempotency_key, request(), change)
