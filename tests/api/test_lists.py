"""Lists: territory scope, filters, the reviewer's inbox, and cursor pages that stay stable
while dossiers are registered between pages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from states.lifecycle import State
from tests.api.helpers import register, walk
from tests.engine.helpers import new_unit_like
from workflow.db import write_transaction
from workflow.models import Dossier


def _ids(api, actor, **params):
    r = api.client.get("/api/v1/dossiers", params=params, headers=api.auth(actor))
    assert r.status_code == 200, r.text
    return [d["id"] for d in r.json()["items"]]


def test_filters_and_territory_scope(api):
    w = api.world
    kdc = walk(api, "KDC", State.SELF_SCORED)
    cq = walk(api, "CQ", State.REGISTERED)
    other = walk(api, "other_KDC", State.SELF_SCORED)
    province = w.actor("auditor", "province")
    assert _ids(api, province) == [kdc["id"], cq["id"], other["id"]]
    assert _ids(api, province, state="self_scored") == [kdc["id"], other["id"]]
    assert _ids(api, province, subject_type="CQ") == [cq["id"]]
    assert _ids(api, province, commune=w.other_commune) == [other["id"]]
    assert _ids(api, province, year=2025) == []
    assert _ids(api, w.actor("auditor")) == [kdc["id"], cq["id"]]  # its commune only
    assert _ids(api, w.actor("unit", "CQ")) == [cq["id"]]
    assert _ids(api, w.actor("auditor", "other_province")) == []
    r = api.client.get("/api/v1/dossiers", params={"state": "dreaming"}, headers=api.auth(province))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "query.state"


def test_the_inbox_holds_what_waits_on_me_soonest_due_first(api):
    w = api.world
    first = walk(api, "KDC", State.SELF_SCORED)
    second = walk(api, "CQ_commune", State.SELF_SCORED)
    province_managed = walk(api, "CQ", State.SELF_SCORED)  # reviewed at the commune too
    walk(api, "other_KDC", State.SELF_SCORED)  # another commune's
    walk(api, "DN", State.REGISTERED)  # waits on the unit
    soon = datetime(2026, 1, 5, tzinfo=UTC)  # sooner than any deadline the rules give
    with write_transaction() as conn:
        conn.execute(
            update(Dossier.__table__)
            .where(Dossier.__table__.c.id == second["id"])
            .values(due_at=soon)
        )
    reviewer = w.actor("commune_reviewer")
    inbox = _ids(api, reviewer, awaiting_me="true")
    assert inbox[0] == second["id"]
    assert set(inbox) == {first["id"], second["id"], province_managed["id"]}
    assert _ids(api, w.actor("police"), awaiting_me="true") == []
    assert _ids(api, w.actor("unit", "DN"), awaiting_me="true") != []
    # Paged one by one, the inbox gives the same order.
    seen, cursor = [], None
    while True:
        params = {"awaiting_me": "true", "limit": 1, **({"cursor": cursor} if cursor else {})}
        page = api.client.get("/api/v1/dossiers", params=params, headers=api.auth(reviewer)).json()
        seen += [d["id"] for d in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == inbox


def test_police_inbox_follows_the_authority_map(api):
    w = api.world
    commune_managed = walk(api, "KDC", State.COMMUNE_REVIEWED)
    province_managed = walk(api, "DN", State.COMMUNE_REVIEWED)
    assert _ids(api, w.actor("police"), awaiting_me="true") == [commune_managed["id"]]
    assert _ids(api, w.actor("police", "province"), awaiting_me="true") == [province_managed["id"]]


def test_overdue_filter(api):
    w = api.world
    late = walk(api, "KDC", State.SELF_SCORED)
    on_time = walk(api, "CQ", State.SELF_SCORED)
    now = datetime.now(UTC)
    with write_transaction() as conn:
        for d, due in ((late, now - timedelta(hours=1)), (on_time, now + timedelta(days=3))):
            conn.execute(
                update(Dossier.__table__)
                .where(Dossier.__table__.c.id == d["id"])
                .values(due_at=due)
            )
    auditor = w.actor("auditor", "province")
    assert _ids(api, auditor, overdue="true") == [late["id"]]
    assert late["id"] not in _ids(api, auditor, overdue="false")
    item = api.client.get(
        "/api/v1/dossiers", params={"overdue": "true"}, headers=api.auth(auditor)
    ).json()["items"][0]
    assert item["overdue"] is True


def test_pages_stay_stable_while_dossiers_are_registered(api):
    w = api.world
    units = [new_unit_like(w, "KDC") for _ in range(7)]
    for unit, rep in units[:5]:
        register(api, unit, rep)
    auditor = w.actor("auditor")
    before = _ids(api, auditor, limit=200)
    seen, cursor, late = [], None, iter(units[5:])
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = api.client.get("/api/v1/dossiers", params=params, headers=api.auth(auditor)).json()
        seen += [d["id"] for d in page["items"]]
        nxt = next(late, None)
        if nxt:  # someone registers while we page
            register(api, *nxt)
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen))
    assert seen[: len(before)] == before
    assert seen == sorted(seen)
    r = api.client.get("/api/v1/dossiers", params={"cursor": "garbage!"}, headers=api.auth(auditor))
    assert r.status_code == 422 and "cursor" in r.json()["detail"]


def test_a_dossier_says_how_late_its_step_is_in_working_days(api):
    w = api.world
    d = walk(api, "KDC", State.SELF_SCORED)
    # Due at the end of Friday 20/11/2026 (Vietnam); read on Sunday 22/11 (weekend: 0) and on
    # Wednesday 25/11: Monday 23 counts, Tuesday 24 is Vietnam Cultural Day (a holiday), so 2.
    due = datetime(2026, 11, 20, 16, 59, 59, tzinfo=UTC)
    with write_transaction() as conn:
        conn.execute(
            update(Dossier.__table__)
            .where(Dossier.__table__.c.id == d["id"])
            .values(due_at=due, escalation_level=2)
        )
    import time_machine

    for now, late in (("2026-11-22T03:00:00Z", 0), ("2026-11-25T03:00:00Z", 2)):
        with time_machine.travel(now, tick=False):
            step = api.client.get(
                f"/api/v1/dossiers/{d['id']}", headers=api.auth(w.actor("auditor"))
            ).json()["step"]
        assert step["overdue"] is True and step["overdue_working_days"] == late
        assert step["escalation_level"] == 2 and step["role"] == "commune_reviewer"


@pytest.mark.parametrize(
    ("path", "params", "known"),
    [
        ("/api/v1/dossiers", {}, "awaiting_me"),
        ("/api/v1/units", {}, "subject_type"),
        ("/api/v1/rule-sets", {"year": 2026, "subject_type": "KDC"}, "version"),
        ("/api/v1/reports/summary", {}, "format"),
    ],
)
def test_every_list_refuses_an_unknown_query_parameter_naming_it(api, path, params, known):
    r = api.client.get(
        path,
        params={**params, "colour": "red"},
        headers=api.auth(api.world.actor("province_admin", "province")),
    )
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert [e["field"] for e in body["errors"]] == ["query.colour"]
    assert body["errors"][0]["type"] == "extra_forbidden"
    assert known in body["errors"][0]["message"]  # says what it would have understood
    assert "query.colour" in body["detail"]
