"""The authorization matrix over HTTP: every role x every event x own and foreign territory x every
state, fired through the API by a real signed-in user of each seat.

The expected answer is the authority table written from the issue's words
(tests/engine/authority_table.py), the one the engine's matrix holds the engine to: authorised,
200 and the state moves with its audit row; a seat of the territory that may not act, 403 with
the reason; a seat outside it, 404 identical to the answer for a dossier that does not exist;
an event the state does not take, 409 naming the events it does. No refusal changes anything.
The dossiers are set up through the engine (fast); only the fire under test goes over HTTP.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api.app import create_app
from states.lifecycle import TRANSITION_BY_EVENT, Event, State
from tests.api.conftest import ApiWorld
from tests.api.helpers import fire
from tests.engine.authority_table import ACTORS, actors_of, expected
from tests.engine.helpers import enable_revocation, payload_for, walk
from tests.factories import build_world
from workflow import audit
from workflow.db import read_connection
from workflow.models import AuditEvent, Dossier, IdempotencyKey, OutboxMessage, table_of

STATUS = {"ok": 200, "forbidden": 403, "not_found": 404, "not_allowed": 409}
DOSSIERS, AUDIT = table_of(Dossier), table_of(AuditEvent)
# The dossier's row as stored, and how many rows every table a fire writes to holds: one
# statement, read after every refusal.
SNAPSHOT = select(
    DOSSIERS,
    *[
        select(func.count()).select_from(t).scalar_subquery().label(t.name)
        for t in (AUDIT, table_of(OutboxMessage), table_of(IdempotencyKey))
    ],
)


def _snapshot(dossier_id: int) -> dict[str, Any]:
    with read_connection() as conn:
        return conn.execute(SNAPSHOT.where(DOSSIERS.c.id == dossier_id)).one()._asdict()


def _last_audit_row(dossier_id: int) -> dict[str, Any]:
    with read_connection() as conn:
        return (
            conn.execute(
                select(AUDIT).where(AUDIT.c.dossier_id == dossier_id).order_by(AUDIT.c.seq.desc())
            )
            .first()
            ._asdict()
        )


def _without_id(body: dict[str, Any], dossier_id: int) -> dict[str, Any]:
    """The body with the dossier's id taken out: what a caller could compare to learn anything."""
    return {k: re.sub(rf"\b{dossier_id}\b", "ID", str(v)) for k, v in body.items()}


@pytest.mark.parametrize("variant", ["KDC", "CQ_commune", "CQ", "XA"])
# As the engine's matrix: fresh dossiers take years from 2030 on, decided from a later day.
@time_machine.travel(datetime(2100, 12, 1, 3, 0, tzinfo=UTC), tick=True)
def test_every_role_event_territory_and_state_over_http(engine, variant):
    # Built inside the travelled time, so the users' tokens are valid on that day.
    api = ApiWorld(build_world(), TestClient(create_app(), raise_server_exceptions=False))
    world = api.world
    unit, rep = world.units[variant], world.actor("unit", variant)
    actors = actors_of(world, variant)
    years = itertools.count(2030)

    def fresh(state: State) -> dict[str, Any]:
        year = next(years)
        enable_revocation(year=year)
        return walk(world, unit, rep, state, year)

    missing_answers: dict[tuple[Event, tuple[str, str]], dict[str, Any]] = {}

    def missing(event: Event, who: tuple[str, str], like: dict[str, Any]) -> dict[str, Any]:
        """The same actor's answer for the same event on a dossier that does not exist."""
        if (event, who) not in missing_answers:
            absent = {"id": like["id"] + 1_000_000, "version": like["version"]}
            r = fire(api, absent, event, actors[who], payload_for(event, like))
            assert r.status_code == 404, r.text
            missing_answers[(event, who)] = _without_id(r.json(), absent["id"])
        return missing_answers[(event, who)]

    outcomes: Counter[str] = Counter()
    for state in State:
        cases = [
            (event, who, expected(state, event, who, unit["managing_level"]))
            for event, who in itertools.product(Event, ACTORS)
        ]
        outcomes.update(want for _, _, want in cases)
        # Every refusal on one dossier, the database read after each; then each authorised
        # fire on a fresh dossier of its own.
        shared = fresh(state)
        before = _snapshot(shared["id"])
        for event, who, want in cases:
            if want == "ok":
                continue
            case = f"{variant} {state.value} {event.value} by {who}"
            r = fire(api, shared, event, actors[who], payload_for(event, shared))
            assert r.status_code == STATUS[want], f"{case}: {r.status_code} {r.text}"
            assert r.headers["content-type"].startswith("application/problem+json"), case
            problem = r.json()
            assert problem["status"] == STATUS[want] and problem["detail"], case
            if want == "not_found":
                assert _without_id(problem, shared["id"]) == missing(event, who, shared), case
            if want == "not_allowed":
                assert set(problem["allowed_events"]) == {
                    e.value for e in Event if state in TRANSITION_BY_EVENT[e].sources
                }, case
            assert _snapshot(shared["id"]) == before, f"{case}: a refusal changed the database"
        for event, who, want in cases:
            if want != "ok":
                continue
            case = f"{variant} {state.value} {event.value} by {who}"
            target = fresh(state)
            r = fire(api, target, event, actors[who], payload_for(event, target))
            assert r.status_code == 200, f"{case}: {r.status_code} {r.text}"
            moved = r.json()
            dest = TRANSITION_BY_EVENT[event].dest.value
            assert (moved["state"], moved["version"]) == (dest, target["version"] + 1), case
            row = _last_audit_row(target["id"])
            assert (row["event"], row["to_state"], row["version"], row["actor_id"]) == (
                event.value,
                dest,
                target["version"] + 1,
                actors[who].id,
            ), case
    assert set(outcomes) == set(STATUS), outcomes
    with read_connection() as conn:
        checked, findings = audit.verify(conn)
    assert checked > 0 and findings == []
