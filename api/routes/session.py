"""Signing in and out of the web pages: a token or single sign-on opens a server-side session,
carried by an HttpOnly cookie that holds only the session's random id."""

from __future__ import annotations

import json
import logging
import secrets
from typing import Annotated, Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import RedirectResponse
from itsdangerous import BadSignature, URLSafeTimedSerializer

from api import oidc
from api.deps import current_actor, no_query, provider_down
from api.params import QueryModel
from api.problems import ApiProblem
from api.schemas import Problem
from workflow.actors import Actor
from workflow.sessions import end_session, find_sign_in_user, start_session
from workflow.settings import Settings, get_settings
from workflow.users import UNKNOWN_TOKEN, authenticate, token_refusal

log = logging.getLogger("api.session")
router = APIRouter(tags=["Đăng nhập / Sign-in"])
P = {"model": Problem}
REFUSED = {
    401: {**P, "description": "Mã hoặc phiên không hợp lệ / bad token or session"},
    403: {
        **P,
        "description": "Thiếu mã CSRF hoặc không được phép / CSRF token missing or not allowed",
    },
}
PROVIDER = {
    303: {"description": "Chuyển tiếp / redirect"},
    400: {**P, "description": "Phiên đăng nhập một lần không khớp / the sign-in does not match"},
    404: {**P, "description": "Đăng nhập một lần chưa bật / single sign-on is off"},
    503: {**P, "description": "Nhà cung cấp danh tính không trả lời / provider unreachable"},
}
SIGN_IN_COOKIE = "dossier_oidc"
SIGN_IN_SECONDS = 600  # the provider's login page must be completed within ten minutes
_process_secret = secrets.token_urlsafe(32)


class LoginQuery(QueryModel):
    next: str | None = None


class CallbackQuery(QueryModel):
    # What providers send back (RFC 6749 4.1.2, RFC 9207 iss, OIDC session management).
    code: str | None = None
    state: str | None = None
    iss: str | None = None
    error: str | None = None
    error_description: str | None = None
    session_state: str | None = None


def secret_key(settings: Settings) -> str:
    return settings.secret_key or _process_secret


def _secure(request: Request, settings: Settings) -> bool:
    if settings.cookie_secure is not None:
        return settings.cookie_secure
    return request.url.scheme == "https"


def set_session_cookie(response: Response, request: Request, session_id: str) -> None:
    settings = get_settings()
    response.set_cookie(
        settings.session_cookie_name,
        session_id,
        max_age=settings.session_absolute_hours * 3600,
        path="/",
        httponly=True,
        samesite="lax",
        secure=_secure(request, settings),
    )


def _me(actor: Actor, request: Request, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "user": {
            "id": actor.id,
            "name": actor.name,
            "role": actor.role.value,
            "province_code": actor.province_code,
            "commune_code": actor.commune_code,
            "unit_id": actor.unit_id,
        }
    }
    make_csrf = request.scope.get("csrftoken")
    if make_csrf is not None:
        # Forms and fetch() send it back as the csrftoken field or the X-CSRFToken header.
        body["csrf_token"] = make_csrf()
    body.update(extra)
    return body


def _modes(settings: Settings) -> set[str]:
    return {"token", "oidc"} if settings.auth_mode == "both" else {settings.auth_mode}


def same_site_only(request: Request) -> None:
    """Sign-in has no session yet, so no CSRF token: a browser's Origin (sent on every
    cross-site POST) must be this server's, or another site could sign a visitor in as someone
    else (login CSRF). Clients that send no Origin (curl, integrations) are not browsers."""
    origin = request.headers.get("origin")
    if origin is None:
        return
    own = f"{request.url.scheme}://{request.url.netloc}"
    if origin.rstrip("/") != own:
        raise ApiProblem(
            403,
            f"Đăng nhập từ trang khác ({origin[:80]}) bị từ chối / a sign-in sent from another "
            f"site ({origin[:80]}) is refused: sign in on {own}",
        )


