"""The real app over httpx (FastAPI's TestClient), on the test database of the run."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from api.app import create_app
from states.lifecycle import State
from states.rulesets import Policy, RegistrationWindow, RuleSet
from states.subjects import SubjectType
from tests.engine.helpers import YEAR
from tests.factories import PROVINCE, World, build_world
from workflow import rulesets
from workflow.actors import Actor
from workflow.db import write_transaction
from workflow.models import AppUser
from workflow.users import hash_token


@dataclass
class ApiWorld:
    world: World
    client: TestClient
    tokens: dict[int, str] = field(default_factory=dict)

    def token(self, actor: Actor) -> str:
        """A token for any actor of the world (issued on first use, stored hashed)."""
        if actor.id not in self.tokens:
            token = f"test-token-{actor.id}"
            with write_transaction() as conn:
                conn.execute(
                    update(AppUser.__table__)
                    .where(AppUser.__table__.c.id == actor.id)
                    .values(token_hash=hash_token(token))
                )
            self.tokens[actor.id] = token
        return self.tokens[actor.id]

    def auth(self, actor: Actor) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(actor)}"}


def open_registration(province: int = PROVINCE, year: int = YEAR, **policy) -> None:
    """Registration open all year (as Đồng Nai extended it), so tests run on any day."""
    with write_transaction() as conn:
        for subject in SubjectType:
            rulesets.publish(
                conn,
                RuleSet(
                    province_code=province,
                    year=year,
                    subject_type=subject,
                    policy=Policy(
                        registration_window=RegistrationWindow(start="01-01", end="12-31"), **policy
                    ),
                ),
            )


@pytest.fixture
def api(engine) -> ApiWorld:
    world = build_world()
    open_registration(revocation_enabled=True)
    # Not entered as a context manager: the lifespan (and its scheduler) stays off in tests.
    return ApiWorld(world, TestClient(create_app(), raise_server_exceptions=False))


@pytest.fixture
def seeded(api):
    """A province administrator's token over a province with dossiers in several states (the
    schema-driven suites' caller)."""
    from tests.api.helpers import walk  # helpers imports this module's ApiWorld

    for key, state in (
        ("KDC", State.SELF_SCORED),
        ("CQ", State.REGISTERED),
        ("DN", State.RECOGNISED),
    ):
        walk(api, key, state)
    return api.auth(api.world.actor("province_admin", "province"))
