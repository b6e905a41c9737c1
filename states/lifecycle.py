"""The dossier lifecycle as one table: states, events, who fires them, what they need.

Everything else is derived from ``TRANSITIONS``: the pytransitions Machine (built once per
process), the Mermaid diagram, the allowed-actions list and the README table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from functools import lru_cache

from transitions import Machine


class State(str, Enum):
    REGISTERED = "registered"
    SELF_SCORED = "self_scored"
    COMMUNE_REVIEWED = "commune_reviewed"
    POLICE_VERIFIED = "police_verified"
    RECOGNISED = "recognised"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    REVOKED = "revoked"


# A stored value to its member: a dict lookup where calling the Enum cost ten times as much, and a
# fire reads several (the state, the subject type, the managing level).
STATE_OF: dict[str, State] = {s.value: s for s in State}


class Event(str, Enum):
    SUBMIT_SELF_SCORE = "submit_self_score"
    COMMUNE_APPROVE = "commune_approve"
    POLICE_VERIFY = "police_verify"
    RECOGNISE = "recognise"
    REJECT = "reject"
    RETURN_FOR_REVISION = "return_for_revision"
    WITHDRAW = "withdraw"
    REVOKE = "revoke"


EVENT_OF: dict[str, Event] = {e.value: e for e in Event}  # as STATE_OF


class Role(str, Enum):
    UNIT = "unit"
    COMMUNE_REVIEWER = "commune_reviewer"
    POLICE = "police"
    UBND = "ubnd"
    PROVINCE_ADMIN = "province_admin"
    AUDITOR = "auditor"


class Step(str, Enum):
    """Who must act next; each step is one authority's job (see ``states.authority``)."""

    SELF_ASSESS = "self_assess"  # the unit itself
    REVIEW = "review"  # commune steering committee / reviewer
    VERIFY = "verify"  # police appraisal
    DECIDE = "decide"  # People's Committee decision
    CURRENT = "current"  # whoever owns the step the dossier waits in


STATE_LABELS: dict[State, tuple[str, str]] = {
    State.REGISTERED: ("Đã đăng ký", "Registered"),
    State.SELF_SCORED: ("Đã tự chấm điểm", "Self-scored"),
    State.COMMUNE_REVIEWED: ("Xã đã xét duyệt", "Reviewed by the commune"),
    State.POLICE_VERIFIED: ("Công an đã thẩm định", "Verified by the police"),
    State.RECOGNISED: ("Được công nhận", "Recognised"),
    State.REJECTED: ("Chưa đạt", "Rejected (not met)"),
    State.WITHDRAWN: ("Đã rút hồ sơ", "Withdrawn"),
    State.REVOKED: ("Bị thu hồi công nhận", "Recognition revoked"),
}

EVENT_LABELS: dict[Event, tuple[str, str]] = {
    Event.SUBMIT_SELF_SCORE: ("Nộp hồ sơ tự chấm điểm", "Submit self-assessment"),
    Event.COMMUNE_APPROVE: ("Xã duyệt hồ sơ", "Commune approves"),
    Event.POLICE_VERIFY: ("Công an thẩm định", "Police verify"),
    Event.RECOGNISE: ("UBND ra quyết định công nhận", "People's Committee recognises"),
    Event.REJECT: ("Không công nhận (chưa đạt)", "Reject (not met)"),
    Event.RETURN_FOR_REVISION: ("Trả lại yêu cầu bổ sung", "Return for revision"),
    Event.WITHDRAW: ("Rút hồ sơ", "Withdraw"),
    Event.REVOKE: ("Thu hồi quyết định công nhận", "Revoke recognition"),
}

ROLE_LABELS: dict[Role, tuple[str, str]] = {
    Role.UNIT: ("Đại diện đơn vị", "Unit representative"),
    Role.COMMUNE_REVIEWER: ("Ban Chỉ đạo xã", "Commune reviewer"),
    Role.POLICE: ("Công an", "Police"),
    Role.UBND: ("Ủy ban nhân dân", "People's Committee"),
    Role.PROVINCE_ADMIN: ("Quản trị cấp tỉnh", "Province administrator"),
    Role.AUDITOR: ("Kiểm tra, giám sát", "Auditor"),
}

INITIAL = State.REGISTERED
TERMINAL = frozenset({State.RECOGNISED, State.REJECTED, State.WITHDRAWN, State.REVOKED})
# A dossier in one of these states still holds its unit's place for the year.
CLOSING = frozenset({State.RECOGNISED, State.REJECTED, State.REVOKED})

# The step a dossier waits for in each open state.
STEP_OF_STATE: dict[State, Step] = {
    State.REGISTERED: Step.SELF_ASSESS,
    State.SELF_SCORED: Step.REVIEW,
    State.COMMUNE_REVIEWED: Step.VERIFY,
    State.POLICE_VERIFIED: Step.DECIDE,
}

STEP_ROLE: dict[Step, Role] = {
    Step.SELF_ASSESS: Role.UNIT,
    Step.REVIEW: Role.COMMUNE_REVIEWER,
    Step.VERIFY: Role.POLICE,
    Step.DECIDE: Role.UBND,
}

