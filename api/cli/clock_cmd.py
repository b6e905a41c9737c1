"""`dossier sweep`, `dossier scheduler`, `dossier outbox`: the clock, by hand and standalone."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import typer

from api.cli.main import app, emit


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

    logging.basicConfig(level=logging.INFO)
    runner.build(blocking=True).start()


@app.command("outbox")
def outbox_cmd(
    deliver_now: bool = typer.Option(False, "--deliver", help="try delivery now"),
) -> None:
    """Show notifications waiting in the outbox (and the failing ones with their error)."""
    from scheduler.delivery import deliver, pending

    if deliver_now:
        emit(deliver().as_dict())
    emit(pending())
