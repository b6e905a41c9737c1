"""APScheduler only wakes the sweep and the delivery; the database says what is due.

Job stores stay in memory: an APScheduler 3 job store shared by several processes runs jobs
twice or misses them. Several processes may each run this scheduler safely, because the sweep's
exactly-once comes from the database (row locks and the unique escalation key), not from here.
``misfire_grace_time=None`` runs a late wake-up however late (the default, 1 s, drops it
silently); ``coalesce`` folds a backlog of wake-ups into one run.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_MISSED
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from scheduler.delivery import deliver
from scheduler.sweep import sweep
from workflow import checkpoints, digest, retention, tree_heads
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
    if result.delivered or result.failed or result.undeliverable:
        log.info("outbox: %s", result.report())


def _digest_job() -> None:
    # Every day at the digest time: enqueue_digests itself skips days off (Tết, substituted days
    # and weekends, but not a make-up working Saturday), which a cron expression cannot know.
    with write_transaction() as conn:
        result = digest.enqueue_digests(conn, datetime.now(UTC))
    log.info("digest: %s", result)
    if result.get("written"):
        _delivery_job()


def _purge_job() -> None:
    with write_transaction() as conn:
        purged = retention.purge_idempotency_keys(conn)
    if purged:
        log.info("idempotency keys forgotten: %d", purged)


def _checkpoint_job() -> None:
    written = checkpoints.checkpoint()
    if written.path:
        log.info("tree head: %d leaves, %s", written.head.tree_size, written.path)


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
    hour, minute = (int(p) for p in settings.digest_time.split(":"))
    sched.add_job(
        _digest_job,
        CronTrigger(hour=hour, minute=minute, timezone="Asia/Ho_Chi_Minh"),
        id="daily-digest",
        replace_existing=True,
        # A process that wakes late still sends the morning's digest within the grace; later
        # than that it is skipped (and logged as missed): tomorrow's comes instead.
        misfire_grace_time=settings.digest_grace_minutes * 60,
    )
    # Retries come within minutes; keys older than a day are only weight.
    sched.add_job(
        _purge_job, IntervalTrigger(hours=1), id="idempotency-purge", replace_existing=True
    )
    if settings.audit_checkpoint_minutes > 0:
        if checkpoints.key_file() is not None:
            sched.add_job(
                _checkpoint_job,
                IntervalTrigger(minutes=settings.audit_checkpoint_minutes),
                id="audit-checkpoint",
                replace_existing=True,
            )
        else:
            log.warning("no AUDIT_KEY_FILE: the clock signs no tree heads (%s)", tree_heads.LOG_ID)
    sched.add_listener(_on_problem, EVENT_JOB_ERROR | EVENT_JOB_MISSED)
    return sched
