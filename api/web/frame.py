"""What every page shares: the templates, the signed-in user, and the frame a page is sent in
(its words, its CSRF token, its security headers)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlencode, urlsplit

from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from pydantic import ValidationError
from starlette.requests import Request

from api.routes.session import local_path
from api.web.i18n import Words, answer, lang_of, local_day, local_time, percent, place_name
from states.lifecycle import Event, Role
from workflow.actors import Actor
from workflow.sessions import SessionRefused, resolve_session
from workflow.settings import get_settings

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
templates.env.filters["local_time"] = local_time
templates.env.filters["local_day"] = local_day
templates.env.filters["answer"] = answer
templates.env.globals["pct"] = percent
templates.env.globals["place_name"] = place_name

# Scripts and styles from this server only, no inline script; htmx's own indicator style is off
# (htmx.config.includeIndicatorStyles, set in a meta tag) so no inline style is needed either.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'self'; object-src 'none'"
)
EVENT_VALUES = frozenset(e.value for e in Event)
ROLE_VALUES = frozenset(r.value for r in Role)


DRAFT_COOKIE = "draft"
DRAFT_MAX = 3800  # a cookie holds about 4 KB with its name and attributes


class SignInNeeded(Exception):
    """No live session: the browser goes to the sign-in page and comes back afterwards, with
    what it had typed into the form kept aside (``draft``) for the page to fill in again."""

    def __init__(
        self, next_path: str, why: str | None = None, draft: dict[str, str] | None = None
    ) -> None:
        self.next_path = next_path
        self.why = why
        self.draft = draft


def sign_in_redirect(request: Request, err: SignInNeeded) -> RedirectResponse:
    query = {"next": err.next_path, **({"why": err.why} if err.why else {})}
    response = RedirectResponse(f"/login?{urlencode(query)}", status_code=303)
    if err.draft:
        text = quote(json.dumps(err.draft, ensure_ascii=False))
        if len(text) <= DRAFT_MAX:  # the quoted text is what the browser must store
            # Only for the page the form was on, gone after half an hour or its first read.
            response.set_cookie(
                DRAFT_COOKIE,
                text,
                max_age=1800,
                path=urlsplit(err.next_path).path,
                httponly=True,
                samesite="lax",
            )
    return response


def take_draft(request: Request) -> dict[str, str] | None:
    """The form a sign-in interrupted, if this page has one kept."""
    raw = request.cookies.get(DRAFT_COOKIE)
    if not raw:
        return None
    try:
        draft = json.loads(unquote(raw))
    except ValueError:
        return None
    if not isinstance(draft, dict):
        return None
    return {str(k): str(v) for k, v in draft.items()}


def here(request: Request) -> str:
    path = request.url.path
    return f"{path}?{request.url.query}" if request.url.query else path


def came_from(request: Request) -> str:
    """The page a form was posted from (its Referer, when it is this site), else the inbox:
    after signing in again the user lands on a page, never on a form's POST-only address."""
    referer = request.headers.get("referer") or ""
    parts = urlsplit(referer)
    if parts.netloc and parts.netloc != request.headers.get("host"):
        return "/"
    return local_path(parts.path + (f"?{parts.query}" if parts.query else "")) if referer else "/"


def page_actor(
    request: Request, return_to: str | None = None, draft: dict[str, str] | None = None
) -> Actor:
    """The signed-in user; without a live session, off to sign in and back to ``return_to``
    (a page the user can land on: for a POST, the page its form was on)."""
    if return_to is None:
        return_to = here(request) if request.method == "GET" else came_from(request)
    session_id = request.cookies.get(get_settings().session_cookie_name)
    if not session_id:
        raise SignInNeeded(return_to, draft=draft)
    try:
        view = resolve_session(session_id)
    except SessionRefused as refused:
        raise SignInNeeded(return_to, refused.reason, draft) from None
    request.state.web_session = view
    return view.actor


def page(request: Request, name: str, status: int = 200, **ctx: Any) -> HTMLResponse:
    words = Words(lang_of(request))
    make_csrf = request.scope.get("csrftoken")
    response = templates.TemplateResponse(
        request,
        name,
        {
            "w": words,
            "csrf": make_csrf() if make_csrf else "",
            "here": here(request),
            "event_values": EVENT_VALUES,
            "role_values": ROLE_VALUES,
            **ctx,
        },
        status_code=status,
    )
    response.headers["Vary"] = "HX-Request, Cookie"
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    return response


# Pydantic's messages are English; the page says the common ones in Vietnamese first.
_VALIDATION_VI = {
    "date_from_datetime_parsing": "Ngày không hợp lệ, ghi theo dạng YYYY-MM-DD",
    "date_parsing": "Ngày không hợp lệ, ghi theo dạng YYYY-MM-DD",
    "string_too_long": "Nội dung quá dài",
    "string_type": "Cần nhập chữ",
}


def field_errors(err: ValidationError) -> dict[str, str]:
    out: dict[str, str] = {}
    for e in err.errors():
        field = str(e["loc"][0]) if e["loc"] else "form"
        vi = _VALIDATION_VI.get(e["type"], "Giá trị không hợp lệ")
        out.setdefault(field, f"{vi} / {e['msg']}")
    return out
