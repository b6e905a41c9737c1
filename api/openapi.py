"""The published contract: every error documented as problem+json, the statuses every route
can answer with (401 without a token, 413 for an oversized body) listed where they apply."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from api.problems import HTTP_TITLES, PROBLEM_JSON

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}


def _problem_response(status: int, description: str | None = None) -> dict[str, Any]:
    return {
        "description": description or HTTP_TITLES.get(status, "Error"),
        "content": {PROBLEM_JSON: {"schema": PROBLEM_REF}},
    }


def build(app: FastAPI) -> dict[str, Any]:
    if app.openapi_schema:
        return app.openapi_schema
    spec = get_openapi(
        title=app.title,
        version=app.version,
        description=app.description,
        routes=app.routes,
        tags=app.openapi_tags,
    )
    for path_item in spec.get("paths", {}).values():
        for op in path_item.values():
            responses = op.setdefault("responses", {})
            for code, response in list(responses.items()):
                if code.isdigit() and int(code) >= 400:
                    responses[code] = _problem_response(int(code), response.get("description"))
            if op.get("security"):
                responses.setdefault("401", _problem_response(401))
                responses.setdefault("403", _problem_response(403))
            if "requestBody" in op:
                responses.setdefault(
                    "400",
                    _problem_response(
                        400,
                        "Nội dung không đọc được (không phải JSON UTF-8) / the body cannot be parsed",
                    ),
                )
                responses.setdefault("413", _problem_response(413))
                responses.setdefault("422", _problem_response(422))
            headers = {
                p["name"].lower() for p in op.get("parameters", []) if p.get("in") == "header"
            }
            if headers & {"idempotency-key", "if-match"}:
                responses.setdefault(
                    "400",
                    _problem_response(
                        400,
                        "If-Match hoặc Idempotency-Key sai dạng / malformed If-Match or Idempotency-Key",
                    ),
                )
            if op.get("parameters") or "requestBody" in op:
                responses.setdefault("422", _problem_response(422))
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    app.openapi_schema = spec
    return spec


def install(app: FastAPI) -> None:
    app.openapi = lambda: build(app)  # type: ignore[method-assign]
