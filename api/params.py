"""Query strings as pydantic models (FastAPI's query parameter models): each route's parameters
are one model that refuses a name it does not know, so `?stat=recognised` (for `state`) is a 422
naming `query.stat`, never a list of every dossier. Routes take them as
``Annotated[DossierQuery, Query()]``; routes without parameters depend on ``api.deps.no_query``."""

from __future__ import annotations

from enum import Enum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from api.schemas import MAX_ID
from states.lifecycle import State
from states.subjects import SubjectType
from workflow import queries

UNKNOWN = "tham số không được hỗ trợ / unknown parameter; known: {known}"


class QueryModel(BaseModel):
    """A query string that forbids unknown names and, refusing one, lists the names it knows."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="wrap")
    @classmethod
    def _name_the_known(cls, data: Any, handler: Any) -> Any:
        try:
            return handler(data)
        except ValidationError as err:
            errors = err.errors()
            if not any(e["type"] == "extra_forbidden" for e in errors):
                raise
            known = ", ".join(sorted(f.alias or n for n, f in cls.model_fields.items())) or "none"
            raise ValidationError.from_exception_data(
                err.title, [_detail(e, known) for e in errors]
            ) from None


def _detail(error: Any, known: str) -> InitErrorDetails:
    # The other errors of the same query string keep their type and message word for word.
    if error["type"] == "extra_forbidden":
        kind = PydanticCustomError("extra_forbidden", UNKNOWN, {"known": known})
    else:
        kind = PydanticCustomError(error["type"], error["msg"])
    return InitErrorDetails(type=kind, loc=error["loc"], input=error["input"])


class NoQuery(QueryModel):
    """For routes that take no query parameters: any name is unknown."""


def _limit() -> Any:
    return Field(50, ge=1, le=queries.MAX_LIMIT, description="Số mục mỗi trang / items per page")


def _cursor() -> Any:
    return Field(
        None,
        max_length=200,
        description="next_cursor của trang trước / the next_cursor of the previous page",
    )


class Format(str, Enum):
    json = "json"
    xlsx = "xlsx"


class DossierQuery(QueryModel):
    state: State | None = Field(None, description="Trạng thái / state")
    subject_type: SubjectType | None = Field(None, description="KDC, XA, CQ, DN, CSGD")
    commune: int | None = Field(None, gt=0, le=MAX_ID, description="Mã xã")
    province: int | None = Field(None, gt=0, le=MAX_ID, description="Mã tỉnh")
    year: int | None = Field(None, ge=2020, le=2100)
    overdue: bool | None = Field(None, description="Quá hạn / past the step's deadline")
    awaiting_me: bool = Field(
        False,
        description=(
            "Hộp việc: hồ sơ đang chờ bạn xử lý, hạn sớm nhất trước / the caller's "
            "inbox: dossiers waiting in a step the caller owns, soonest due first"
        ),
    )
    acted_by_me: bool = Field(
        False,
        description=(
            "Hồ sơ tôi đã xử lý, mới nhất trước / the dossiers the caller moved, newest "
            "first (with awaiting_me, the inbox wins)"
        ),
    )
    limit: int = _limit()
    cursor: str | None = _cursor()


class UnitQuery(QueryModel):
    province: int | None = Field(None, gt=0, le=MAX_ID)
    commune: int | None = Field(None, gt=0, le=MAX_ID)
    subject_type: SubjectType | None = Field(None)
    limit: int = _limit()
    cursor: str | None = _cursor()


class RuleSetQuery(QueryModel):
    year: int = Field(ge=2020, le=2100)
    subject_type: SubjectType = Field(description="KDC, XA, CQ, DN or CSGD")
    province: int | None = Field(
        None,
        gt=0,
        le=MAX_ID,
        description=(
            "mã tỉnh; bỏ trống: bộ quy tắc quốc gia / province code; leave out for the national one"
        ),
    )
    version: int | None = Field(
        None,
        ge=1,
        le=MAX_ID,
        description=(
            "một phiên bản cụ thể; mặc định: phiên bản hồ sơ mới sẽ được gắn / a given version; "
            "default: the one new registrations are pinned to"
        ),
    )


class ReportQuery(QueryModel):
    province: int | None = Field(None, gt=0, le=MAX_ID, description="Mã tỉnh (mặc định: của bạn)")
    commune: int | None = Field(None, gt=0, le=MAX_ID, description="Mã xã")
    year: int | None = Field(None, ge=2020, le=2100, description="Năm (mặc định: năm nay)")
    format: Format = Field(Format.json, description="json hoặc xlsx (Excel)")
