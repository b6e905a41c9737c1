"""The web pages officials work in: sign-in, the inbox, the dossier with its actions.

Server-rendered with Jinja2 (htmx 2.0 vendored, no build step). Every read and every change
calls the very functions the JSON routes call (``workflow.queries``, ``api.changes``): one rule,
two faces. The session cookie carries the signed-in user; forms carry asgi-csrf's token.
"""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from api import changes
from api.present import render
from api.problems import ApiProblem
from api.routes.session import local_path, same_site_only, set_session_cookie
from api.schemas import EventBody
from api.web import bulk, sheets
from api.web.forms import PageId, typed_of
from api.web.frame import DRAFT_COOKIE, field_errors, page, page_actor, take_draft
from api.web.i18n import LANG_COOKIE, LANGS
from api.web.inbox import InboxForm, inbox_page
from states.authority import Level
from states.lifecycle import EVENT_OF, STATE_OF, TRANSITION_BY_EVENT, Event, Role, State
from states.subjects import SubjectType
from workflow import audit, outbox, queries, recipients, rulesets
from workflow import engine as wf
from workflow.actors import Actor
from workflow.assessment_view import side_by_side
from workflow.db import read_connection, write_transaction
from workflow.errors import NotFound, VersionConflict, WorkflowError
from workflow.guards import REQUIRED_FIELD_REASONS, RETURN_GUIDANCE, commune_unit_counts
from workflow.recipients import Target
from workflow.sessions import end_session, start_session
from workflow.settings import get_settings
from workflow.users import UNKNOWN_TOKEN, authenticate, token_refusal

router = APIRouter(include_in_schema=False)

# The fields a page form can fill; the rest of an event's payload (the assessment, the score
# sheet) is the unit's and the police's long form, sent through the API for now.
FORM_FIELDS = ("reason", "decision_no", "decision_date")


# -- signing in and out ------------------------------------------------------------------------


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str = "/", why: str | None = None) -> HTMLResponse:
    settings = get_settings()
    return page(
        request,
        "login.html",
        next=local_path(next),
        sso=settings.auth_mode != "token" and bool(settings.oidc_issuer),
        token_mode=settings.auth_mode != "oidc",
        notice="signed_out" if why else None,
    )


@router.post("/login", response_class=HTMLResponse)
async def login(request: Request) -> Response:
    form = await request.form()
    next_path = local_path(str(form.get("next") or "/"))
    token = str(form.get("token") or "").strip()
    try:
        same_site_only(request)
    except ApiProblem as refused:
        return page(request, "login.html", next=next_path, error=refused.detail, token_mode=True)
    actor = authenticate(token) if token else None
    if actor is None:
        refusal = token_refusal(token) if token else None
        error = (refusal or UNKNOWN_TOKEN).detail if token else "Cần mã truy cập / enter a token"
        return page(
            request,
            "login.html",
            next=next_path,
            error=error,
            token_mode=True,
        )
    assert actor.id is not None
    session_id = start_session(actor.id, "token", request.headers.get("user-agent"))
    response = RedirectResponse(next_path, status_code=303)
    set_session_cookie(response, request, session_id)
    return response


@router.post("/logout")
def logout(request: Request) -> RedirectResponse:
    settings = get_settings()
    session_id = request.cookies.get(settings.session_cookie_name)
    if session_id:
        end_session(session_id)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(settings.session_cookie_name, path="/", httponly=True, samesite="lax")
    return response


@router.get("/lang/{lang}")
def choose_language(lang: str, next: str = "/") -> RedirectResponse:
    response = RedirectResponse(local_path(next), status_code=303)
    if lang in LANGS:
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, path="/", samesite="lax")
    return response


# -- the inbox ---------------------------------------------------------------------------------


