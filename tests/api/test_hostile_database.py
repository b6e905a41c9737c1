"""A database in a state the engine did not leave it in, or held by someone else: a forged audit
row is a 409 that names the dossier and the row, never a 500, and other dossiers go on; a
database another process holds is a 503 with Retry-After within the busy timeout, every route."""

from __future__ import annotations

import sqlite3
import time
from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest
from sqlalchemy import select

from states.lifecycle import Event, State
from tests.api.helpers import fire, walk
from tests.conftest import DATABASE_URL, ON_POSTGRES
from tests.hostile import database_snapshot
from workflow import audit, user_trail
from workflow.db import make_engine, read_connection, set_engine, write_transaction
from workflow.models import AppUser, AuditEvent, Dossier, UserEvent
from workflow.settings import get_settings

# What a client may read while the database is held: no route here reads it.
WITHOUT_DATABASE = {
    "/api/v1/audit/checkpoints",  # the heads are files outside the database
    "/api/v1/workflow",
    "/api/v1/workflow.mmd",
    "/metrics",
    "/api/v1/session",  # signing out of no session
    "/auth/oidc/login",  # single sign-on is not configured in the tests: 404
    "/auth/oidc/callback",
}
audit_table = AuditEvent.__table__
dossier_table = Dossier.__table__
user_table = AppUser.__table__
user_event_table = UserEvent.__table__


def _forge_next_row(dossier_id: int) -> int:
    """Insert by hand the row the engine would write next (a hash recomputed with the project's
    own function); returns its id."""
    with write_transaction() as conn:
        d = conn.execute(select(dossier_table).where(dossier_table.c.id == dossier_id)).one()
        row, _ = audit.record(
            dossier_id=dossier_id,
            seq=d.audit_seq + 1,
            prev_hash=d.audit_head,
            event="recognise",
            from_state=d.state,
            to_state="recognised",
            version=d.version + 1,
            actor_id=None,
            actor_name="forger",
            role="ubnd",
            payload={},
            reason=None,
            at=datetime.now(UTC),
            request_id=None,
            rule_set_id=d.rule_set_id,
        )
        audit.INSERT.execute(conn, row)
    with read_connection() as conn:
        return conn.execute(
            select(audit_table.c.id).where(
                audit_table.c.dossier_id == dossier_id, audit_table.c.seq == row["seq"]
            )
        ).scalar_one()


def test_a_forged_audit_row_makes_the_next_event_a_409_naming_dossier_and_row(api):
    d = walk(api, "KDC", State.SELF_SCORED)
    other = walk(api, "CQ", State.REGISTERED)
    forged = _forge_next_row(d["id"])
    reviewer = api.world.actor("commune_reviewer")
    api.token(reviewer)  # issued before the snapshot
    before = database_snapshot()
    for headers in ({}, {"Idempotency-Key": "forged-trail-1"}):
        r = fire(api, d, Event.COMMUNE_APPROVE, reviewer, {}, **headers)
        assert r.status_code == 409, r.text
        problem = r.json()
        assert r.headers["content-type"].startswith("application/problem+json")
        assert problem["type"] == "/problems/broken-trail"
        assert problem["dossier_id"] == d["id"] and problem["audit_row_id"] == forged
        assert str(d["id"]) in problem["detail"] and str(forged) in problem["detail"]
        assert "audit verify" in problem["detail"]
    assert database_snapshot() == before
    # Another dossier's trail is whole: its events go on.
    rep = api.world.unit_actor(api.world.units["CQ"])
    r = fire(api, other, Event.WITHDRAW, rep, {"reason": "rút hồ sơ"})
    assert r.status_code == 200, r.text


def test_a_dossier_with_a_broken_trail_can_still_be_read(api):
    d = walk(api, "KDC", State.SELF_SCORED)
    _forge_next_row(d["id"])
    reviewer = api.world.actor("commune_reviewer")
    r = api.client.get(f"/api/v1/dossiers/{d['id']}", headers=api.auth(reviewer))
    assert r.status_code == 200  # reading is untouched: the trail is for verify to judge


