"""states/access.py, pure: a table of role x territory for every "may this actor see or do X".

The expected answers are written from the issue and domain.md (who reads what, who acts at which
level), not read back from the module.
"""

from __future__ import annotations

import pytest

from states import access
from states.authority import Place, Seat
from states.lifecycle import TRANSITION_BY_EVENT, Event, Role, State
from states.subjects import ManagingLevel, SubjectType

P, OTHER_P = 51, 1  # provinces
A, B, C = 21001, 21002, 100  # communes A and B of province 51, C of province 1

# Places: a residential area of A (its commune manages it), an agency of A the province
# manages, and a residential area of B.
KDC_A = Place(10, SubjectType.KDC, ManagingLevel.COMMUNE, P, A)
CQ_A = Place(11, SubjectType.CQ, ManagingLevel.PROVINCE, P, A)
KDC_B = Place(20, SubjectType.KDC, ManagingLevel.COMMUNE, P, B)

SEATS = {
    "unit_10": Seat(Role.UNIT, P, A, 10),
    "unit_20": Seat(Role.UNIT, P, B, 20),
    "unit_unbound": Seat(Role.UNIT, P, A, None),
    "reviewer_A": Seat(Role.COMMUNE_REVIEWER, P, A),
    "reviewer_B": Seat(Role.COMMUNE_REVIEWER, P, B),
    "reviewer_C": Seat(Role.COMMUNE_REVIEWER, OTHER_P, C),
    "police_A": Seat(Role.POLICE, P, A),
    "police_B": Seat(Role.POLICE, P, B),
    "police_P": Seat(Role.POLICE, P),
    "police_other_P": Seat(Role.POLICE, OTHER_P),
    "ubnd_A": Seat(Role.UBND, P, A),
    "ubnd_P": Seat(Role.UBND, P),
    "admin_P": Seat(Role.PROVINCE_ADMIN, P),
    "admin_other_P": Seat(Role.PROVINCE_ADMIN, OTHER_P),
    "auditor_A": Seat(Role.AUDITOR, P, A),
    "auditor_B": Seat(Role.AUDITOR, P, B),
    "auditor_P": Seat(Role.AUDITOR, P),
}

# Who may read a dossier (and its unit) of KDC_A: its own unit, every seat of commune A, every
# province-wide seat of province 51.
READS_KDC_A = {
    "unit_10",
    "reviewer_A",
    "police_A",
    "police_P",
    "ubnd_A",
    "ubnd_P",
    "admin_P",
    "auditor_A",
    "auditor_P",
}


@pytest.mark.parametrize("seat", sorted(SEATS))
def test_who_reads_a_dossier_and_its_unit(seat):
    allowed = seat in READS_KDC_A
    assert (access.read_dossier_problem(SEATS[seat], KDC_A) is None) is allowed
    assert (access.read_unit_problem(SEATS[seat], KDC_A) is None) is allowed


def test_reading_reasons_name_no_place():
    problem = access.read_dossier_problem(SEATS["reviewer_B"], KDC_A)
    assert problem and str(A) not in problem and str(P) not in problem


def test_the_read_scope_is_the_read_rule():
    for name, seat in SEATS.items():
        scope = access.read_scope(seat)
        for place in (KDC_A, CQ_A, KDC_B):
            inside = access.in_scope(scope, place.province_code, place.commune_code, place.unit_id)
            assert inside is (access.read_dossier_problem(seat, place) is None), (name, place)
    assert access.read_scope(SEATS["unit_unbound"]).unit_id is None
    assert access.read_dossier_problem(SEATS["unit_unbound"], KDC_A)  # a unit user reads its unit


EVENT_CASES = [
    # (event, place, the seats that may ever fire it there)
    (Event.SUBMIT_SELF_SCORE, KDC_A, {"unit_10"}),
    (Event.WITHDRAW, KDC_A, {"unit_10"}),
    (Event.COMMUNE_APPROVE, KDC_A, {"reviewer_A"}),
    (Event.COMMUNE_APPROVE, CQ_A, {"reviewer_A"}),  # review is the commune's for every unit
    (Event.POLICE_VERIFY, KDC_A, {"police_A"}),
    (Event.POLICE_VERIFY, CQ_A, {"police_P"}),
    (Event.RECOGNISE, KDC_A, {"ubnd_A"}),
    (Event.RECOGNISE, CQ_A, {"ubnd_P"}),
    (Event.REJECT, CQ_A, {"ubnd_P"}),
    (Event.REVOKE, KDC_A, {"ubnd_A"}),
    (Event.RETURN_FOR_REVISION, KDC_A, {"reviewer_A", "police_A", "ubnd_A"}),
    (Event.RETURN_FOR_REVISION, CQ_A, {"reviewer_A", "police_P", "ubnd_P"}),
]


@pytest.mark.parametrize("event,place,allowed", EVENT_CASES)
def test_who_may_ever_fire_an_event(event, place, allowed):
    transition = TRANSITION_BY_EVENT[event]
    for name, seat in SEATS.items():
        problem = access.event_problem(seat, place, transition)
        assert (problem is None) is (name in allowed), (event, name, problem)
        if problem:
            assert "self_scored" not in problem and "registered" not in problem


