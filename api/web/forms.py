"""The pages' filter forms (inbox, dashboard): an empty field means "any", and a bad field is
dropped and named beside itself while the valid ones still apply."""

from __future__ import annotations

from typing import Annotated, Any, Self

from fastapi import Path
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from api.schemas import MAX_ID

# A page's path id: out of range is a 422 naming it, never a number the database overflows on.
PageId = Annotated[int, Path(gt=0, le=MAX_ID)]


class FilterForm(BaseModel):
    model_config = ConfigDict(extra="ignore")

    errors: dict[str, str] = Field(default_factory=dict)

    @field_validator("*", mode="before")
    @classmethod
    def _empty_is_any(cls, value: Any) -> Any:
        return None if value == "" else value

    @classmethod
    def lenient(cls, raw: dict[str, Any]) -> Self:
        """The form from ``raw``: what is valid kept, each invalid field named in ``errors``."""
        try:
            return cls.model_validate(raw)
        except ValidationError as err:
            bad = {str(e["loc"][0]): e["msg"] for e in err.errors() if e["loc"]}
            form = cls.model_validate({k: v for k, v in raw.items() if k not in bad})
            form.errors = {k: f"Giá trị không hợp lệ / {m}" for k, m in bad.items()}
            return form


def typed_of(form: Any, fields: tuple[str, ...]) -> dict[str, str]:
    """What the person typed into ``fields``, trimmed; kept to fill the form again."""
    return {f: str(form.get(f) or "").strip() for f in fields}


def filled(typed: dict[str, str]) -> dict[str, str]:
    """The fields given a value: an empty input means "not sent"."""
    return {k: v for k, v in typed.items() if v}
