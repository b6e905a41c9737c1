"""Users: who I am, and the lifecycle a province administrator manages (create, change,
deactivate, reactivate, rotate a token); the trail of every change, for administrators and
auditors. Every refusal names the rule (states/access.py)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse

from api.deps import CurrentActor, no_query
from api.routes.dossiers import P, request_id
from api.schemas import MAX_ID
from api.user_schemas import (
    UserCreated,
    UserIn,
    UserOut,
    UserPage,
    UserPatch,
    UserQuery,
    UserTrail,
)
from states import territory
from states.lifecycle import ROLE_LABELS, Role
from workflow import queries, user_trail, users
from workflow.actors import Actor
from workflow.db import read_connection
from workflow.tokens import aware

router = APIRouter(prefix="/api/v1", tags=["Người dùng / Users"])
NO_QUERY = [Depends(no_query)]

RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {**P, "description": "Thiếu, sai, hết hạn, bị khóa hoặc đã thay mã / token refused"},
    403: {**P, "description": "Quy tắc quản lý người dùng không cho phép / the rule refuses"},
    404: {**P, "description": "Không có người dùng trong địa bàn / no such user in your territory"},
    409: {**P, "description": "Trùng địa chỉ thư, hoặc đã ở trạng thái đó / conflict"},
    422: {**P, "description": "Dữ liệu không hợp lệ / invalid input, with the reason"},
}
UserId = Path(gt=0, le=MAX_ID, description="Số người dùng / user id")
_DATES = ("created_at", "token_expires_at", "token_rotated_at", "last_used_at", "deactivated_at")


def _territory_label(record: dict[str, Any], unit: dict[str, Any] | None) -> dict[str, str]:
    p = territory.province(record["province_code"])
    pname = p.name if p else str(record["province_code"])
    vi, en = [pname], [f"province {record['province_code']} {pname}"]
    if record["commune_code"] is not None:
        c = territory.commune(record["commune_code"])
        cname = c.name if c else str(record["commune_code"])
        vi.insert(0, cname)
        en.insert(0, f"commune {record['commune_code']} {cname}")
    if unit is not None:
        vi.insert(0, unit["name"])
        en.insert(0, f"unit {unit['id']} {unit['name']}")
    return {"vi": ", ".join(vi), "en": ", ".join(en)}


def user_out(record: dict[str, Any]) -> dict[str, Any]:
    unit = None
    if record["unit_id"] is not None:
        with read_connection() as conn:
            unit = queries.unit_by_id(conn, record["unit_id"])
    vi, en = ROLE_LABELS[Role(record["role"])]
    out = {
        **record,
        **{k: aware(record[k]) for k in _DATES},
        "role_label": {"vi": vi, "en": en},
        "territory_label": _territory_label(record, unit),
    }
    return UserOut.model_validate(out).model_dump(mode="json")


def create_from(body: UserIn, by: Actor, request_id: str | None) -> tuple[Actor, str]:
    """Create the user a validated body describes (the API's route and the admin page)."""
    return users.create_user(
        name=body.name,
        role=body.role,
        territory_code=body.territory,
        unit_id=body.unit_id,
        email=body.email,
        phone=body.phone,
        notify_mode=body.notify_mode,
        by=by,
        request_id=request_id,
    )


@router.get(
    "/me",
    dependencies=NO_QUERY,
    response_model=UserOut,
    responses=RESPONSES,
    summary="Tôi là ai / who I am",
)
def me(actor: CurrentActor) -> dict[str, Any]:
    """Your id, name, role, territory or unit with labels, your token's expiry and last use."""
    assert actor.id is not None
    return user_out(users.get_user(actor.id))


@router.get(
    "/users",
    response_model=UserPage,
    responses=RESPONSES,
    summary="Người dùng trong địa bàn / users of your territory",
)
def list_users(actor: CurrentActor, q: Annotated[UserQuery, Query()]) -> dict[str, Any]:
    """A province administrator or an auditor lists the users of its territory; keyset pages
    (pass `next_cursor` back as `cursor`)."""
    with read_connection() as conn:
        rows, next_cursor = users.list_users(
            conn,
            actor,
            role=q.role.value if q.role else None,
            territory_code=q.territory,
            active=q.active,
            limit=q.limit,
            cursor=q.cursor,
        )
    return {"items": [user_out(r) for r in rows], "next_cursor": next_cursor}


@router.post(
    "/users",
    dependencies=NO_QUERY,
    status_code=201,
    response_model=UserCreated,
    responses=RESPONSES,
    summary="Tạo người dùng / create a user (the token is shown once)",
)
def create_user(actor: CurrentActor, body: UserIn, request: Request):
    """A province administrator creates a user of its province; the answer carries the token,
    shown this once and stored only as a hash."""
    created, token = create_from(body, actor, request_id(request))
    assert created.id is not None
    out = {**user_out(users.get_user(created.id)), "token": token}
    return JSONResponse(
        out,
        status_code=201,
        headers={"Location": f"/api/v1/users/{created.id}", "Cache-Control": "no-store"},
    )


@router.get(
    "/users/{user_id}",
    dependencies=NO_QUERY,
    response_model=UserOut,
    responses=RESPONSES,
    summary="Một người dùng / one user",
)
def get_user(actor: CurrentActor, user_id: int = UserId) -> dict[str, Any]:
    return user_out(users.get_user(user_id, by=actor))


@router.patch(
    "/users/{user_id}",
    dependencies=NO_QUERY,
    response_model=UserOut,
    responses=RESPONSES,
    summary="Đổi tên, vai trò, địa bàn, liên hệ / change a user",
)
def patch_user(
    actor: CurrentActor, body: UserPatch, request: Request, user_id: int = UserId
) -> dict[str, Any]:
    """Only the fields sent change. Nobody changes their own role; a new territory must lie in
    the administrator's province; a unit user is bound to its unit (send `unit_id`)."""
    changes = body.model_dump(exclude_unset=True)
    return user_out(users.update_user(user_id, changes, by=actor, request_id=request_id(request)))


@router.post(
    "/users/{user_id}/deactivate",
    dependencies=NO_QUERY,
    response_model=UserOut,
    responses=RESPONSES,
    summary="Khóa tài khoản / deactivate (takes effect on the very next request)",
)
def deactivate(actor: CurrentActor, request: Request, user_id: int = UserId) -> dict[str, Any]:
    return user_out(users.deactivate_user(user_id, by=actor, request_id=request_id(request)))


@router.post(
    "/users/{user_id}/reactivate",
    dependencies=NO_QUERY,
    response_model=UserOut,
    responses=RESPONSES,
    summary="Mở lại tài khoản / reactivate",
)
def reactivate(actor: CurrentActor, request: Request, user_id: int = UserId) -> dict[str, Any]:
    return user_out(users.reactivate_user(user_id, by=actor, request_id=request_id(request)))


@router.post(
    "/users/{user_id}/rotate-token",
    dependencies=NO_QUERY,
    response_model=UserCreated,
    responses=RESPONSES,
    summary="Cấp mã mới / rotate the token (the old one stops at once)",
)
def rotate_token(actor: CurrentActor, request: Request, user_id: int = UserId):
    """The new token is in the answer, shown once; anyone may rotate their own."""
    record, token = users.rotate_token(user_id, by=actor, request_id=request_id(request))
    return JSONResponse({**user_out(record), "token": token}, headers={"Cache-Control": "no-store"})


@router.get(
    "/users/{user_id}/trail",
    dependencies=NO_QUERY,
    response_model=UserTrail,
    responses=RESPONSES,
    summary="Nhật ký người dùng / who gave this user which power, when",
)
def trail(actor: CurrentActor, user_id: int = UserId) -> dict[str, Any]:
    """Every change to the user, in order, and the hash chain checked; for a province
    administrator or an auditor of the territory."""
    events = users.user_trail_of(user_id, by=actor)
    with read_connection() as conn:
        _, findings = user_trail.verify(conn, user_id)
    return {
        "user_id": user_id,
        "events": [{**e, "at": aware(e["at"])} for e in events],
        "ok": not findings,
        "findings": [f.as_dict() for f in findings],
    }