async def _token_from_body(request: Request) -> str:
    raw = await request.body()
    kind = request.headers.get("content-type", "").split(";")[0].strip()
    token: Any = None
    try:
        if kind == "application/x-www-form-urlencoded":
            token = (parse_qs(raw.decode()).get("token") or [None])[0]
        else:
            token = json.loads(raw or b"{}").get("token")
    except (ValueError, AttributeError, UnicodeDecodeError):
        token = None
    if not isinstance(token, str) or not token.strip():
        raise ApiProblem(
            422,
            'Cần mã truy cập: {"token": "..."} / send the token: {"token": "..."} '
            "(JSON) or token=... (form)",
        )
    return token.strip()


@router.post(
    "/api/v1/session",
    summary="Đăng nhập bằng mã truy cập / sign in with a token",
    dependencies=[Depends(no_query)],
    responses={**REFUSED, 422: {**P, "description": "Thiếu mã / no token sent"}},
    openapi_extra={
        "requestBody": {
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "required": ["token"],
                        "properties": {"token": {"type": "string"}},
                    }
                }
            }
        }
    },
)
async def sign_in_with_token(request: Request, response: Response) -> dict[str, Any]:
    settings = get_settings()
    if "token" not in _modes(settings):
        raise ApiProblem(
            403,
            "Máy chủ này chỉ cho đăng nhập một lần qua /auth/oidc/login / this server signs in "
            "only through single sign-on: /auth/oidc/login",
        )
    same_site_only(request)
    token = await _token_from_body(request)
    actor = authenticate(token)
    if actor is None:
        refusal = token_refusal(token) or UNKNOWN_TOKEN
        raise ApiProblem(401, refusal.detail, reason=refusal.reason)
    assert actor.id is not None
    session_id = start_session(actor.id, "token", request.headers.get("user-agent"))
    set_session_cookie(response, request, session_id)
    log.info("user %s signed in with a token", actor.id)
    return _me(actor, request, method="token")


@router.get(
    "/api/v1/session",
    summary="Phiên hiện tại / who I am in this session",
    dependencies=[Depends(no_query)],
    responses={**REFUSED, 503: PROVIDER[503]},
)
def who_am_i(request: Request, actor: Actor = Depends(current_actor)) -> dict[str, Any]:
    view = getattr(request.state, "web_session", None)
    extra: dict[str, Any] = {"method": view.method if view else "bearer"}
    if view is not None:
        extra["expires_at"] = view.expires_at.isoformat()
    return _me(actor, request, **extra)


@router.delete(
    "/api/v1/session",
    status_code=204,
    summary="Đăng xuất / sign out",
    responses=REFUSED,
    dependencies=[Depends(no_query)],
)
def sign_out(request: Request) -> Response:
    settings = get_settings()
    session_id = request.cookies.get(settings.session_cookie_name)
    if session_id:
        end_session(session_id)
    response = Response(status_code=204)
    response.delete_cookie(
        settings.session_cookie_name,
        path="/",
        httponly=True,
        samesite="lax",
        secure=_secure(request, settings),
    )
    return response


# -- single sign-on ------------------------------------------------------------------------
def _oidc_settings() -> Settings:
    settings = get_settings()
    if "oidc" not in _modes(settings) or not (settings.oidc_issuer and settings.oidc_client_id):
        raise ApiProblem(
            404,
            "Đăng nhập một lần chưa được bật (AUTH_MODE=oidc|both, OIDC_ISSUER, OIDC_CLIENT_ID) "
            "/ single sign-on is not enabled (AUTH_MODE=oidc|both, OIDC_ISSUER, OIDC_CLIENT_ID)",
        )
    return settings


def _redirect_uri(request: Request, settings: Settings) -> str:
    return settings.oidc_redirect_uri or str(request.url_for("oidc_callback"))


def local_path(next_: str | None) -> str:
    # Only a path on this site: "//evil.example" and "/\\evil" are other sites to a browser.
    if next_ and next_.startswith("/") and not next_.startswith(("//", "/\\")):
        return next_
    return "/"


