"""Retries: the same Idempotency-Key with the same body gets the first response and fires
nothing; with another body it is refused; concurrent twins fire once."""

from __future__ import annotations

import threading

from sqlalchemy import select

from states.lifecycle import Event
from tests.api.helpers import fire, register
from workflow import outbox
from workflow.db import read_connection
from workflow.models import OutboxMessage


def _trail(api, d, actor):
    return api.client.get(f"/api/v1/dossiers/{d['id']}/audit", headers=api.auth(actor)).json()


def test_a_retry_replays_the_first_response_and_fires_nothing(api):
    rep = api.world.actor("unit", "CQ")
    d = register(api, api.world.units["CQ"], rep)
    first = fire(api, d, Event.SUBMIT_SELF_SCORE, rep, None, **{"Idempotency-Key": "k-1"})
    assert first.status_code == 200 and "Idempotent-Replayed" not in first.headers
    again = fire(api, d, Event.SUBMIT_SELF_SCORE, rep, None, **{"Idempotency-Key": "k-1"})
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json() and again.headers["ETag"] == first.headers["ETag"] == '"2"'
    assert len(_trail(api, d, rep)) == 2


def test_the_same_key_with_another_body_is_refused(api):
    rep = api.world.actor("unit", "CQ")
    d = register(api, api.world.units["CQ"], rep)
    assert d["withdrawn_at"] is None
    done = fire(api, d, Event.WITHDRAW, rep, {}, **{"Idempotency-Key": "k-2"})
    assert done.status_code == 200 and done.json()["withdrawn_at"] is not None
    r = fire(api, d, Event.WITHDRAW, rep, {"reason": "khác"}, **{"Idempotency-Key": "k-2"})
    assert r.status_code == 422 and "Idempotency-Key" in r.json()["detail"]


def test_a_failed_request_is_not_remembered(api):
    rep = api.world.actor("unit", "CQ")
    d = register(api, api.world.units["CQ"], rep)
    r = fire(api, d, Event.SUBMIT_SELF_SCORE, rep, {}, **{"Idempotency-Key": "k-3"})
    assert r.status_code == 422
    r = fire(api, d, Event.WITHDRAW, rep, {}, **{"Idempotency-Key": "k-3"})
    assert r.status_code == 200 and r.json()["state"] == "withdrawn"


def test_keys_belong_to_their_caller(api):
    w = api.world
    a = register(api, w.units["CQ"], w.actor("unit", "CQ"))
    b = register(api, w.units["DN"], w.actor("unit", "DN"))
    assert (
        fire(
            api, a, Event.WITHDRAW, w.actor("unit", "CQ"), {}, **{"Idempotency-Key": "same"}
        ).status_code
        == 200
    )
    r = fire(api, b, Event.WITHDRAW, w.actor("unit", "DN"), {}, **{"Idempotency-Key": "same"})
    assert r.status_code == 200 and "Idempotent-Replayed" not in r.headers
    assert r.json()["id"] == b["id"]


def test_registration_retries_register_once(api):
    w = api.world
    rep = w.actor("unit", "DN")
    body = {"unit_id": w.units["DN"]["id"], "year": 2026}
    headers = {**api.auth(rep), "Idempotency-Key": "reg-1"}
    first = api.client.post("/api/v1/dossiers", json=body, headers=headers)
    again = api.client.post("/api/v1/dossiers", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert (
        again.json()["id"] == first.json()["id"]
        and again.headers["Location"] == first.headers["Location"]
    )
    assert api.client.post("/api/v1/dossiers", json=body, headers=api.auth(rep)).status_code == 409
    # One registration, so one "step opened" message: neither the replay nor the 409 wrote one.
    with read_connection() as conn:
        kinds = conn.execute(select(OutboxMessage.__table__.c.kind)).scalars().all()
    assert kinds == [outbox.STEP_OPENED]


def test_concurrent_twins_fire_once(api):
    rep = api.world.actor("unit", "CQ")
    d = register(api, api.world.units["CQ"], rep)
    results = []
    barrier = threading.Barrier(4)

    def send():
        barrier.wait()
        results.append(fire(api, d, Event.WITHDRAW, rep, {}, **{"Idempotency-Key": "twin"}))

    threads = [threading.Thread(target=send) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [r.status_code for r in results] == [200] * 4, [r.text for r in results]
    assert sum(1 for r in results if "Idempotent-Replayed" not in r.headers) == 1
    assert len(_trail(api, d, rep)) == 2


def test_a_malformed_key_is_400(api):
    rep = api.world.actor("unit", "CQ")
    d = register(api, api.world.units["CQ"], rep)
    r = fire(api, d, Event.WITHDRAW, rep, {}, **{"Idempotency-Key": ""})
    assert r.status_code in (400, 422) and r.headers["content-type"].startswith(
        "application/problem+json"
    )


def test_keys_are_forgotten_after_a_day(api):
    from datetime import UTC, datetime, timedelta

    from workflow import retention
    from workflow.db import write_transaction

    rep = api.world.actor("unit", "CQ")
    d = register(api, api.world.units["CQ"], rep)
    assert fire(api, d, Event.WITHDRAW, rep, {}, **{"Idempotency-Key": "old"}).status_code == 200
    with write_transaction() as conn:
        assert retention.purge_idempotency_keys(conn, datetime.now(UTC) + timedelta(hours=1)) == 0
        assert (
            retention.purge_idempotency_keys(
                conn, datetime.now(UTC) + retention.IDEMPOTENCY_RETENTION + timedelta(seconds=1)
            )
            == 1
        )
