"""Messages that reach people, over HTTP: a user's in-app notices (what the web inbox shows),
and, for a province's administrators, the outbox of their province with the reason a message
cannot be delivered."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import Enum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, Field

from api.deps import CurrentActor, ReadConnection, no_query
from api.params import QueryModel
from api.routes.dossiers import P
from api.schemas import MAX_ID
from states.lifecycle import Role
from workflow import outbox
from workflow.db import write_transaction
from workflow.errors import Forbidden
from workflow.tokens import aware

router = APIRouter(prefix="/api/v1", tags=["Thông báo / Notices and outbox"])
RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {**P, "description": "Thiếu hoặc sai mã truy cập / token refused"},
    403: {**P, "description": "Chỉ quản trị cấp tỉnh / province administrators only"},
    404: {**P, "description": "Không có thông báo đó / no such notice of yours"},
    422: {**P, "description": "Tham số không hợp lệ / invalid parameter, with the reason"},
}
ADMINS_ONLY = (
    "Chỉ quản trị cấp tỉnh xem hộp thư đi của tỉnh / only a province administrator reads the "
    "province's outbox"
)


class NoticeOut(BaseModel):
    id: int
    kind: str = Field(description="step_opened, escalation")
    dossier_id: int | None
    title_vi: str
    title_en: str
    body_vi: str
    body_en: str
    created_at: datetime
    read_at: datetime | None
    read: bool


class NoticePage(BaseModel):
    items: list[NoticeOut]
    unread: int = Field(description="Số thông báo chưa đọc / unread notices")
    next_cursor: str | None


class NoticeQuery(QueryModel):
    unread: bool | None = Field(default=None, description="chỉ chưa đọc / only unread (true)")
    limit: int = Field(default=50, ge=1, le=200)
    cursor: int | None = Field(default=None, gt=0, le=MAX_ID, description="next_cursor")


class OutboxStatus(str, Enum):
    pending = "pending"
    sent = "sent"
    undeliverable = "undeliverable"


class OutboxQuery(QueryModel):
    status: OutboxStatus | None = Field(
        default=None, description="pending (chờ gửi), sent (đã gửi), undeliverable (không gửi được)"
    )
    limit: int = Field(default=50, ge=1, le=200)
    cursor: int | None = Field(default=None, gt=0, le=MAX_ID, description="next_cursor")


class DeliveryOut(BaseModel):
    channel: str
    recipient_id: int | None
    address: str | None
    status: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    sent_at: datetime | None


class MessageOut(BaseModel):
    id: int
    kind: str
    dossier_id: int | None
    status: str
    reason: str | None = Field(description="Vì sao không gửi được / why it cannot be delivered")
    text_vi: str
    text_en: str
    attempts: int
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None
    deliveries: list[DeliveryOut]


class OutboxPage(BaseModel):
    counts: dict[str, int]
    items: list[MessageOut]
    next_cursor: str | None


def _notice_out(row: dict[str, Any]) -> dict[str, Any]:
    return {
        **row,
        "created_at": aware(row["created_at"]),
        "read_at": aware(row["read_at"]),
        "read": row["read_at"] is not None,
    }


@router.get(
    "/me/notices",
    response_model=NoticePage,
    responses=RESPONSES,
    summary="Thông báo của tôi / my notices",
)
def my_notices(
    actor: CurrentActor, conn: ReadConnection, q: Annotated[NoticeQuery, Query()]
) -> dict[str, Any]:
    """Newest first; `unread` counts every unread notice. Page on with `cursor=next_cursor`."""
    assert actor.id is not None
    rows = outbox.notices_of(conn, actor.id, unread=q.unread, limit=q.limit + 1, after_id=q.cursor)
    more = len(rows) > q.limit
    rows = rows[: q.limit]
    unread = len(outbox.notices_of(conn, actor.id, unread=True, limit=10_000))
    return {
        "items": [_notice_out(r) for r in rows],
        "unread": unread,
        "next_cursor": str(rows[-1]["id"]) if more else None,
    }


@router.post(
    "/me/notices/{notice_id}/read",
    dependencies=[Depends(no_query)],
    response_model=NoticeOut,
    responses=RESPONSES,
    summary="Đánh dấu đã đọc / mark a notice read",
)
def read_notice(actor: CurrentActor, notice_id: int = Path(gt=0, le=MAX_ID)) -> dict[str, Any]:
    """Marking it again changes nothing (the first reading time stays)."""
    assert actor.id is not None
    with write_transaction() as conn:
        return _notice_out(outbox.mark_read(conn, actor.id, notice_id, datetime.now(UTC)))


@router.get(
    "/outbox",
    response_model=OutboxPage,
    responses=RESPONSES,
    summary="Hộp thư đi của tỉnh / the province's outbox",
)
def province_outbox(
    actor: CurrentActor, conn: ReadConnection, q: Annotated[OutboxQuery, Query()]
) -> dict[str, Any]:
    """Messages of your province, oldest first, each with its deliveries; an undeliverable one
    says why (nobody holds the seat, no channel configured). Province administrators only."""
    if actor.role is not Role.PROVINCE_ADMIN:
        raise Forbidden(ADMINS_ONLY)
    rows = outbox.list_messages(
        conn,
        status=q.status.value if q.status else None,
        province_code=actor.province_code,
        limit=q.limit + 1,
        after_id=q.cursor,
    )
    more = len(rows) > q.limit
    rows = rows[: q.limit]
    for r in rows:
        for key in ("created_at", "delivered_at"):
            r[key] = aware(r[key])
        for d in r["deliveries"]:
            d["next_attempt_at"], d["sent_at"] = aware(d["next_attempt_at"]), aware(d["sent_at"])
    return {
        "counts": outbox.summary(conn, actor.province_code),
        "items": rows,
        "next_cursor": str(rows[-1]["id"]) if more else None,
    }
