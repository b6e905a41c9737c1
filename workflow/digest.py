"""The daily digest: one mail a working day for each user who chose ``notify_mode = digest``,
listing what waits for them (their inbox, ``queries.awaiting_clause``), the late ones first; a
user who owns no step (a province administrator) gets what is late in their territory.

Written to the outbox keyed by (user, day): however many schedulers wake at 07:30, one digest.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, func, select
from sqlalchemy.exc import IntegrityError

from states import calendar, messages
from states.authority import authority
from states.lifecycle import STATE_OF, STEP_OF_STATE
from states.messages import StepFacts
from states.subjects import MANAGING_LEVEL_OF, SUBJECT_OF
from workflow import outbox, queries
from workflow.models import AppUser, table_of
from workflow.users import actor_from_row

user_table = table_of(AppUser)
MAX_ITEMS = 50


def _aware(moment: datetime | None) -> datetime | None:
    return moment.replace(tzinfo=UTC) if moment and moment.tzinfo is None else moment


def _facts(dossier: dict[str, Any], unit_name: str) -> StepFacts:
    step = STEP_OF_STATE[STATE_OF[dossier["state"]]]
    owner = authority(
        SUBJECT_OF[dossier["subject_type"]], MANAGING_LEVEL_OF[dossier["managing_level"]], step
    )
    return StepFacts(
        dossier_id=dossier["id"],
        unit_name=unit_name,
        province_code=dossier["province_code"],
        commune_code=dossier["commune_code"],
        step=step,
        owner_role=owner.role,
        owner_level=owner.level,
        due_at=_aware(dossier["due_at"]),
    )


def items_for(conn: Connection, row: Any, now: datetime) -> tuple[list[StepFacts], int]:
    """What waits for this user (at most MAX_ITEMS) and how many more there are."""
    actor = actor_from_row(row)
    inbox = queries.awaiting_clause(actor) is not None
    f = queries.DossierFilter(awaiting_me=True) if inbox else queries.DossierFilter(overdue=True)
    q = queries.dossier_query(actor, f, limit=MAX_ITEMS, now=now)
    if q is None:
        return [], 0
    rows = [dict(r._mapping) for r in conn.execute(q)]
    total = conn.execute(
        select(func.count()).select_from(q.limit(None).order_by(None).subquery())
    ).scalar_one()
    rows = [r for r in rows if STATE_OF[r["state"]] in STEP_OF_STATE][:MAX_ITEMS]
    units = queries.units_by_id(conn, {r["unit_id"] for r in rows})
    facts = [_facts(r, units[r["unit_id"]]["name"]) for r in rows]
    return facts, max(total - len(facts), 0)


def enqueue_digests(conn: Connection, now: datetime) -> dict[str, Any]:
    """Write today's digest for every digest reader with an address; says what it did."""
    today = calendar.local_date(now)
    if not calendar.is_working_day(today):
        name = calendar.holiday_name(today)
        why = f" ({name})" if name else ""
        return {
            "day": f"{today:%d/%m/%Y}",
            "working_day": False,
            "written": 0,
            "reason": f"{today:%d/%m/%Y} là ngày nghỉ{why} / is not a working day{why}",
        }
    c = user_table.c
    readers = conn.execute(
        select(user_table).where(c.active.is_(True), c.notify_mode == "digest").order_by(c.id)
    ).all()
    written, nothing, no_address, already = 0, 0, [], 0
    for row in readers:
        if not row.email:
            no_address.append(row.id)
            continue
        items, more = items_for(conn, row, now)
        if not items:
            nothing += 1
            continue
        text = messages.digest_message(row.name, items, now, more=more)
        try:
            with conn.begin_nested():
                outbox.enqueue(
                    conn,
                    outbox.DIGEST,
                    None,
                    {
                        "to_user": row.id,
                        "province_code": row.province_code,
                        "day": today.isoformat(),
                        "subject_vi": text.subject_vi,
                        "subject_en": text.subject_en,
                        "body_vi": text.body_vi,
                        "body_en": text.body_en,
                    },
                    now,
                    dedupe_key=f"digest:{row.id}:{today.isoformat()}",
                )
        except IntegrityError:  # another scheduler wrote it first
            already += 1
            continue
        written += 1
    return {
        "day": f"{today:%d/%m/%Y}",
        "working_day": True,
        "readers": len(readers),
        "written": written,
        "already_written": already,
        "nothing_waiting": nothing,
        "without_email": no_address,
    }
