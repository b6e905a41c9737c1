"""The issue's names: workflow.fire and workflow.allowed_actions are the engine's."""

import workflow
from workflow import engine


def test_the_one_door_is_reachable_as_workflow_fire():
    assert workflow.fire is engine.fire
    assert workflow.allowed_actions is engine.allowed_actions
