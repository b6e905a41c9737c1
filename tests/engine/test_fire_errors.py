"""Bad input gives its typed error and leaves the database exactly as it was."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from states.lifecycle import Event, State
from tests.engine.helpers import YEAR, payload_for, registration_time, walk
from tests.factories import build_world
from workflow import engine as wf
from workflow.db import read_connection
from workflow.errors import (
    Conflict,
    GuardFailed,
    InvalidInput,
    NotFound,
    UnknownEvent,
    VersionConflict,
)
from workflow.models import AuditEvent, Dossier, Unit
from workflow.registration import register
from workflow.units import create_unit


def snapshot():
    with read_connection() as conn:
        dossiers = [tuple(r) for r in conn.execute(select(Dossier.__table__).order_by("id"))]
        audits = conn.execute(select(func.count()).select_from(AuditEvent.__table__)).scalar_one()
        units = conn.execute(select(func.count()).select_from(Unit.__table__)).scalar_one()
    return dossiers, audits, units


@pytest.fixture
def world(engine):
    return build_world()


def test_unknown_dossier(world):
    before = snapshot()
    with pytest.raises(NotFound):
        wf.fire(999_999, "submit_self_score", world.actor("unit", "KDC"), {}, 1)
    assert snapshot() == before


def test_unknown_event_lists_the_known_ones(world):
    d = walk(world, world.units["KDC"], world.actor("unit", "KDC"), State.REGISTERED)
    before = snapshot()
    with pytest.raises(UnknownEvent) as e:
        wf.fire(d["id"], "approve_everything", world.actor("ubnd"), {}, 1)
    assert "commune_approve" in e.value.known
    assert snapshot() == before


def test_wrong_version_reports_the_current_one(world):
    d = walk(world, world.units["KDC"], world.actor("unit", "KDC"), State.SELF_SCORED)
    before = snapshot()
    with pytest.raises(VersionConflict) as e:
        wf.fire(d["id"], "commune_approve", world.actor("commune_reviewer"), {}, d["version"] - 1)
    assert e.value.current == d["version"]
    assert snapshot() == before


@pytest.mark.parametrize(
    "event,state,actor",
    [
        (Event.REJECT, State.SELF_SCORED, "ubnd"),
        (Event.RETURN_FOR_REVISION, State.SELF_SCORED, "commune_reviewer"),
    ],
)
def test_missing_written_reason(world, event, state, actor):
    d = walk(world, world.units["KDC"], world.actor("unit", "KDC"), state)
    before = snapshot()
    for payload in ({}, {"reason": "   "}, {"reason": None}):
        with pytest.raises(GuardFailed) as e:
            wf.fire(d["id"], event, world.actor(actor), payload, d["version"])
        assert any("reason" in r or "guidance" in r for r in e.value.reasons)
    assert snapshot() == before


def test_recognise_needs_decision_number_and_a_real_date(world):
    d = walk(world, world.units["KDC"], world.actor("unit", "KDC"), State.POLICE_VERIFIED)
    before = snapshot()
    with pytest.raises(GuardFailed) as e:
        wf.fire(
            d["id"], "recognise", world.actor("ubnd"), {"decision_date": "31/02/2026"}, d["version"]
        )
    assert len(e.value.reasons) == 2  # both problems at once
    assert snapshot() == before


def test_payload_must_be_an_object(world):
    d = walk(world, world.units["KDC"], world.actor("unit", "KDC"), State.REGISTERED)
    with pytest.raises(InvalidInput):
        wf.fire(d["id"], "submit_self_score", world.actor("unit", "KDC"), ["x"], 1)


def test_revocation_is_off_unless_the_rule_set_enables_it(world):
    d = walk(world, world.units["KDC"], world.actor("unit", "KDC"), State.RECOGNISED)
    before = snapshot()
    with pytest.raises(GuardFailed) as e:
        wf.fire(d["id"], "revoke", world.actor("ubnd"), payload_for(Event.REVOKE, d), d["version"])
    assert "revocation" in e.value.reasons[0]
    assert snapshot() == before


def test_a_step_returns_a_dossier_once(world):
    unit, rep = world.units["KDC"], world.actor("unit", "KDC")
    d = walk(world, unit, rep, State.SELF_SCORED)
    d = wf.fire(
        d["id"],
        "return_for_revision",
        world.actor("commune_reviewer"),
        payload_for(Event.RETURN_FOR_REVISION, d),
        d["version"],
    )
    assert d["state"] == "registered" and d["returns"] == {"self_scored": 1}
    d = wf.fire(
        d["id"], "submit_self_score", rep, payload_for(Event.SUBMIT_SELF_SCORE, d), d["version"]
    )
    with pytest.raises(GuardFailed) as e:
        wf.fire(
            d["id"],
            "return_for_revision",
            world.actor("commune_reviewer"),
            payload_for(Event.RETURN_FOR_REVISION, d),
            d["version"],
        )
    assert "already returned" in e.value.reasons[0]
    # the next step may still return it once
    d = wf.fire(d["id"], "commune_approve", world.actor("commune_reviewer"), {}, d["version"])
    d = wf.fire(
        d["id"],
        "return_for_revision",
        world.actor("police"),
        payload_for(Event.RETURN_FOR_REVISION, d),
        d["version"],
    )
    assert d["returns"] == {"self_scored": 1, "commune_reviewed": 1}


@pytest.mark.parametrize(
    "subject,kind,level",
    [
        ("CQ", "armed_forces", "province"),
        ("DN", "small", "province"),
        ("DN", "micro", "commune"),
        ("CSGD", "primary", "commune"),
        ("CSGD", "kindergarten", "commune"),
        ("CSGD", "creche", "commune"),
    ],
)
def test_excluded_kinds_are_refused_with_the_reason(world, subject, kind, level):
    before = snapshot()
    with pytest.raises(InvalidInput) as e:
        create_unit(
            subject_type=subject,
            commune_code=world.commune,
            name="X",
            kind=kind,
            managing_level=level,
        )
    assert "not assessed" in e.value.reasons[0]
    assert snapshot() == before


@pytest.mark.parametrize(
    "kwargs,fragment",
    [
        ({"subject_type": "ZZ", "commune_code": None}, "unknown subject type"),
        ({"subject_type": "KDC", "commune_code": 99999}, "no commune"),
        (
            {"subject_type": "KDC", "commune_code": None, "managing_level": "province"},
            "managed by its commune",
        ),
        ({"subject_type": "CQ", "commune_code": None, "kind": "bakery"}, "unknown kind"),
    ],
)
def test_bad_units_are_refused(world, kwargs, fragment):
    kwargs = {**kwargs, "commune_code": kwargs["commune_code"] or world.commune}
    with pytest.raises(InvalidInput) as e:
        create_unit(name="X", **kwargs)
    assert fragment in " ".join(e.value.reasons)


def test_one_live_dossier_per_unit_and_year(world):
    unit, rep = world.units["DN"], world.actor("unit", "DN")
    d = walk(world, unit, rep, State.REGISTERED)
    before = snapshot()
    with pytest.raises(Conflict):
        register(unit["id"], YEAR, rep, now=registration_time(YEAR))
    assert snapshot() == before
    wf.fire(d["id"], "withdraw", rep, {}, d["version"])
    again = register(unit["id"], YEAR, rep, now=registration_time(YEAR))
    assert again["id"] != d["id"] and again["state"] == "registered"


@pytest.mark.parametrize("closing", [State.RECOGNISED, State.REJECTED])
def test_a_decision_closes_the_year(world, closing):
    unit, rep = world.units["DN"], world.actor("unit", "DN")
    walk(world, unit, rep, closing)
    with pytest.raises(Conflict):
        register(unit["id"], YEAR, rep, now=registration_time(YEAR))
    assert register(unit["id"], YEAR + 1, rep, now=registration_time(YEAR + 1))["year"] == YEAR + 1