@router.get("/", response_class=HTMLResponse)
def inbox(request: Request) -> HTMLResponse:
    actor = page_actor(request)
    form = InboxForm.from_query(request.query_params)
    with read_connection() as conn:
        found = inbox_page(conn, actor, form, datetime.now(UTC))
    next_query = ""
    if found["next_cursor"]:
        kept = {k: v for k, v in request.query_params.items() if k != "cursor" and v}
        next_query = urlencode({**kept, "cursor": found["next_cursor"]})
    return page(
        request,
        "inbox.html",
        actor=actor,
        form=form,
        page=found,
        next_query=next_query,
        states=[s.value for s in State],
        subject_types=[t.value for t in SubjectType],
    )


@router.post("/notices/{notice_id}/read")
def read_notice(request: Request, notice_id: PageId) -> Response:
    actor = page_actor(request)
    assert actor.id is not None
    try:
        with write_transaction() as conn:
            outbox.mark_read(conn, actor.id, notice_id, datetime.now(UTC))
    except NotFound:
        pass  # someone else's or gone: nothing to mark, and nothing to tell
    return RedirectResponse("/", status_code=303)


# -- one decision for several dossiers ---------------------------------------------------------


def _version(value: Any) -> int:
    text = str(value or "")
    return int(text) if text.isdigit() and len(text) < 10 else 0


def _ids(values: list[str]) -> list[int]:
    return [int(v) for v in values if v.isdigit() and 0 < int(v) < 2**31][: bulk.MAX_SELECTED]


@router.get("/bulk", response_class=HTMLResponse)
def bulk_page(request: Request) -> HTMLResponse:
    actor = page_actor(request)
    chosen = bulk.selection(actor, _ids(request.query_params.getlist("id")))
    return page(
        request,
        "bulk.html",
        actor=actor,
        batch_key=secrets.token_urlsafe(12),
        selected={r["id"] for r in chosen["rows"]},
        results=None,
        typed={},
        errors={},
        **chosen,
    )


@router.post("/bulk/{event}", response_class=HTMLResponse)
async def bulk_decide(request: Request, event: str) -> HTMLResponse:
    actor = page_actor(request)
    form = await request.form()
    ids = _ids([str(v) for v in form.getlist("id")])
    typed = typed_of(form, FORM_FIELDS)
    ev = bulk.parse_event(event)
    errors: dict[str, str] = {}
    results = None
    chosen = bulk.selection(actor, ids)
    if ev is None or ev.value not in chosen["events"]:
        errors["form"] = (
            "Bước này không áp dụng được cho mọi hồ sơ đã chọn / this step does not apply to "
            "every dossier selected"
        )
    elif chosen["problem"]:
        errors["form"] = chosen["problem"]
    else:
        try:
            body = EventBody.model_validate({k: v for k, v in typed.items() if v})
        except ValidationError as err:
            errors = field_errors(err)
        else:
            payload = body.model_dump(mode="json", exclude_none=True)
            missing = [f for f in TRANSITION_BY_EVENT[ev].required if not payload.get(f)]
            for field in missing:
                errors[field] = REQUIRED_FIELD_REASONS[field]
            if not errors:
                names = {r["id"]: r["unit_name"] for r in chosen["rows"]}
                # A version that is not a number is no version the dossier had: refused as stale.
                versions = {i: _version(form.get(f"version_{i}")) for i in ids}
                results = bulk.fire_each(
                    actor,
                    ev,
                    versions,
                    payload,
                    str(form.get("batch_key") or secrets.token_urlsafe(12)),
                    request.headers.get("x-request-id"),
                )
                for r in results:
                    r["unit_name"] = names.get(r["id"])
                # What was done leaves the page (its result says so); the refused stay selected.
                chosen = bulk.selection(actor, [r["id"] for r in results if not r["done"]])
    refused = {r["id"] for r in results or [] if not r["done"]}
    return page(
        request,
        "bulk.html",
        actor=actor,
        batch_key=secrets.token_urlsafe(12),
        selected=refused if results is not None else set(ids),
        results=results,
        typed=typed,
        errors=errors,
        failed=event,
        **chosen,
    )


