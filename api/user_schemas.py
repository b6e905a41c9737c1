"""Users over the wire: the record (labels beside the codes, never a token hash), the bodies that
create or change one, the page, and the trail."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from api.params import QueryModel
from api.schemas import MAX_ID, Label, Text
from states.lifecycle import Role
from workflow import queries

NotifyMode = Literal["immediate", "digest"]


class UserOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 7,
                    "name": "Nguyễn Văn An",
                    "role": "police",
                    "role_label": {"vi": "Công an", "en": "Police"},
                    "province_code": 51,
                    "commune_code": 21211,
                    "unit_id": None,
                    "territory_label": {
                        "vi": "Phường Trương Quang Trọng, Tỉnh Quảng Ngãi",
                        "en": "commune 21211 Phường Trương Quang Trọng, province 51 Tỉnh Quảng Ngãi",
                    },
                    "email": "an.nv@congan.quangngai.gov.vn",
                    "phone": "0912345678",
                    "active": True,
                    "notify_mode": "immediate",
                    "created_at": "2026-01-05T02:00:00Z",
                    "token_expires_at": "2027-01-05T02:00:00Z",
                    "last_used_at": "2026-03-02T01:15:00Z",
                }
            ]
        }
    )

    id: int
    name: str
    role: str
    role_label: Label
    province_code: int
    commune_code: int | None = None
    unit_id: int | None = None
    territory_label: Label
    email: str | None = None
    phone: str | None = None
    active: bool
    notify_mode: str
    oidc_subject: str | None = None
    created_at: datetime
    token_expires_at: datetime | None = None
    token_rotated_at: datetime | None = None
    last_used_at: datetime | None = None
    deactivated_at: datetime | None = None


class UserCreated(UserOut):
    token: str = Field(
        description="Mã truy cập, chỉ hiện một lần / the API token, shown this once only"
    )


class UserPage(BaseModel):
    items: list[UserOut]
    next_cursor: str | None = None


class UserIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "Nguyễn Văn An",
                    "role": "police",
                    "territory": "21211",
                    "email": "an.nv@congan.quangngai.gov.vn",
                    "phone": "0912345678",
                },
                {"name": "Đại diện Trạm Y tế", "role": "unit", "unit_id": 12},
            ]
        },
    )

    name: Text = Field(min_length=1, max_length=200)
    role: Text = Field(
        max_length=32, description="unit, commune_reviewer, police, ubnd, province_admin, auditor"
    )
    territory: Text | None = Field(
        None,
        max_length=20,
        description="mã tỉnh (51) hoặc mã xã (21211) / province or commune code",
    )
    unit_id: int | None = Field(None, gt=0, le=MAX_ID, description="for role unit: its unit")
    email: Text | None = Field(None, max_length=254)
    phone: Text | None = Field(None, max_length=20, description="0912345678 or +84912345678")
    notify_mode: NotifyMode = "immediate"


class UserPatch(BaseModel):
    """Only the fields sent change; email or phone sent as null is removed."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"role": "ubnd"}, {"phone": "+84912345678"}]},
    )

    name: Text | None = Field(None, min_length=1, max_length=200)
    role: Text | None = Field(None, max_length=32)
    territory: Text | None = Field(None, max_length=20)
    unit_id: int | None = Field(None, gt=0, le=MAX_ID)
    email: Text | None = Field(None, max_length=254)
    phone: Text | None = Field(None, max_length=20)
    notify_mode: NotifyMode | None = None


class UserEventOut(BaseModel):
    seq: int
    event: str
    actor_id: int | None = None
    actor_name: str
    actor_role: str
    before: dict[str, Any]
    after: dict[str, Any]
    at: datetime
    request_id: str | None = None
    prev_hash: str
    hash: str


class UserTrail(BaseModel):
    user_id: int
    events: list[UserEventOut]
    ok: bool = Field(description="the chain verifies / chuỗi băm toàn vẹn")
    findings: list[dict[str, Any]]


class UserQuery(QueryModel):
    role: Role | None = Field(None, description="Vai trò / role")
    territory: str | None = Field(
        None, max_length=20, description="mã tỉnh (51) hoặc mã xã (21211) / province or commune"
    )
    active: bool | None = Field(None, description="Đang hoạt động / active or deactivated")
    limit: int = Field(50, ge=1, le=queries.MAX_LIMIT, description="items per page")
    cursor: str | None = Field(
        None, max_length=200, description="the next_cursor of the previous page"
    )
