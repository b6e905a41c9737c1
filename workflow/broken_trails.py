"""Telling a trail broken behind the engine from any other refused write: a row already at the
seq an event was to take (a forged or half-restored audit row) fails the unique (dossier, seq)
constraint, which is the dossier's problem to name, not a 500."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError

from workflow.db import reading_after_refusal
from workflow.models import AuditEvent, UserEvent, table_of

audit_table = table_of(AuditEvent)
user_event_table = table_of(UserEvent)
# PostgreSQL names the constraint; SQLite names its columns.
_SEQ_TAKEN = ("uq_audit_dossier_seq", "audit_event.dossier_id, audit_event.seq")
_USER_SEQ_TAKEN = ("uq_user_event_user_seq", "user_event.user_id, user_event.seq")


def is_seq_taken(err: IntegrityError) -> bool:
    return _names(err, _SEQ_TAKEN)


def is_user_seq_taken(err: IntegrityError) -> bool:
    return _names(err, _USER_SEQ_TAKEN)


def row_id_at(dossier_id: int, seq: int, engine: Engine | None = None) -> int | None:
    """The id of the row that holds ``seq`` in the dossier's trail."""
    return _row_id(audit_table, audit_table.c.dossier_id, dossier_id, seq, engine)


def user_row_id_at(user_id: int, seq: int, engine: Engine | None = None) -> int | None:
    """The id of the row that holds ``seq`` in the user's trail."""
    return _row_id(user_event_table, user_event_table.c.user_id, user_id, seq, engine)


def _names(err: IntegrityError, markers: tuple[str, ...]) -> bool:
    text = str(err.orig)
    return any(marker in text for marker in markers)


def _row_id(table: Any, owner: Any, owner_id: int, seq: int, engine: Engine | None) -> int | None:
    with reading_after_refusal(engine) as conn:
        return conn.execute(
            select(table.c.id).where(owner == owner_id, table.c.seq == seq)
        ).scalar_one_or_none()