# -- one dossier -------------------------------------------------------------------------------


def _dossier_view(actor: Actor, dossier_id: int) -> dict[str, Any]:
    with read_connection() as conn:
        row = queries.readable_dossier(conn, actor, dossier_id)
        rules = rulesets.load(conn, row["rule_set_id"])
        now = datetime.now(UTC)
        dossier = render(conn, row, now)
        trail = audit.trail(conn, dossier_id)
        _, findings = audit.verify(conn, dossier_id)
        actions = wf.actions_for(conn, row, actor, rules, now)
        holders = _holders(conn, row, dossier.get("step"))
        counts = commune_unit_counts(conn, row) if row["subject_type"] == "XA" else None
        assessment = side_by_side(row, rules, counts)
    state = STATE_OF[row["state"]]
    for a in actions:
        ev = EVENT_OF[a["event"]]
        t = TRANSITION_BY_EVENT[ev]
        a["applies"] = state in t.sources
        # Every form offers a reason (kept in the trail); the decision's fields where required.
        a["fields"] = [f for f in FORM_FIELDS if f in t.required or f == "reason"]
        a["reason_required"] = "reason" in t.required
        a["long"] = ev in sheets.LONG_FORMS
        if a["long"]:
            a["prefill"] = sheets.prefill(ev, row)
        a["api_only"] = not a["long"] and any(f not in FORM_FIELDS for f in a["requires"])
    return {
        "dossier": dossier,
        "holders": holders,
        "assessment": assessment,
        "sections": sheets.form_sections(rules),
        "papers": _papers(trail),
        "trail": trail,
        "chain_ok": not findings,
        "allowed": [a for a in actions if a["allowed"]],
        # Events that cannot apply in this state are noise; the others say why not.
        "refused": [a for a in actions if not a["allowed"] and a["applies"]],
    }


def _holders(conn: Any, row: dict[str, Any], step: dict[str, Any] | None) -> list[str] | None:
    """The names of the people who hold the open step now (None when no step is open)."""
    if step is None:
        return None
    level = Level(step["level"])
    target = Target(
        Role(step["role"]),
        level,
        row["province_code"],
        row["commune_code"] if level is Level.COMMUNE else None,
        row["unit_id"] if level is Level.UNIT else None,
    )
    return [h["name"] for h in recipients.holders(conn, target)]


def _papers(trail: list[dict[str, Any]]) -> dict[str, Any]:
    """The papers of the last submission: the engine checks them and the trail keeps them."""
    for row in reversed(trail):
        if row["event"] == Event.SUBMIT_SELF_SCORE.value:
            return json.loads(row["payload"]).get("papers") or {}
    return {}


def _not_found(request: Request, actor: Actor, err: NotFound) -> HTMLResponse:
    return page(request, "not_found.html", 404, actor=actor, detail=err.detail)


@router.get("/dossiers/{dossier_id}", response_class=HTMLResponse)
def dossier_page(request: Request, dossier_id: PageId) -> HTMLResponse:
    actor = page_actor(request)
    try:
        view = _dossier_view(actor, dossier_id)
    except NotFound as err:
        return _not_found(request, actor, err)
    done = request.query_params.get("done")
    draft = take_draft(request)
    response = page(
        request,
        "dossier.html",
        actor=actor,
        idempotency_key=secrets.token_urlsafe(16),
        done=EVENT_OF.get(done or ""),
        failed=draft.get("event") if draft else None,
        typed=draft or {},
        restored=bool(draft),
        **view,
    )
    if draft is not None:
        response.delete_cookie(DRAFT_COOKIE, path=f"/dossiers/{dossier_id}")
    return response


def _last_move(dossier_id: int, actor: Actor) -> dict[str, Any] | None:
    with read_connection() as conn:
        queries.readable_dossier(conn, actor, dossier_id)
        trail = audit.trail(conn, dossier_id)
    return trail[-1] if trail else None


