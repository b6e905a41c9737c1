"""APScheduler only wakes the sweep and the delivery; the database says what is due.

Job stores stay in memory: an APScheduler 3 job store shared by several processes runs jobs
twice or misses them. Several processes may each run this scheduler safely, because the sweep's
exactly-once comes from the database (row locks and the unique escalation key), not from here.
``misfire_grace_time=None`` runs a late wake-up however late (the default, 1 s, drops it
silently); ``coalesce`` folds a backlog of wake-ups into one run.
"""

from __future__ import annotations

import logging

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_MISSED
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.interval import IntervalTrigger

from scheduler.delivery import deliver
from scheduler.sweep import sweep
from workflow import retention
from workflow.db import write_transaction
from workflow.settings import get_settings

log = logging.getLogger(__name__)
JOB_DEFAULTS = {"coalesce": True, "max_instances": 1, "misfire_grace_time": None}


def _sweep_job() -> None:
    result = sweep()
    if result.escalated or result.failed:
        log.info("sweep: %s", result.as_dict())


def _delivery_job() -> None:
    result = deliver()
    if result.delivered or result.failed:
        log.info("outbox: %s", result.as_dict())


def _purge_job() -> None:
    with write_transaction() as conn:
        purged = retention.purge_idempotency_keys(conn)
    if purged:
        log.info("idempotency keys forgotten: %d", purged)


def _on_problem(event) -> None:
    if event.code == EVENT_JOB_MISSED:
        log.warning("job %s missed its run at %s", event.job_id, event.scheduled_run_time)
    else:
        log.error("job %s failed: %s", event.job_id, event.exception)


def build(blocking: bool = False) -> BaseScheduler:
    settings = get_settings()
    cls = BlockingScheduler if blocking else BackgroundScheduler
    sched = cls(timezone="UTC", job_defaults=JOB_DEFAULTS)
    sched.add_job(
        _sweep_job,
        IntervalTrigger(seconds=settings.sweep_interval_seconds),
        id="escalation-sweep",
        replace_existing=True,
    )
    sched.add_job(
        _delivery_job,
        IntervalTrigger(seconds=settings.delivery_interval_seconds),
        id="outbox-delivery",
        replace_existing=True,
    )
    # Retries come within minutes; keys older than a day are only weight.
    sched.add_job(
        _purge_job, IntervalTrigger(hours=1), id="idempotency-purge", replace_existing=True
    )
    sched.add_listener(_on_problem, EVENT_JOB_ERROR | EVENT_JOB_MISSED)
    return sched