@pytest.mark.parametrize(
    "state,allowed",
    [
        (State.SELF_SCORED, {"reviewer_A"}),
        (State.COMMUNE_REVIEWED, {"police_P"}),
        (State.POLICE_VERIFIED, {"ubnd_P"}),
    ],
)
def test_a_return_belongs_to_the_holder_of_the_current_step(state, allowed):
    transition = TRANSITION_BY_EVENT[Event.RETURN_FOR_REVISION]
    for name, seat in SEATS.items():
        got = access.fire_problem(seat, CQ_A, transition, state) is None
        assert got is (name in allowed), (state, name)


REGISTER = {"unit_10", "reviewer_A", "admin_P"}


@pytest.mark.parametrize("seat", sorted(SEATS))
def test_who_registers_a_dossier(seat):
    assert (access.register_dossier_problem(SEATS[seat], KDC_A) is None) is (seat in REGISTER)


@pytest.mark.parametrize(
    "seat,commune,managing,allowed",
    [
        ("admin_P", A, ManagingLevel.COMMUNE, True),
        ("admin_P", B, ManagingLevel.PROVINCE, True),
        ("admin_other_P", A, ManagingLevel.COMMUNE, False),
        ("reviewer_A", A, ManagingLevel.COMMUNE, True),
        ("reviewer_A", A, ManagingLevel.PROVINCE, False),
        ("reviewer_A", B, ManagingLevel.COMMUNE, False),
        ("reviewer_C", A, ManagingLevel.COMMUNE, False),
        ("police_P", A, ManagingLevel.COMMUNE, False),
        ("ubnd_A", A, ManagingLevel.COMMUNE, False),
        ("auditor_P", A, ManagingLevel.COMMUNE, False),
        ("unit_10", A, ManagingLevel.COMMUNE, False),
    ],
)
def test_who_registers_a_unit(seat, commune, managing, allowed):
    problem = access.create_unit_problem(SEATS[seat], P, commune, managing)
    assert (problem is None) is allowed, problem


@pytest.mark.parametrize(
    "seat,province,allowed",
    [
        ("admin_P", P, True),
        ("admin_P", OTHER_P, False),
        ("admin_P", None, False),  # the national default is the operator's
        ("admin_other_P", P, False),
        ("reviewer_A", P, False),
        ("ubnd_P", P, False),
        ("auditor_P", P, False),
    ],
)
def test_who_publishes_rule_sets(seat, province, allowed):
    assert (access.publish_rules_problem(SEATS[seat], province) is None) is allowed


@pytest.mark.parametrize(
    "seat,province,commune,allowed",
    [
        ("unit_10", P, A, False),
        ("reviewer_A", P, A, True),
        ("reviewer_A", P, None, False),  # a commune seat does not read the province
        ("reviewer_A", P, B, False),
        ("auditor_A", P, A, True),
        ("auditor_P", P, None, True),
        ("auditor_P", P, B, True),
        ("admin_P", P, None, True),
        ("admin_P", OTHER_P, None, False),
        ("police_other_P", P, A, False),
        ("ubnd_P", P, A, True),
    ],
)
def test_who_reads_a_report(seat, province, commune, allowed):
    assert (access.report_problem(SEATS[seat], province, commune) is None) is allowed


@pytest.mark.parametrize(
    "actor,target,allowed",
    [
        ("admin_P", "reviewer_A", True),
        ("admin_P", "reviewer_B", True),
        ("admin_P", "police_P", True),
        ("admin_P", "unit_10", True),
        ("admin_P", "admin_P", True),
        ("admin_P", "auditor_P", True),
        ("admin_P", "unit_unbound", False),  # a unit user is bound to its unit
        ("admin_P", "reviewer_C", False),  # outside the province
        ("admin_P", "admin_other_P", False),
        ("admin_other_P", "reviewer_A", False),
        ("reviewer_A", "unit_10", False),  # only a province administrator manages users
        ("ubnd_P", "reviewer_A", False),
        ("auditor_P", "reviewer_A", False),
        ("unit_10", "unit_10", False),
    ],
)
def test_who_manages_users(actor, target, allowed):
    problem = access.manage_user_problem(SEATS[actor], SEATS[target])
    assert (problem is None) is allowed, problem


def test_a_seat_bound_to_a_unit_is_a_unit_users_only():
    police_with_unit = Seat(Role.POLICE, P, A, 10)
    assert access.manage_user_problem(SEATS["admin_P"], police_with_unit)


def test_every_refusal_is_a_reason_in_both_languages():
    problems = [
        access.read_dossier_problem(SEATS["reviewer_B"], KDC_A),
        access.read_unit_problem(SEATS["reviewer_B"], KDC_A),
        access.event_problem(
            SEATS["auditor_A"], KDC_A, TRANSITION_BY_EVENT[Event.RETURN_FOR_REVISION]
        ),
        access.register_dossier_problem(SEATS["police_A"], KDC_A),
        access.create_unit_problem(SEATS["police_A"], P, A, ManagingLevel.COMMUNE),
        access.publish_rules_problem(SEATS["reviewer_A"], P),
        access.report_problem(SEATS["unit_10"], P, A),
        access.manage_user_problem(SEATS["reviewer_A"], SEATS["unit_10"]),
    ]
    for problem in problems:
        assert problem and " / " in problem, problem