REVIEW_STATES = (State.SELF_SCORED, State.COMMUNE_REVIEWED, State.POLICE_VERIFIED)


@dataclass(frozen=True)
class Transition:
    event: Event
    sources: tuple[State, ...]
    dest: State
    step: Step
    required: tuple[str, ...] = ()  # payload fields that must be present and non-empty
    guards: tuple[str, ...] = field(
        default=()
    )  # named checks run by the engine, each gives reasons


TRANSITIONS: tuple[Transition, ...] = (
    # Guards are named here and defined in workflow/guards.py; each gives reasons, not booleans.
    Transition(
        Event.SUBMIT_SELF_SCORE,
        (State.REGISTERED,),
        State.SELF_SCORED,
        Step.SELF_ASSESS,
        guards=("self_assessment", "self_scores", "papers"),
    ),
    Transition(
        Event.COMMUNE_APPROVE,
        (State.SELF_SCORED,),
        State.COMMUNE_REVIEWED,
        Step.REVIEW,
        guards=("no_disqualifier",),
    ),
    Transition(
        Event.POLICE_VERIFY,
        (State.COMMUNE_REVIEWED,),
        State.POLICE_VERIFIED,
        Step.VERIFY,
        guards=("verified_assessment", "verified_scores"),
    ),
    Transition(
        Event.RECOGNISE,
        (State.POLICE_VERIFIED,),
        State.RECOGNISED,
        Step.DECIDE,
        required=("decision_no", "decision_date"),
        guards=("decision_date", "every_criterion_met", "commune_units"),
    ),
    Transition(Event.REJECT, REVIEW_STATES, State.REJECTED, Step.DECIDE, required=("reason",)),
    Transition(
        Event.RETURN_FOR_REVISION,
        REVIEW_STATES,
        State.REGISTERED,
        Step.CURRENT,
        required=("reason",),
        guards=("return_limit",),
    ),
    Transition(
        Event.WITHDRAW, (State.REGISTERED, *REVIEW_STATES), State.WITHDRAWN, Step.SELF_ASSESS
    ),
    Transition(
        Event.REVOKE,
        (State.RECOGNISED,),
        State.REVOKED,
        Step.DECIDE,
        required=("decision_no", "reason"),
        guards=("revocation_enabled", "decision_date"),
    ),
)

TRANSITION_BY_EVENT: dict[Event, Transition] = {t.event: t for t in TRANSITIONS}


def step_for(transition: Transition, state: State) -> Step:
    """The authority step that must fire ``transition`` from ``state``, one of its sources."""
    if transition.step is Step.CURRENT:
        return STEP_OF_STATE[state]  # a CURRENT transition leaves open states only
    return transition.step


def events_from(state: State) -> list[Event]:
    return [t.event for t in TRANSITIONS if state in t.sources]


@lru_cache(maxsize=1)
def machine() -> Machine:
    """The one Machine of the process: building it costs far more than firing it."""
    return Machine(
        model=None,
        states=[s.value for s in State],
        transitions=[
            {"trigger": t.event.value, "source": [s.value for s in t.sources], "dest": t.dest.value}
            for t in TRANSITIONS
        ],
        initial=INITIAL.value,
        auto_transitions=False,
        send_event=False,
        model_override=True,
    )


def next_state(state: State, event: Event) -> State | None:
    """The shared Machine's destination for ``event`` in ``state``; None when it has none.

    The Machine carries no conditions or callbacks (guards and effects are the engine's and run
    before the write), so what a trigger would do is what its transition table says: reading
    the table costs a dict lookup where a trigger cost about 10 µs of every fire
    (tests/unit/test_lifecycle.py holds the two equal)."""
    found = machine().events.get(event.value)
    transitions = found.transitions.get(state.value) if found is not None else None
    dest = transitions[0].dest if transitions else None  # None too for an internal transition
    return STATE_OF[dest] if dest is not None else None


def mermaid() -> str:
    """The lifecycle as a Mermaid state diagram, from the same table as the Machine."""
    lines = ["stateDiagram-v2", "  direction LR"]
    for s in State:
        vi, en = STATE_LABELS[s]
        lines.append(f'  state "{vi}<br/>{s.value}" as {s.value}')
    lines.append(f"  [*] --> {INITIAL.value}: register")
    for t in TRANSITIONS:
        for src in t.sources:
            lines.append(f"  {src.value} --> {t.dest.value}: {t.event.value}")
    for s in sorted(TERMINAL, key=lambda s: list(State).index(s)):
        if not events_from(s):
            lines.append(f"  {s.value} --> [*]")
    return "\n".join(lines) + "\n"


def markdown_table() -> str:
    """The transition table for the README."""
    rows = ["| event | nhãn | from | to | who (step) | needs |", "|---|---|---|---|---|---|"]
    for t in TRANSITIONS:
        who = "reviewer of the current step" if t.step is Step.CURRENT else STEP_ROLE[t.step].value
        needs = ", ".join(t.required + t.guards) or "-"
        rows.append(
            f"| `{t.event.value}` | {EVENT_LABELS[t.event][0]} | "
            f"{', '.join(s.value for s in t.sources)} | {t.dest.value} | {who} | {needs} |"
        )
    return "\n".join(rows) + "\n"
