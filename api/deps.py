"""What routes depend on, as FastAPI dependencies: the caller, a read connection, and the refusal
of query parameters on routes that take none.

The caller is a bearer token (ours, or the identity provider's access token) or the session
cookie of a signed-in browser."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Query, Request
from fastapi.security import HTTPAuthorizationCredentials
from sqlalchemy import Connection

from api import auth, oidc
from api.params import NoQuery
from api.problems import ApiProblem
from workflow import db
from workflow.actors import Actor
from workflow.sessions import SessionRefused, find_sign_in_user, resolve_session
from workflow.settings import get_settings
from workflow.users import authenticate

PROVIDER_DOWN = (
    "Nhà cung cấp danh tính không trả lời; hãy thử lại sau ít phút. Phiên đăng nhập và mã "
    "truy cập hiện có vẫn dùng được / the identity provider is not answering; try again in a "
    "few minutes. Existing sessions and API tokens keep working"
)


def provider_down(detail: str = PROVIDER_DOWN) -> ApiProblem:
    return ApiProblem(
        503,
        detail,
        title="Không kết nối được nhà cung cấp danh tính / Identity provider unavailable",
        headers={"Retry-After": "30"},
    )


def _provider_actor(token: str) -> Actor | None:
    """The user behind one of the provider's access tokens (integrations), or None."""
    settings = get_settings()
    if settings.auth_mode == "token" or not settings.oidc_issuer:
        return None
    try:
        claims = oidc.client_for(settings).verify_access_token(token)
    except oidc.TokenRejected:
        return None
    except oidc.ProviderUnavailable:
        raise provider_down() from None
    actor, _ = find_sign_in_user(claims, settings.oidc_match_claim)
    return actor


def _caller(request: Request, credentials: HTTPAuthorizationCredentials | None) -> Actor:
    # A request that names its credentials is judged by them alone: a cookie never rescues a
    # bad token, and CSRF protection skips such requests (a browser cannot forge the header).
    if request.headers.get("authorization"):
        token = credentials.credentials if credentials else ""
        if token and authenticate(token) is None:
            actor = _provider_actor(token)
            if actor is not None:
                return actor
        return auth.actor_for(credentials)
    session_id = request.cookies.get(get_settings().session_cookie_name)
    if session_id:
        try:
            view = resolve_session(session_id)
        except SessionRefused as refused:
            raise ApiProblem(401, refused.detail, reason=refused.reason) from None
        request.state.web_session = view
        return view.actor
    return auth.actor_for(credentials)


def current_actor(
    request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(auth.bearer)
) -> Actor:
    actor = _caller(request, credentials)
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
