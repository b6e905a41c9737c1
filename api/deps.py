"""What routes depend on, as FastAPI dependencies: the caller, a read connection, and the refusal
of query parameters on routes that take none."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Query, Request
from fastapi.security import HTTPAuthorizationCredentials
from sqlalchemy import Connection

from api import auth
from api.params import NoQuery
from workflow import db
from workflow.actors import Actor


def current_actor(
    request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(auth.bearer)
) -> Actor:
    actor = auth.actor_for(credentials)
    request.state.actor = actor  # the access log names who asked
    return actor


def read_connection() -> Iterator[Connection]:
    """One read transaction for the route, closed as soon as the route returns."""
    with db.read_connection() as conn:
        yield conn


def no_query(params: Annotated[NoQuery, Query()]) -> None:
    """A route without query parameters still refuses `?anything=…` (422 naming it)."""


CurrentActor = Annotated[Actor, Depends(current_actor)]
ReadConnection = Annotated[Connection, Depends(read_connection, scope="function")]
