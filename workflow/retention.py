"""How long rows kept only for a while are kept, and forgetting them (the clock runs it)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, delete

from workflow.models import IdempotencyKey

# A client retries an Idempotency-Key within minutes; a day covers a night's outage.
IDEMPOTENCY_RETENTION = timedelta(hours=24)

_keys = IdempotencyKey.__table__


def purge_idempotency_keys(conn: Connection, now: datetime | None = None) -> int:
    """Forget Idempotency-Key answers older than the retention period; returns how many."""
    cutoff = (now or datetime.now(UTC)) - IDEMPOTENCY_RETENTION
    return conn.execute(delete(_keys).where(_keys.c.created_at < cutoff)).rowcount
