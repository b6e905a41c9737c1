"""Escalating an overdue step: through the same audit path as every event, never deciding.

One transaction writes the escalation row (unique per dossier, step and level), the audit
event, the outbox notification and the dossier's new level and next escalation time. A step
already past several levels gets only the highest one due (one row, one message): three
messages in the same minute tell an official nothing the last one does not.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, insert, update

from states.deadlines import due_level, escalation_target, next_level
from states.lifecycle import STEP_OF_STATE, State
from states.subjects import ManagingLevel, SubjectType
from workflow import audit, replay, rulesets
from workflow.models import Dossier, Escalation, table_of
from workflow.outbox import ESCALATION, enqueue
from workflow.steps import deadline_rules

dossier_table = table_of(Dossier)
escalation_table = table_of(Escalation)

SYSTEM_ACTOR = "Hệ thống theo dõi hạn / deadline clock"
ESCALATE = replay.ESCALATE

_INSERT = insert(escalation_table)
_ADVANCE = (
    update(dossier_table)
    .where(
        dossier_table.c.id == bindparam("b_id"),
        dossier_table.c.step_seq == bindparam("b_step_seq"),
        dossier_table.c.escalation_level == bindparam("b_level"),
    )
    .values(
        escalation_level=bindparam("escalation_level"),
        next_escalation_at=bindparam("next_escalation_at"),
        audit_seq=bindparam("audit_seq"),
        audit_head=bindparam("audit_head"),
    )
)


_RESCHEDULE = (
    update(dossier_table)
    .where(dossier_table.c.id == bindparam("b_id"))
    .values(next_escalation_at=bindparam("next_escalation_at"))
)


def escalate(conn: Connection, dossier: dict[str, Any], now: datetime) -> int | None:
    """Raise the dossier's open step to the highest level due at ``now``; returns the level.
    Levels it passes over are not written: the message of the level reached says it all.

    The caller holds the row lock. A level reached by another sweeper is not written twice: the
    unique key on (dossier, step, level) and the level check in the UPDATE both refuse it."""
    state = State(dossier["state"])
    due = upcoming = None
    if state in STEP_OF_STATE and dossier["due_at"] is not None:
        ladder = deadline_rules(rulesets.load(conn, dossier["rule_set_id"])).ladder
        due = due_level(ladder, dossier["due_at"], dossier["escalation_level"], now)
        if due is None:
            upcoming = next_level(ladder, dossier["due_at"], dossier["escalation_level"])
    if due is None:
        # The recorded time was stale (it cannot be, short of a hand edit): put it right.
        conn.execute(
            _RESCHEDULE,
            {"b_id": dossier["id"], "next_escalation_at": upcoming[1] if upcoming else None},
        )
        return None
    level = due[0]
    skipped = list(range(dossier["escalation_level"] + 1, level))
    target = escalation_target(
        state, level, ManagingLevel(dossier["managing_level"]), SubjectType(dossier["subject_type"])
    )
    later = next_level(ladder, dossier["due_at"], level)
    seq = dossier["audit_seq"] + 1
    payload = {
        "step": state.value,
        "level": level,
        "due_at": dossier["due_at"].isoformat(),
        "to_role": target.role,
        "to_level": target.level,
        # Levels already past when the sweep first saw the step: not sent separately.
        "levels_passed_over": skipped,
    }
    conn.execute(
        _INSERT,
        {
            "dossier_id": dossier["id"],
            "step_seq": dossier["step_seq"],
            "step": state.value,
            "level": level,
            "due_at": dossier["due_at"],
            "at": now,
            "target_role": target.role,
            "target_level": target.level,
        },
    )
    head = audit.append(
        conn,
        dossier_id=dossier["id"],
        seq=seq,
        prev_hash=dossier["audit_head"],
        event=ESCALATE,
        from_state=state.value,
        to_state=state.value,
        version=dossier["version"],
        actor_id=None,
        actor_name=SYSTEM_ACTOR,
        role="system",
        payload=payload,
        reason=target.label_vi,
        at=now,
        request_id=None,
        rule_set_id=dossier["rule_set_id"],
    )
    enqueue(
        conn,
        ESCALATION,
        dossier["id"],
        {
            **payload,
            "dossier_id": dossier["id"],
            "unit_id": dossier["unit_id"],
            "commune_code": dossier["commune_code"],
            "province_code": dossier["province_code"],
            "message": target.label_vi,
        },
        now,
    )
    result = conn.execute(
        _ADVANCE,
        {
            "b_id": dossier["id"],
            "b_step_seq": dossier["step_seq"],
            "b_level": dossier["escalation_level"],
            "escalation_level": level,
            "next_escalation_at": later[1] if later else None,
            "audit_seq": seq,
            "audit_head": head,
        },
    )
    if result.rowcount != 1:
        raise RuntimeError(f"dossier {dossier['id']} moved while it was being escalated")
    return level
