"""Adding an event touches at most four product files (docs/ARCHITECTURE.md, "Adding an event"):
everything else follows from the lifecycle table and the one example builder. These tests hold
that claim: an event without an example, an example its guards refuse, a body field the API
does not accept, or an event the API's documentation leaves out fails here."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime

import pytest
import time_machine
from typer.testing import CliRunner

from api.app import create_app
from api.cli import app as cli
from api.schemas import EventBody
from states import examples
from states.calendar import local_date
from states.lifecycle import EVENT_LABELS, TRANSITION_BY_EVENT, TRANSITIONS, Event
from states.subjects import SubjectType
from tests.engine.helpers import authorised_actor, enable_revocation, payload_for, walk
from tests.factories import build_world
from workflow import engine as wf
from workflow.demo import demo_payload

# Every subject type, and an agency under either managing level (their steps differ).
VARIANTS = ["KDC", "XA", "CQ", "CQ_commune", "DN", "CSGD"]


def test_every_event_of_the_table_has_one_example_builder():
    assert set(examples.EXAMPLES) == {t.event for t in TRANSITIONS} == set(Event)


@pytest.mark.parametrize("variant", VARIANTS)
# Decided in the years 2030 on: a decision date must not lie in the future (issue 15).
@time_machine.travel(datetime(2100, 12, 1, 3, 0, tzinfo=UTC), tick=True)
def test_each_example_passes_its_events_guards_from_every_source_state(engine, variant):
    world = build_world()
    unit, rep = world.units[variant], world.actor("unit", variant)
    years = itertools.count(2030)
    fired = 0
    for t in TRANSITIONS:
        for state in t.sources:
            year = next(years)
            enable_revocation(year=year)  # the national text lacks the switch revoke needs
            d = walk(world, unit, rep, state, year)
            actor = authorised_actor(world, d, t.event, rep)
            after = wf.fire(d["id"], t.event, actor, payload_for(t.event, d), d["version"])
            assert after["state"] == t.dest.value, f"{variant} {state.value} {t.event.value}"
            fired += 1
    assert fired == sum(len(t.sources) for t in TRANSITIONS)


@pytest.mark.parametrize("subject", list(SubjectType))
def test_every_example_is_a_body_the_api_accepts(subject):
    for event in Event:
        body = examples.example(event, subject)
        assert set(body) <= set(EventBody.model_fields), event  # a new field goes into EventBody
        EventBody.model_validate(body)
        needed, optional = examples.fields_of(event)
        assert set(TRANSITION_BY_EVENT[event].required) <= needed
        assert optional <= set(EventBody.model_fields)


def test_the_demo_and_the_cli_print_the_shared_example_for_every_event(engine):
    runner = CliRunner()
    for event in Event:
        for subject in SubjectType:
            out = runner.invoke(cli, ["example", event.value, "--subject", subject.value])
            assert out.exit_code == 0, out.output
            today = local_date(datetime.now(UTC))  # the CLI dates a decision today in Vietnam
            assert json.loads(out.output) == examples.example(event, subject, decision_date=today)
            demo = demo_payload(event, {"id": 7, "subject_type": subject.value, "year": today.year})
            assert set(demo) == set(examples.example(event, subject))
    out = runner.invoke(cli, ["example", "register", "--subject", "KDC"])
    assert json.loads(out.output) == examples.registration_payload("KDC")


def test_the_apis_documentation_names_every_event_from_the_table():
    spec = create_app().openapi()
    op = spec["paths"]["/api/v1/dossiers/{dossier_id}/events/{event}"]["post"]
    (param,) = [p for p in op["parameters"] if p["name"] == "event"]
    for event in Event:
        vi, en = EVENT_LABELS[event]
        assert f"`{event.value}` ({vi} / {en})" in param["description"]
    assert spec["components"]["schemas"]["Event"]["enum"] == [e.value for e in Event]
    fields = spec["components"]["schemas"]["EventBody"]["properties"]
    for event in Event:
        needed, optional = examples.fields_of(event)
        for name in needed | optional:
            assert event.value in fields[name]["description"], (event, name)
