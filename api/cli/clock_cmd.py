"""`dossier sweep`, `dossier scheduler`, `dossier outbox`, `dossier digest`: the clock, by hand
and standalone."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import typer

from api.cli.main import app, emit, require_current_schema


def _moment(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"'{text}' is not a time like 2026-11-21T09:00") from None
    if moment.tzinfo is None:  # officials read local time
        from zoneinfo import ZoneInfo

        moment = moment.replace(tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
    return moment.astimezone(UTC)


@app.command("sweep")
def sweep_cmd(
    at: str = typer.Option(
        None, "--at", help="as if at this local time (Asia/Ho_Chi_Minh), e.g. 2026-11-21T09:00"
    ),
    batch: int = typer.Option(500, "--batch"),
) -> None:
    """Run one escalation sweep now, or as if at --at; prints the counts."""
    from scheduler.sweep import sweep

    emit(sweep(_moment(at), batch=batch).as_dict())


@app.command("scheduler")
def scheduler_cmd() -> None:
    """Run the clock standalone (beside API workers started with DOSSIER embedded scheduler off)."""
    from scheduler import runner

    require_current_schema()
    logging.basicConfig(level=logging.INFO)
    runner.build(blocking=True).start()


@app.command("outbox")
def outbox_cmd(
    deliver_now: bool = typer.Option(
        False, "--deliver", help="address and send now; says what it did per channel"
    ),
    status: str = typer.Option(
        None, "--status", help="list only messages in this status: pending, sent, undeliverable"
    ),
    at: str = typer.Option(None, "--at", help="as if at this local time (Asia/Ho_Chi_Minh)"),
) -> None:
    """Messages not yet delivered, with the reason when one cannot be (nobody holds the seat, no
    channel configured) or the last error of a failing channel."""
    from scheduler.delivery import deliver, pending
    from workflow import outbox
    from workflow.db import read_connection

    if status is not None and status not in outbox.STATUSES:
        raise typer.BadParameter(f"'{status}': use one of {', '.join(outbox.STATUSES)}")
    if deliver_now:
        emit(deliver(_moment(at)).report())
    if status is None:
        emit(pending())
        return
    with read_connection() as conn:
        emit({"status": status, "messages": outbox.list_messages(conn, status=status)})


@app.command("digest")
def digest_cmd(
    at: str = typer.Option(
        None, "--at", help="as if at this local time (Asia/Ho_Chi_Minh), e.g. 2026-12-02T07:30"
    ),
) -> None:
    """Write today's digest for every user with notify mode 'digest', then deliver it."""
    from scheduler.delivery import deliver
    from workflow import digest
    from workflow.db import write_transaction

    now = _moment(at) or datetime.now(UTC)
    with write_transaction() as conn:
        written = digest.enqueue_digests(conn, now)
    emit({"digest": written, "delivery": deliver(now).report()})
