"""Who may register a dossier, and the first audit row."""

from __future__ import annotations

import json
import threading

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from states import examples
from states.lifecycle import Event
from tests.engine.helpers import YEAR, payload_for, registration_time
from tests.factories import build_world
from workflow import audit, outbox
from workflow import engine as wf
from workflow.db import read_connection
from workflow.errors import Conflict, Forbidden, GuardFailed, InvalidInput, NotFound
from workflow.models import AuditEvent, Dossier, OutboxMessage
from workflow.registration import register
from workflow.units import create_unit

NOW = registration_time(YEAR)
KDC_PAYLOAD = examples.registration_payload("KDC")


@pytest.fixture
def world(engine):
    return build_world()


@pytest.mark.parametrize(
    "who,allowed",
    [
        (("unit", "KDC"), True),
        (("unit", "other_KDC"), False),
        (("commune_reviewer", "own"), True),
        (("commune_reviewer", "other"), False),
        (("province_admin", "province"), True),
        (("province_admin", "other_province"), False),
        (("police", "own"), False),
        (("ubnd", "province"), False),
        (("auditor", "own"), False),
    ],
)
def test_who_may_register(world, who, allowed):
    unit = world.units["KDC"]
    if allowed:
        d = register(unit["id"], YEAR, world.actor(*who), KDC_PAYLOAD, now=NOW)
        with read_connection() as conn:
            (row,) = audit.trail(conn, d["id"])
        assert (row["event"], row["to_state"], row["actor_id"]) == (
            "register",
            "registered",
            world.actor(*who).id,
        )
    else:
        # Outside the territory the unit is not found; inside it, a role that may not is refused.
        outside = who[1] in ("other_KDC", "other", "other_province")
        with pytest.raises(NotFound if outside else Forbidden):
            register(unit["id"], YEAR, world.actor(*who), KDC_PAYLOAD, now=NOW)


def test_unknown_unit_and_bad_year(world):
    with pytest.raises(NotFound):
        register(424242, YEAR, world.actor("province_admin", "province"), now=NOW)
    with pytest.raises(InvalidInput):
        register(world.units["KDC"]["id"], 1999, world.actor("unit", "KDC"), now=NOW)


def test_a_commune_is_one_xa_unit(world):
    from workflow.errors import Conflict

    with pytest.raises(Conflict):
        create_unit(subject_type="XA", commune_code=world.commune)


def test_the_rule_set_is_pinned_at_registration(world):
    d = register(world.units["CQ"]["id"], YEAR, world.actor("unit", "CQ"), now=NOW)
    assert d["rule_set_id"] is not None
    other = register(world.units["DN"]["id"], YEAR, world.actor("unit", "DN"), now=NOW)
    assert other["rule_set_id"] != d["rule_set_id"]  # a rule set per subject type


def test_a_second_registration_is_refused_naming_the_live_dossier(world):
    unit, rep = world.units["DN"], world.actor("unit", "DN")
    first = register(unit["id"], YEAR, rep, now=NOW)
    with pytest.raises(Conflict) as refused:
        register(unit["id"], YEAR, rep, now=NOW)
    assert refused.value.extra["dossier_id"] == first["id"]
    assert f"#{first['id']}" in refused.value.detail


def test_concurrent_registrations_of_one_unit_give_one_dossier(world):
    """Eight requests at once: the unique (unit, year) index lets one in; the others are told
    which dossier won, and nothing else is written."""
    unit, rep = world.units["DN"], world.actor("unit", "DN")
    barrier = threading.Barrier(8)
    outcomes: list[object] = [None] * 8

    def attempt(i):
        barrier.wait()
        try:
            outcomes[i] = register(unit["id"], YEAR, rep, now=NOW, request_id=f"r{i}")
        except Exception as e:  # noqa: BLE001 - the test inspects every outcome
            outcomes[i] = e

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    won = [o for o in outcomes if isinstance(o, dict)]
    assert len(won) == 1, outcomes
    lost = [o for o in outcomes if not isinstance(o, dict)]
    assert all(isinstance(o, Conflict) and o.extra["dossier_id"] == won[0]["id"] for o in lost), (
        lost
    )
    with read_connection() as conn:
        ids = (
            conn.execute(
                select(Dossier.__table__.c.id).where(Dossier.__table__.c.unit_id == unit["id"])
            )
            .scalars()
            .all()
        )
        assert ids == [won[0]["id"]]
        assert [r["event"] for r in audit.trail(conn, won[0]["id"])] == ["register"]
        assert audit.verify(conn)[1] == []
    assert _rows(OutboxMessage) == 1  # one "step opened" message: the refused wrote none


