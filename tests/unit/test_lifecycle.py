"""The lifecycle table, the shared Machine and the README all say the same thing."""

from __future__ import annotations

from pathlib import Path

from api.cli.demo_cmd import readme_block
from states.lifecycle import (
    EVENT_LABELS,
    STATE_LABELS,
    TERMINAL,
    TRANSITIONS,
    Event,
    State,
    machine,
    mermaid,
    next_state,
)

README = Path(__file__).resolve().parents[2] / "README.md"


def test_every_state_and_event_has_labels_in_both_languages():
    assert set(STATE_LABELS) == set(State) and set(EVENT_LABELS) == set(Event)
    assert all(
        vi and en and vi != en for vi, en in [*STATE_LABELS.values(), *EVENT_LABELS.values()]
    )


def test_the_machine_agrees_with_the_table_for_every_pair():
    for state in State:
        for event in Event:
            t = next(t for t in TRANSITIONS if t.event is event)
            assert next_state(state, event) == (t.dest if state in t.sources else None)


def test_reading_the_machines_table_gives_what_triggering_it_gives():
    """next_state reads the Machine's transition table instead of triggering it: the Machine has
    no conditions or callbacks, so both must always land on the same state."""

    class Model:
        state: str

    for state in State:
        for event in Event:
            model = Model()
            model.state = state.value
            ev = machine().events[event.value]
            if state.value in ev.transitions:
                ev.trigger(model)
                assert State(model.state) is next_state(state, event)
            else:
                assert next_state(state, event) is None


def test_the_machine_has_no_conditions_or_callbacks():
    for ev in machine().events.values():
        for transitions in ev.transitions.values():
            for t in transitions:
                assert not (t.conditions or t.before or t.after or t.prepare)
    for state in machine().states.values():
        assert not (state.on_enter or state.on_exit)


def test_the_machine_is_built_once():
    assert machine() is machine()


def test_closed_states_have_no_way_out_but_revocation():
    for state in TERMINAL:
        out = [t.event for t in TRANSITIONS if state in t.sources]
        assert out == ([Event.REVOKE] if state is State.RECOGNISED else [])


def test_the_diagram_names_every_transition():
    text = mermaid()
    for t in TRANSITIONS:
        for s in t.sources:
            assert f"{s.value} --> {t.dest.value}: {t.event.value}" in text


def test_the_readme_shows_the_current_diagram():
    assert readme_block() in README.read_text(), (
        "README's lifecycle block is stale: run `dossier diagram --write-readme README.md`"
    )
