"""Administration pages for a province administrator: users (list, create, deactivate,
reactivate, rotate a token; a token is shown once), units (list, register, correct name and
kind) and the outbox's undeliverable messages. Each page calls what the JSON routes call
(``workflow.users``, ``workflow.units``, ``workflow.outbox``): the rules are the engine's."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from api.routes.users import create_from
from api.schemas import UnitIn, UnitPatch
from api.user_schemas import UserIn
from api.web.forms import PageId, filled, typed_of
from api.web.frame import field_errors, page, page_actor
from states.lifecycle import Role
from states.subjects import UNIT_KINDS, SubjectType
from workflow import outbox, queries, units, users
from workflow.actors import Actor
from workflow.db import read_connection
from workflow.errors import Forbidden, NotFound, WorkflowError

router = APIRouter(prefix="/admin", include_in_schema=False)
PAGE_SIZE = 50
USER_FIELDS = ("name", "role", "territory", "unit_id", "email", "phone", "notify_mode")
UNIT_FIELDS = ("subject_type", "commune_code", "name", "kind", "managing_level")
# Which field an engine refusal is about, by the words its English half uses (checked in order).
USER_FIELD_WORDS = (
    ("email", ("email",)),
    ("phone", ("phone",)),
    ("territory", ("territory", "commune code", "province code", "commune", "province")),
    ("unit_id", ("unit",)),
    ("role", ("role",)),
    ("name", ("name",)),
)
UNIT_FIELD_WORDS = (
    ("kind", ("kind", "not assessed")),
    ("managing_level", ("managing level", "province manages")),
    ("commune_code", ("commune",)),
    ("subject_type", ("subject type",)),
    ("name", ("name",)),
)


def field_of(reason: str, words: tuple[tuple[str, tuple[str, ...]], ...]) -> str:
    english = reason.rsplit(" / ", 1)[-1].lower()
    for field, keys in words:
        if any(k in english for k in keys):
            return field
    return "form"


def _refusal_fields(err: WorkflowError, words: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    for reason in err.extra.get("reasons") or [err.detail]:
        field = field_of(reason, words)
        out[field] = f"{out[field]}; {reason}" if field in out else reason
    return out


def _forbidden(request: Request, actor: Actor, err: WorkflowError) -> HTMLResponse:
    return page(request, "not_found.html", 403, actor=actor, detail=err.detail)


# -- users -------------------------------------------------------------------------------------


def _users_page(request: Request, actor: Actor, **ctx: Any) -> HTMLResponse:
    q = request.query_params
    role = q.get("role") if q.get("role") in {r.value for r in Role} else None
    active = {"1": True, "0": False}.get(q.get("active") or "")
    with read_connection() as conn:
        try:
            rows, next_cursor = users.list_users(
                conn, actor, role=role, active=active, limit=PAGE_SIZE, cursor=q.get("cursor")
            )
        except Forbidden as err:
            return _forbidden(request, actor, err)
        except WorkflowError:  # a forged cursor: the first page
            rows, next_cursor = users.list_users(conn, actor, role=role, active=active)
    kept = {k: v for k, v in q.items() if k in ("role", "active") and v}
    response = page(
        request,
        "admin_users.html",
        actor=actor,
        users=rows,
        roles=[r.value for r in Role],
        role=role,
        active=q.get("active") or "",
        next_query=urlencode({**kept, "cursor": next_cursor}) if next_cursor else "",
        typed=ctx.pop("typed", {}),
        errors=ctx.pop("errors", {}),
        **ctx,
    )
    # A page that shows a token once must not be kept by the browser or a proxy.
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/users", response_class=HTMLResponse)
def users_page(request: Request) -> HTMLResponse:
    actor = page_actor(request)
    return _users_page(request, actor, done=request.query_params.get("done"))


@router.post("/users", response_class=HTMLResponse)
async def create_user(request: Request) -> HTMLResponse:
    actor = page_actor(request)
    form = await request.form()
    typed = typed_of(form, USER_FIELDS)
    try:
        body = UserIn.model_validate(filled(typed))
    except ValidationError as err:
        return _users_page(request, actor, typed=typed, errors=field_errors(err))
    try:
        created, token = create_from(body, actor, request.headers.get("x-request-id"))
    except WorkflowError as err:
        errors = _refusal_fields(err, USER_FIELD_WORDS)
        return _users_page(request, actor, typed=typed, errors=errors)
    return _users_page(request, actor, token_for=created.name, token=token)


@router.post("/users/{user_id}/{change}", response_class=HTMLResponse)
def change_user(request: Request, user_id: PageId, change: str) -> Response:
    actor = page_actor(request)
    request_id = request.headers.get("x-request-id")
    try:
        if change == "deactivate":
            users.deactivate_user(user_id, by=actor, request_id=request_id)
        elif change == "reactivate":
            users.reactivate_user(user_id, by=actor, request_id=request_id)
        elif change == "rotate":
            record, token = users.rotate_token(user_id, by=actor, request_id=request_id)
            return _users_page(request, actor, token_for=record["name"], token=token)
        else:
            detail = (
                f"Không có thao tác '{change[:40]}' / there is no action '{change[:40]}': "
                "deactivate, reactivate or rotate"
            )
            return page(request, "not_found.html", 404, actor=actor, detail=detail)
    except WorkflowError as err:
        return _users_page(request, actor, errors={"form": err.detail})
    return RedirectResponse(f"/admin/users?done={change}", status_code=303)


# -- units -------------------------------------------------------------------------------------


def _units_page(request: Request, actor: Actor, **ctx: Any) -> HTMLResponse:
    q = request.query_params
    subject = (
        q.get("subject_type") if q.get("subject_type") in {s.value for s in SubjectType} else None
    )
    commune = (
        int(q["commune"]) if (q.get("commune") or "").isdigit() and len(q["commune"]) < 10 else None
    )
    with read_connection() as conn:
        try:
            rows, next_cursor = queries.list_units(
                conn,
                actor,
                commune=commune,
                subject_type=subject,
                limit=PAGE_SIZE,
                cursor=q.get("cursor"),
            )
        except WorkflowError:
            rows, next_cursor = queries.list_units(
                conn, actor, commune=commune, subject_type=subject, limit=PAGE_SIZE
            )
    kept = {k: v for k, v in q.items() if k in ("subject_type", "commune") and v}
    return page(
        request,
        "admin_units.html",
        actor=actor,
        units=rows,
        subject_types=[s.value for s in SubjectType],
        kinds={
            s.value: [k for k, why in UNIT_KINDS[s].items() if why is None] for s in SubjectType
        },
        subject=subject,
        commune=commune,
        next_query=urlencode({**kept, "cursor": next_cursor}) if next_cursor else "",
        typed=ctx.pop("typed", {}),
        errors=ctx.pop("errors", {}),
        **ctx,
    )


@router.get("/units", response_class=HTMLResponse)
def units_page(request: Request) -> HTMLResponse:
    actor = page_actor(request)
    return _units_page(request, actor, done=request.query_params.get("done"))


@router.post("/units", response_class=HTMLResponse)
async def create_unit(request: Request) -> Response:
    actor = page_actor(request)
    form = await request.form()
    typed = typed_of(form, UNIT_FIELDS)
    try:
        body = UnitIn.model_validate(filled(typed))
    except ValidationError as err:
        return _units_page(request, actor, typed=typed, errors=field_errors(err))
    try:
        unit = units.create_unit(**body.model_dump(), actor=actor)
    except WorkflowError as err:
        return _units_page(
            request, actor, typed=typed, errors=_refusal_fields(err, UNIT_FIELD_WORDS)
        )
    return RedirectResponse(f"/admin/units?done={unit['id']}", status_code=303)


def _unit_page(request: Request, actor: Actor, unit: dict[str, Any], **ctx: Any) -> HTMLResponse:
    subject = SubjectType(unit["subject_type"])
    return page(
        request,
        "admin_unit.html",
        actor=actor,
        unit=unit,
        kinds=[k for k, why in UNIT_KINDS[subject].items() if why is None],
        typed=ctx.pop("typed", {}),
        errors=ctx.pop("errors", {}),
        **ctx,
    )


@router.get("/units/{unit_id}", response_class=HTMLResponse)
def unit_page(request: Request, unit_id: PageId) -> HTMLResponse:
    actor = page_actor(request)
    try:
        with read_connection() as conn:
            unit = queries.readable_unit(conn, actor, unit_id)
    except NotFound as err:
        return page(request, "not_found.html", 404, actor=actor, detail=err.detail)
    return _unit_page(request, actor, unit)


@router.post("/units/{unit_id}", response_class=HTMLResponse)
async def edit_unit(request: Request, unit_id: PageId) -> Response:
    actor = page_actor(request)
    form = await request.form()
    typed = typed_of(form, ("name", "kind"))
    try:
        with read_connection() as conn:
            unit = queries.readable_unit(conn, actor, unit_id)
        # Both fields are sent as typed: a name cleared is refused beside it, not ignored.
        body = UnitPatch.model_validate(typed)
        units.update_unit(unit_id, name=body.name, kind=body.kind, actor=actor)
    except NotFound as err:
        return page(request, "not_found.html", 404, actor=actor, detail=err.detail)
    except ValidationError as err:
        return _unit_page(request, actor, unit, typed=typed, errors=field_errors(err))
    except WorkflowError as err:
        errors = _refusal_fields(err, UNIT_FIELD_WORDS)
        return _unit_page(request, actor, unit, typed=typed, errors=errors)
    return RedirectResponse(f"/admin/units?done={unit_id}", status_code=303)


# -- the outbox --------------------------------------------------------------------------------


@router.get("/outbox", response_class=HTMLResponse)
def outbox_page(request: Request) -> HTMLResponse:
    actor = page_actor(request)
    if actor.role is not Role.PROVINCE_ADMIN:
        detail = (
            "Chỉ quản trị cấp tỉnh xem hộp thư đi / only a province administrator reads the outbox"
        )
        return page(request, "not_found.html", 403, actor=actor, detail=detail)
    with read_connection() as conn:
        counts = outbox.summary(conn, actor.province_code)
        rows = outbox.list_messages(
            conn, status="undeliverable", province_code=actor.province_code, limit=PAGE_SIZE
        )
    return page(request, "admin_outbox.html", actor=actor, counts=counts, messages=rows)
