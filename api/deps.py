"""Who is calling: a bearer token (ours, or the identity provider's access token) or the
session cookie of a signed-in browser. Routes depend on ``current_actor``."""

from __future__ import annotations

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials

from api import auth, oidc
from api.problems import ApiProblem
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


def _provider_actor(request: Request, token: str) -> Actor | None:
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


def current_actor(
    request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(auth.bearer)
) -> Actor:
    settings = get_settings()
    # A request that names its credentials is judged by them alone: a cookie never rescues a
    # bad token, and CSRF protection skips such requests (a browser cannot forge the header).
    if request.headers.get("authorization"):
        token = credentials.credentials if credentials else ""
        if token and authenticate(token) is None:
            actor = _provider_actor(request, token)
            if actor is not None:
                request.state.actor = actor
                return actor
        return auth.current_actor(request, credentials)
    session_id = request.cookies.get(settings.session_cookie_name)
    if session_id:
        try:
            view = resolve_session(session_id)
        except SessionRefused as refused:
            raise ApiProblem(401, refused.detail, reason=refused.reason) from None
        request.state.actor = view.actor
        request.state.web_session = view
        return view.actor
    return auth.current_actor(request, credentials)
