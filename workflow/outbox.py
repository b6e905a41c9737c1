"""The outbox: notifications written inside the transaction of the event they report.

Delivery happens later, outside any transaction (``scheduler.delivery``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert

from workflow.audit import canonical_json
from workflow.models import OutboxMessage, table_of

outbox_table = table_of(OutboxMessage)
_INSERT = insert(outbox_table)


def enqueue(
    conn: Connection, kind: str, dossier_id: int | None, payload: dict[str, Any], now: datetime
) -> None:
    conn.execute(
        _INSERT,
        {
            "kind": kind,
            "dossier_id": dossier_id,
            "payload": canonical_json(payload),
            "attempts": 0,
            "next_attempt_at": now,
            "last_error": None,
            "created_at": now,
            "delivered_at": None,
        },
    )
