"""Walking dossiers into a state, and the payload each event needs (one place to change)."""

from __future__ import annotations

from collections import deque
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from states import examples
from states.authority import Level, authority
from states.deadlines import QUANG_NGAI_PLAN
from states.lifecycle import INITIAL, TRANSITION_BY_EVENT, TRANSITIONS, Event, State, step_for
from states.rulesets import Policy, RuleSet
from states.subjects import ManagingLevel, SubjectType
from tests.factories import PROVINCE, World
from workflow import engine as wf
from workflow import rulesets
from workflow.db import read_connection, write_transaction
from workflow.models import Dossier, Unit
from workflow.registration import register
from workflow.units import create_unit

YEAR = 2026


def rules_of(dossier: dict[str, Any]) -> RuleSet:
    with read_connection() as conn:
        return rulesets.load(conn, dossier["rule_set_id"])


def payload_for(event: Event | str, dossier: dict[str, Any]) -> dict[str, Any]:
    """A valid payload for ``event`` on ``dossier`` under its pinned rule set (states.examples)."""
    # 12/11 of the dossier's year: inside its year, and past for the years tests decide in
    return examples.example(
        event, dossier["subject_type"], rules_of(dossier), decision_date=f"{dossier['year']}-11-12"
    )


def shortest_paths() -> dict[State, list[Event]]:
    """The fewest events from registration to each state, read from the lifecycle table in its
    order (breadth first), so an event to a new state needs no path written here."""
    paths: dict[State, list[Event]] = {INITIAL: []}
    queue = deque([INITIAL])
    while queue:
        state = queue.popleft()
        for t in TRANSITIONS:
            if state in t.sources and t.dest not in paths:
                paths[t.dest] = [*paths[state], t.event]
                queue.append(t.dest)
    return {s: paths[s] for s in State if s in paths}


PATH_TO: dict[State, list[Event]] = shortest_paths()


def enable_revocation(province: int = PROVINCE, year: int = YEAR) -> None:
    with write_transaction() as conn:
        for subject in SubjectType:
            rulesets.publish(
                conn,
                RuleSet(
                    province_code=province,
                    year=year,
                    subject_type=subject,
                    policy=Policy(revocation_enabled=True),
                ),
            )


def publish_province_plan(province: int = PROVINCE, year: int = YEAR) -> None:
    """The province's own calendar dates (the Quảng Ngãi plan: self-assessment by 05/11 for
    the non-KDC units), published as its rule sets, as the demo does."""
    with write_transaction() as conn:
        for subject in SubjectType:
            rulesets.publish(
                conn,
                RuleSet(
                    province_code=province,
                    year=year,
                    subject_type=subject,
                    deadlines=QUANG_NGAI_PLAN,
                ),
            )


def authorised_actor(world: World, dossier: dict[str, Any], event: Event, unit_actor):
    """The actor the authority map names for this event now (independent of the engine)."""
    step = step_for(TRANSITION_BY_EVENT[event], State(dossier["state"]))
    need = authority(
        SubjectType(dossier["subject_type"]), ManagingLevel(dossier["managing_level"]), step
    )
    if need.level is Level.UNIT:
        return unit_actor
    return world.actor(need.role.value, "own" if need.level is Level.COMMUNE else "province")


def new_unit_like(world: World, key: str) -> tuple[dict[str, Any], Any]:
    base = world.units[key]
    if base["subject_type"] == "XA":
        raise ValueError("a commune has one XA unit")
    unit = create_unit(
        subject_type=base["subject_type"],
        commune_code=base["commune_code"],
        name=f"{base['name']} #",
        managing_level=base["managing_level"],
    )
    return unit, world.unit_actor(unit)


def registration_time(year: int) -> datetime:
    """Inside quarter I of ``year``, when registration is open under every rule set."""
    return datetime(year, 3, 2, 2, 0, tzinfo=UTC)


def register_at(unit: dict[str, Any], rep, year: int = YEAR) -> dict[str, Any]:
    """Register ``unit`` for ``year`` inside quarter I with a valid registration payload."""
    return register(
        unit["id"],
        year,
        rep,
        examples.registration_payload(unit["subject_type"]),
        now=registration_time(year),
    )


# A commune (XA) is recognised only once the units it manages are: walking one that far first
# walks every unit its commune manages to recognised for the same year.
NEEDS_COMMUNE_UNITS = frozenset({State.POLICE_VERIFIED, State.RECOGNISED, State.REVOKED})


def walk(world: World, unit: dict[str, Any], rep, state: State, year: int = YEAR) -> dict[str, Any]:
    if unit["subject_type"] == "XA" and state in NEEDS_COMMUNE_UNITS:
        recognise_commune_units(world, unit["commune_code"], year)
    d = register_at(unit, rep, year)
    for event in PATH_TO[state]:
        actor = authorised_actor(world, d, event, rep)
        d = wf.fire(d["id"], event, actor, payload_for(event, d), d["version"])
    assert d["state"] == state.value
    return d


def recognise_commune_units(world: World, commune_code: int, year: int) -> None:
    """Walk every unit the commune manages that has no dossier for ``year`` to recognised."""
    with read_connection() as conn:
        units = [
            dict(r._mapping)
            for r in conn.execute(
                select(Unit.__table__)
                .where(
                    Unit.__table__.c.commune_code == commune_code,
                    Unit.__table__.c.managing_level == "commune",
                )
                .order_by(Unit.__table__.c.id)
            )
        ]
        taken = {
            r[0]
            for r in conn.execute(
                select(Dossier.__table__.c.unit_id).where(Dossier.__table__.c.year == year)
            )
        }
    for unit in units:
        if unit["id"] in taken:
            continue
        rep = world.unit_actor(unit)
        walk(world, unit, rep, State.RECOGNISED, year)
