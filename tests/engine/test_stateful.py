"""Random event sequences keep the invariants: the state is in the table, one audit row per
accepted event, the version strictly increases, replay equals the row, verify passes."""

from __future__ import annotations

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from states.lifecycle import TRANSITION_BY_EVENT, Event, State
from tests.engine.helpers import enable_revocation, payload_for, register_at
from tests.factories import build_world
from workflow import audit
from workflow import engine as wf
from workflow.db import read_connection
from workflow.errors import WorkflowError

ACTOR_KEYS = [
    ("unit", "own"),
    ("unit", "other"),
    ("commune_reviewer", "own"),
    ("commune_reviewer", "other"),
    ("police", "own"),
    ("police", "province"),
    ("ubnd", "own"),
    ("ubnd", "province"),
    ("auditor", "own"),
]


def test_random_event_sequences_keep_the_invariants(engine):
    world = build_world()
    years = iter(range(2030, 2100))
    enable_revocation(year=2030)

    class Lifecycle(RuleBasedStateMachine):
        @initialize(unit_key=st.sampled_from(["KDC", "CQ", "XA", "CQ_commune"]))
        def register_one(self, unit_key):
            self.year = next(years)
            enable_revocation(year=self.year)
            self.rep = world.actor("unit", unit_key)
            d = register_at(world.units[unit_key], self.rep, self.year)
            self.dossier = d
            self.id, self.state, self.version, self.accepted = d["id"], d["state"], 1, 0

        def actor(self, key):
            if key == ("unit", "own"):
                return self.rep
            if key == ("unit", "other"):
                return world.actor("unit", "other_KDC")
            return world.actor(*key)

        @rule(
            event=st.sampled_from(list(Event)),
            who=st.sampled_from(ACTOR_KEYS),
            stale=st.booleans(),
            with_payload=st.booleans(),
        )
        def fire(self, event, who, stale, with_payload):
            version = self.version - 1 if stale else self.version
            payload = payload_for(event, self.dossier) if with_payload else {}
            try:
                d = wf.fire(self.id, event, self.actor(who), payload, version)
            except WorkflowError:
                return
            assert not stale
            assert State(self.state) in TRANSITION_BY_EVENT[event].sources
            assert d["state"] == TRANSITION_BY_EVENT[event].dest.value
            assert d["version"] == self.version + 1
            self.state, self.version, self.accepted = d["state"], d["version"], self.accepted + 1

        @invariant()
        def row_and_trail_agree(self):
            d = wf.get(self.id)
            assert d["state"] in {s.value for s in State}
            assert (d["state"], d["version"]) == (self.state, self.version)
            with read_connection() as conn:
                rows = audit.trail(conn, self.id)
                assert len(rows) == 1 + self.accepted
                assert [r["version"] for r in rows] == list(range(1, self.version + 1))
                assert audit.verify(conn, self.id)[1] == []

    Lifecycle.TestCase.settings = settings(
        max_examples=50,
        stateful_step_count=20,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    Lifecycle.TestCase().runTest()