@router.post("/dossiers/{dossier_id}/events/{event}", response_class=HTMLResponse)
async def fire_from_page(request: Request, dossier_id: PageId, event: str) -> Response:
    form = await request.form()
    # A session that ended while the form was open: sign in, back to the dossier, form refilled.
    draft = {k: str(v) for k, v in form.items() if isinstance(v, str) and k != "csrftoken"}
    actor = page_actor(request, f"/dossiers/{dossier_id}", {**draft, "event": event[:40]})
    typed = typed_of(form, FORM_FIELDS)
    ev = EVENT_OF.get(event)
    errors: dict[str, str] = {}
    form_reasons: list[str] = []
    stale: dict[str, Any] | None = None
    problem: str | None = None
    long_payload: dict[str, Any] = {}
    rules = None
    if ev in sheets.LONG_FORMS:
        # Everything typed comes back on a refusal, so keep every input, not just the short ones.
        typed = {k: str(v).strip() for k, v in form.items() if isinstance(v, str)}
        try:
            with read_connection() as conn:
                row = queries.readable_dossier(conn, actor, dossier_id)
                rules = rulesets.load(conn, row["rule_set_id"])
        except NotFound as err:
            return _not_found(request, actor, err)
        long_payload, errors = sheets.long_payload(ev, form, rules)
    if ev is None:
        problem = f"Không có bước '{event[:40]}' / there is no event '{event[:40]}'"
    elif not errors:
        try:
            body = EventBody.model_validate(
                {k: v for k, v in typed.items() if v and k in FORM_FIELDS}
            )
        except ValidationError as err:
            errors = field_errors(err)
        else:
            try:
                changes.fire_event(
                    actor,
                    dossier_id,
                    ev,
                    {**body.model_dump(mode="json", exclude_none=True), **long_payload},
                    f'"{form.get("version") or ""}"',
                    idempotency_key=str(form.get("idempotency_key") or "") or None,
                    request_id=request.headers.get("x-request-id"),
                )
            except NotFound as err:
                return _not_found(request, actor, err)
            except VersionConflict:
                stale = _last_move(dossier_id, actor)
            except WorkflowError as err:
                reasons = err.extra.get("reasons")
                problem = err.detail if not reasons else None
                for r in reasons or []:
                    field = (sheets.field_of_reason(r, rules) if rules else None) or _field_named(r)
                    if field == "form":
                        form_reasons.append(r)
                    else:
                        errors[field] = f"{errors[field]}; {r}" if field in errors else r
            except ApiProblem as err:
                problem = err.detail
            else:
                return RedirectResponse(
                    f"/dossiers/{dossier_id}?done={quote(ev.value)}", status_code=303
                )
    try:
        view = _dossier_view(actor, dossier_id)
    except NotFound as err:
        return _not_found(request, actor, err)
    # The page that says what went wrong is itself a good answer (200): a 4xx document is an
    # error in the browser's console, and the user has nothing to fix there.
    return page(
        request,
        "dossier.html",
        actor=actor,
        idempotency_key=secrets.token_urlsafe(16),
        failed=ev.value if ev else None,
        typed=typed,
        errors=errors,
        form_reasons=form_reasons,
        problem=problem,
        stale=stale,
        done=None,
        **view,
    )


_FIELD_OF_REASON = {text: field for field, text in REQUIRED_FIELD_REASONS.items()}
_FIELD_OF_REASON[RETURN_GUIDANCE] = "reason"


def _field_named(reason: str) -> str:
    """The form field a refusal is about, so that the page shows it beside that field."""
    if reason in _FIELD_OF_REASON:
        return _FIELD_OF_REASON[reason]
    if "decision date" in reason or "ngày quyết định" in reason.lower():
        return "decision_date"
    return "form"
