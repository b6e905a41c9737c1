"""Every workflow error has its HTTP status in the API's mapping: a new error class cannot
silently answer with the generic status (or a 500) because nobody mapped it."""

from __future__ import annotations

import pytest

import api.app  # noqa: F401 - imports every module whose errors can reach a route
from api import problems
from workflow.errors import (
    Conflict,
    Forbidden,
    GuardFailed,
    InvalidInput,
    NotFound,
    TransitionNotAllowed,
    UnknownEvent,
    VersionConflict,
    WorkflowError,
)


def _subclasses(cls: type) -> list[type]:
    found = []
    for sub in cls.__subclasses__():
        found += [sub, *_subclasses(sub)]
    return found


@pytest.mark.parametrize("error", _subclasses(WorkflowError), ids=lambda c: c.__name__)
def test_every_workflow_error_has_its_own_http_status(error):
    mapped = next(c for c in error.__mro__ if c in problems.STATUS_OF_ERROR)
    assert mapped is not WorkflowError, f"{error.__name__}: add it to api.problems"
    assert 400 <= problems.status_of(error) < 500


def test_the_statuses_are_those_the_api_documents():
    assert {
        e: problems.status_of(e)
        for e in (
            WorkflowError,
            NotFound,
            UnknownEvent,
            VersionConflict,
            TransitionNotAllowed,
            Forbidden,
            Conflict,
            GuardFailed,
            InvalidInput,
        )
    } == {
        WorkflowError: 400,
        NotFound: 404,
        UnknownEvent: 404,
        VersionConflict: 412,
        TransitionNotAllowed: 409,
        Forbidden: 403,
        Conflict: 409,
        GuardFailed: 422,
        InvalidInput: 422,
    }


def test_the_engines_errors_carry_no_http_status():
    engine_errors = [
        c for c in [WorkflowError, *_subclasses(WorkflowError)] if c.__module__ == "workflow.errors"
    ]
    assert len(engine_errors) >= 9
    assert not any("status" in vars(c) for c in engine_errors)
