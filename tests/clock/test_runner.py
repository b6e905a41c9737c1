"""APScheduler wiring: in-memory jobs that coalesce and never drop a late run; the API embeds it;
`dossier sweep --at` runs one sweep as if at that local time."""

from __future__ import annotations

import json

import pytest
import time_machine
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.app import create_app
from api.cli import app as cli
from scheduler import runner
from states.lifecycle import State
from tests.engine.helpers import publish_province_plan, walk
from tests.factories import build_world
from workflow.settings import get_settings


def test_jobs_coalesce_and_run_however_late():
    sched = runner.build()
    sched.start(paused=True)  # job defaults are applied when the scheduler takes the jobs
    jobs = {j.id: j for j in sched.get_jobs()}
    assert set(jobs) == {"escalation-sweep", "outbox-delivery", "idempotency-purge", "daily-digest"}
    for job in jobs.values():
        assert job.coalesce is True and job.max_instances == 1
    for name in ("escalation-sweep", "outbox-delivery", "idempotency-purge"):
        # APScheduler's default of 1 s drops late runs
        assert jobs[name].misfire_grace_time is None
    # The digest: 07:30 in Vietnam, and a morning's digest still goes out within two hours late.
    digest = jobs["daily-digest"]
    assert str(digest.trigger.timezone) == "Asia/Ho_Chi_Minh"
    assert {f.name: str(f) for f in digest.trigger.fields}["hour"] == "7"
    assert {f.name: str(f) for f in digest.trigger.fields}["minute"] == "30"
    assert digest.misfire_grace_time == 2 * 60 * 60
    assert list(sched._jobstores) == ["default"]
    assert type(sched._jobstores["default"]).__name__ == "MemoryJobStore"
    sched.shutdown(wait=False)


@pytest.fixture
def embedded_clock(monkeypatch):
    monkeypatch.setenv("EMBEDDED_SCHEDULER", "true")  # the product's default; tests run without
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_the_api_process_embeds_the_clock(engine, embedded_clock):
    with TestClient(create_app()) as client:
        assert client.get("/healthz").status_code == 200
        clock = client.app.state.scheduler
        assert clock is not None and clock.running
    assert not clock.running


def test_sweep_at_a_local_time(engine):
    world = build_world()
    publish_province_plan()  # the demo province's dates: self-assessment by 05/11
    walk(world, world.units["DN"], world.actor("unit", "DN"), State.REGISTERED)
    with time_machine.travel("2026-11-01T00:00:00Z", tick=False):
        before = CliRunner().invoke(cli, ["sweep", "--at", "2026-11-03T07:59"])
        after = CliRunner().invoke(cli, ["sweep", "--at", "2026-11-03T08:00"])
    assert json.loads(before.stdout)["escalated"] == 0
    assert json.loads(after.stdout)["escalated"] == 1
    bad = CliRunner().invoke(cli, ["sweep", "--at", "next tuesday"])
    assert bad.exit_code != 0