@pytest.fixture
def held_database(api, engine, monkeypatch):
    """The API over an engine with a 1 s busy timeout, and a function that makes another
    connection hold the whole database (as another process would) until the test ends."""
    monkeypatch.setenv("DATABASE_BUSY_TIMEOUT_SECONDS", "1")
    get_settings.cache_clear()
    impatient = make_engine(engine.url.render_as_string(hide_password=False))
    holder: Any = None

    def hold():
        nonlocal holder
        if ON_POSTGRES:
            holder = psycopg.connect(DATABASE_URL.replace("+psycopg", ""))
            tables = [
                r[0]
                for r in holder.execute(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
                )
            ]
            holder.execute(f"LOCK TABLE {', '.join(tables)} IN ACCESS EXCLUSIVE MODE")
        else:
            # Exclusive locking mode: in WAL mode readers too are kept out, as while another
            # process rewrites the file (a restore, a VACUUM). It needs every other connection
            # closed first.
            engine.dispose()
            holder = sqlite3.connect(engine.url.database, isolation_level=None)
            holder.execute("PRAGMA locking_mode=EXCLUSIVE")
            holder.execute("BEGIN EXCLUSIVE")
            holder.execute("UPDATE unit SET name = name")
        set_engine(impatient)

    yield hold
    if holder is not None:
        holder.rollback()
        holder.close()
    impatient.dispose()
    set_engine(engine)
    get_settings.cache_clear()


def test_a_database_held_by_another_process_is_503_with_retry_after_on_every_route(
    api, held_database
):
    d = walk(api, "KDC", State.SELF_SCORED)
    admin = api.world.actor("province_admin", "province")
    reviewer = api.world.actor("commune_reviewer")
    headers = {**api.auth(admin), "If-Match": '"1"'}
    api.auth(reviewer)
    paths = api.client.get("/openapi.json").json()["paths"]
    held_database()
    answered = {}
    for template, operations in paths.items():
        path = template.replace("{dossier_id}", str(d["id"])).replace("{unit_id}", "1")
        path = path.replace("{user_id}", str(admin.id)).replace("{event}", "commune_approve")
        for method in operations:
            started = time.monotonic()
            r = api.client.request(method, path, headers=headers, json={})
            took = time.monotonic() - started
            answered[(method, path)] = r.status_code
            assert r.status_code != 500, (method, path, r.text)
            assert took < 4, (method, path, took)
            if r.status_code == 503:
                assert r.headers.get("Retry-After") == "2", (method, path, r.text)
                if path != "/healthz":
                    assert "nothing was changed" in r.json()["detail"], (method, path)
    # Whatever signs in reads the database: every route but the ones that never touch it.
    served = sorted(f"{m} {p} {v}" for (m, p), v in answered.items() if v != 503)
    assert len(answered) - len(served) >= 25, served
    # A request refused for its own parameters (422) may be told so before any database work;
    # PostgreSQL's health check needs no table, so it is healthy while the tables are held.
    without = WITHOUT_DATABASE | ({"/healthz"} if ON_POSTGRES else set())
    assert [p for p in served if p.split()[1] not in without and p[-3] != "4"] == []
    r = api.client.post(
        f"/api/v1/dossiers/{d['id']}/events/commune_approve",
        json={},
        headers={**api.auth(reviewer), "If-Match": f'"{d["version"]}"'},
    )
    assert r.status_code == 503, r.text


def test_a_forged_user_trail_row_makes_the_next_change_a_409_naming_user_and_row(api):
    admin = api.world.actor("province_admin", "province")
    police = api.world.actor("police")
    with write_transaction() as conn:  # the row the next change would write, forged by hand
        user = conn.execute(select(user_table).where(user_table.c.id == police.id)).one()
        user_trail.append(
            conn,
            user_id=police.id,
            seq=user.trail_seq + 1,
            prev_hash=user.trail_head or user_trail.GENESIS,
            event="deactivated",
            who=user_trail.Who(None, "forger", "operator"),
            before={},
            after={},
            at=datetime.now(UTC),
            request_id=None,
        )
        forged = conn.execute(
            select(user_event_table.c.id).where(
                user_event_table.c.user_id == police.id,
                user_event_table.c.seq == user.trail_seq + 1,
            )
        ).scalar_one()
    api.token(admin)  # issued before the snapshot
    before = database_snapshot()
    r = api.client.patch(
        f"/api/v1/users/{police.id}", json={"name": "Tên mới"}, headers=api.auth(admin)
    )
    assert r.status_code == 409, r.text
    problem = r.json()
    assert problem["type"] == "/problems/broken-user-trail"
    assert problem["user_id"] == police.id and problem["user_event_id"] == forged
    assert str(forged) in problem["detail"] and "audit verify" in problem["detail"]
    assert database_snapshot() == before
    # Another user's trail is whole: changes to them go on.
    other = api.world.actor("commune_reviewer")
    r = api.client.patch(
        f"/api/v1/users/{other.id}", json={"name": "Tên khác"}, headers=api.auth(admin)
    )
    assert r.status_code == 200, r.text