def test_a_withdrawal_is_timed_and_frees_the_place_other_events_leave_it_live(world):
    rep = world.actor("unit", "KDC")
    unit = world.units["KDC"]
    first = register(unit["id"], YEAR, rep, KDC_PAYLOAD, now=NOW)
    d = wf.fire(
        first["id"],
        Event.SUBMIT_SELF_SCORE,
        rep,
        payload_for(Event.SUBMIT_SELF_SCORE, first),
        1,
        now=NOW,
    )
    assert d["withdrawn_at"] is None
    with pytest.raises(Conflict):
        register(unit["id"], YEAR, rep, KDC_PAYLOAD, now=NOW)
    later = NOW.replace(hour=NOW.hour + 1)
    d = wf.fire(
        first["id"], Event.WITHDRAW, rep, {"reason": "Đăng ký nhầm năm"}, d["version"], now=later
    )
    assert d["withdrawn_at"] == later
    assert wf.get(first["id"])["withdrawn_at"] == later
    second = register(unit["id"], YEAR, rep, KDC_PAYLOAD, now=later)
    assert second["id"] != first["id"]


def _rows(model) -> int:
    with read_connection() as conn:
        return conn.execute(select(func.count()).select_from(model.__table__)).scalar_one()


def test_a_registration_announces_its_first_step_to_the_unit(world):
    """issue 15: registering opens the unit's self-scoring step, and that step is announced in
    the registration's own transaction, like every step a fire opens."""
    unit, rep = world.units["DN"], world.actor("unit", "DN")
    d = register(unit["id"], YEAR, rep, now=NOW)
    with read_connection() as conn:
        (message,) = conn.execute(select(OutboxMessage.__table__)).all()
    assert (message.kind, message.dossier_id, message.status) == (
        outbox.STEP_OPENED,
        d["id"],
        "pending",
    )
    assert message.created_at.replace(tzinfo=NOW.tzinfo) == NOW
    assert json.loads(message.payload) == {
        "step": "registered",
        "due_at": d["due_at"].isoformat(),
        "to_role": "unit",
        "to_level": "unit",
        "dossier_id": d["id"],
        "unit_id": unit["id"],
        "commune_code": unit["commune_code"],
        "province_code": unit["province_code"],
    }


def test_a_refused_registration_announces_nothing(world):
    unit, rep = world.units["KDC"], world.actor("unit", "KDC")
    with pytest.raises(GuardFailed):
        register(unit["id"], YEAR, rep, {}, now=NOW)  # a KDC registers with its households
    assert (_rows(Dossier), _rows(OutboxMessage)) == (0, 0)
    register(unit["id"], YEAR, rep, KDC_PAYLOAD, now=NOW)
    with pytest.raises(Conflict):
        register(unit["id"], YEAR, rep, KDC_PAYLOAD, now=NOW)
    assert (_rows(Dossier), _rows(OutboxMessage)) == (1, 1)


def test_a_registration_is_written_whole_with_its_announcement_or_not_at_all(world, monkeypatch):
    """The dossier, its first audit row and its "step opened" message are one transaction: if
    the database refuses the message, it keeps none of the registration."""
    unit, rep = world.units["DN"], world.actor("unit", "DN")
    step_opened = outbox.step_opened

    def refused(dossier, at):  # a message the database's NOT NULL on its kind refuses
        return {**step_opened(dossier, at), "kind": None}

    monkeypatch.setattr(outbox, "step_opened", refused)
    with pytest.raises(IntegrityError):
        register(unit["id"], YEAR, rep, now=NOW)
    assert (_rows(Dossier), _rows(AuditEvent), _rows(OutboxMessage)) == (0, 0, 0)
    monkeypatch.undo()
    d = register(unit["id"], YEAR, rep, now=NOW)  # nothing was left behind to conflict with
    assert (_rows(Dossier), _rows(AuditEvent), _rows(OutboxMessage)) == (1, 1, 1)
    with read_connection() as conn:
        assert audit.verify(conn, d["id"])[1] == []