@router.get(
    "/auth/oidc/login",
    summary="Đăng nhập một lần / sign in through the provider",
    responses=PROVIDER,
)
def oidc_login(request: Request, q: Annotated[LoginQuery, Query()]) -> Response:
    settings = _oidc_settings()
    next = q.next
    client = oidc.client_for(settings)
    state, nonce = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
    verifier, challenge = oidc.pkce_pair()
    redirect_uri = _redirect_uri(request, settings)
    try:
        client.metadata(fresh=True)
        url = client.authorization_url(redirect_uri, settings.oidc_scopes, state, nonce, challenge)
    except oidc.ProviderUnavailable:
        raise provider_down() from None
    signed = URLSafeTimedSerializer(secret_key(settings), salt="oidc-sign-in").dumps(
        {"state": state, "nonce": nonce, "verifier": verifier, "next": local_path(next)}
    )
    response = RedirectResponse(url, status_code=303)
    response.set_cookie(
        SIGN_IN_COOKIE,
        signed,
        max_age=SIGN_IN_SECONDS,
        path="/auth/oidc/",
        httponly=True,
        samesite="lax",
        secure=_secure(request, settings),
    )
    return response


def _refused(detail: str, status: int = 401) -> ApiProblem:
    return ApiProblem(status, detail, title="Đăng nhập không thành công / Sign-in refused")


@router.get(
    "/auth/oidc/callback",
    name="oidc_callback",
    summary="Nhà cung cấp trả về / the provider sends the browser back",
    responses={**PROVIDER, **REFUSED},
)
def oidc_callback(request: Request, q: Annotated[CallbackQuery, Query()]) -> Response:
    settings = _oidc_settings()
    code, state, iss, error, error_description = (
        q.code,
        q.state,
        q.iss,
        q.error,
        q.error_description,
    )
    if error:
        raise _refused(
            f"Nhà cung cấp danh tính từ chối: {error} / the identity provider refused: {error}"
            + (f" ({error_description[:200]})" if error_description else "")
        )
    try:
        started = URLSafeTimedSerializer(secret_key(settings), salt="oidc-sign-in").loads(
            request.cookies.get(SIGN_IN_COOKIE, ""), max_age=SIGN_IN_SECONDS
        )
    except BadSignature:
        raise _refused(
            "Phiên đăng nhập một lần đã hết hạn hoặc không bắt đầu ở đây; hãy bắt đầu lại tại "
            "/auth/oidc/login / this sign-in has expired or did not start here; start again "
            "at /auth/oidc/login",
            400,
        ) from None
    if not code or not state or not secrets.compare_digest(state, started["state"]):
        raise _refused(
            "Tham số state không khớp; hãy bắt đầu lại tại /auth/oidc/login / the state does not "
            "match this sign-in; start again at /auth/oidc/login",
            400,
        )
    client = oidc.client_for(settings)
    if iss is not None and iss != client.issuer:
        raise _refused("Phản hồi từ nhà cung cấp khác / the answer comes from another issuer", 400)
    try:
        tokens = client.exchange_code(code, _redirect_uri(request, settings), started["verifier"])
        id_token = tokens.get("id_token")
        if not id_token:
            raise oidc.TokenRejected("the provider sent no ID token")
        claims = client.verify_id_token(id_token, started["nonce"])
        if not claims.get(settings.oidc_match_claim) and tokens.get("access_token"):
            claims = {**client.userinfo(tokens["access_token"], claims["sub"]), **claims}
    except oidc.ProviderUnavailable:
        raise provider_down() from None
    except oidc.TokenRejected as e:
        log.warning("single sign-on refused: %s", e)
        raise _refused(f"Mã định danh không hợp lệ / the ID token is refused: {e}") from None
    actor, why_not = find_sign_in_user(claims, settings.oidc_match_claim)
    if actor is None:
        log.warning("single sign-on matched no active user")
        raise _refused(why_not or "no user", 403)
    assert actor.id is not None
    session_id = start_session(actor.id, "oidc", request.headers.get("user-agent"))
    response = RedirectResponse(local_path(started.get("next")), status_code=303)
    set_session_cookie(response, request, session_id)
    response.delete_cookie(SIGN_IN_COOKIE, path="/auth/oidc/")
    log.info("user %s signed in through single sign-on", actor.id)
    return response
