"""issue 15: a decision (recognise, revoke) is dated inside the dossier's year and not after
today in Vietnam; anything else is a 422 that names the allowed range."""

from __future__ import annotations

from datetime import UTC, datetime

import time_machine

from states.lifecycle import Event, State
from tests.api.helpers import fire, walk

# 1 December 2026, 23:30 UTC: already 2 December in Vietnam.
LATE_EVENING_UTC = datetime(2026, 12, 1, 23, 30, tzinfo=UTC)


def _decide(api, day: str):
    d = walk(api, "CQ", State.POLICE_VERIFIED)
    return fire(
        api,
        d,
        Event.RECOGNISE,
        api.world.actor("ubnd", "province"),
        {"decision_no": "15/QĐ-UBND", "decision_date": day},
    )


def test_a_decision_dated_in_the_future_is_refused_naming_the_range(api):
    with time_machine.travel(LATE_EVENING_UTC, tick=True):
        r = _decide(api, "2027-05-01")
    assert r.status_code == 422, r.text
    (reason,) = [x for x in r.json()["reasons"] if "2027-05-01" in x]
    assert "from 2026-01-01 to 2026-12-02" in reason and "01/01/2026 đến 02/12/2026" in reason


def test_a_decision_dated_before_the_dossiers_year_is_refused(api):
    with time_machine.travel(LATE_EVENING_UTC, tick=True):
        r = _decide(api, "2020-01-01")
    assert r.status_code == 422, r.text
    assert any("2020-01-01" in x and "2026-01-01" in x for x in r.json()["reasons"])


def test_today_in_vietnam_is_accepted_though_utc_is_still_yesterday(api):
    with time_machine.travel(LATE_EVENING_UTC, tick=True):
        r = _decide(api, "2026-12-02")
    assert r.status_code == 200, r.text
    assert r.json()["decision_date"] == "2026-12-02"


def test_a_revocation_dated_outside_the_range_is_refused(api):
    with time_machine.travel(LATE_EVENING_UTC, tick=True):
        d = walk(api, "CQ", State.RECOGNISED)
        ubnd = api.world.actor("ubnd", "province")
        body = {"decision_no": "20/QĐ-UBND", "reason": "Vi phạm / a breach"}
        r = fire(api, d, Event.REVOKE, ubnd, {**body, "decision_date": "2027-01-05"})
        assert r.status_code == 422, r.text
        assert any("2027-01-05" in x for x in r.json()["reasons"])
        r = fire(api, d, Event.REVOKE, ubnd, {**body, "decision_date": "2026-12-01"})
    assert r.status_code == 200, r.text
    assert "ngày 01/12/2026" in r.json()["last_reason"]


def test_the_dossier_shows_its_evaluation_window(api):
    d = walk(api, "KDC", State.REGISTERED)
    rep = api.world.actor("unit", "KDC")
    got = api.client.get(f"/api/v1/dossiers/{d['id']}", headers=api.auth(rep)).json()
    assert got["evaluation_window"] == {"from": "2025-11-01", "to": "2026-10-31"}
    assert d["evaluation_window"] == got["evaluation_window"]  # the change's answer too
