"""The two changes an API request makes, registering a dossier and firing an event: each in one
transaction with its idempotency record and the answer rendered from what was written.

The routes call these and the lifecycle benchmark calls the very same functions, so the figure
it prints is the path officials use (docs/BENCHMARKS.md).
"""

from __future__ import annotations

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

    if idempotency_key is None and not is_sqlite(get_engine()):
        # One statement on PostgreSQL as a move is (the dossier, its audit row and message in
        # one CTE), so no transaction is needed around it: two round trips, not four.
        with compare_and_set_connection() as conn, joined(conn):
            return change(conn)
    fp = ""
    if idempotency_key is not None:  # hashing the body costs as much as a statement
        fp = fingerprint(
            "POST", "/api/v1/dossiers", None, {"unit_id": unit_id, "year": year, **payload}
        )
    return once(actor, idempotency_key, fp, change)


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

    if idempotency_key is None and not is_sqlite(get_engine()):
        # The move is one statement on PostgreSQL (workflow.db.compare_and_set_connection);
        # with a key, the key's record must commit with it, so a transaction holds both.
        with compare_and_set_connection() as conn, joined(conn):
            return change(conn)
    fp = ""
    if idempotency_key is not None:
        path = f"/api/v1/dossiers/{dossier_id}/events/{event.value}"
        fp = fingerprint("POST", path, if_match, payload)
    return once(actor, idempotency_key, fp, change)
