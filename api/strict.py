"""Unknown query parameters are refused: `?stat=recognised` (for `state`) must not quietly
return every dossier."""

from __future__ import annotations

from fastapi import Request
from fastapi.exceptions import RequestValidationError

_known: dict[int, frozenset[str]] = {}


def _names(route) -> frozenset[str]:
    found = _known.get(id(route))
    if found is None:
        found = _known[id(route)] = frozenset(_query_names(route.dependant))
    return found


def _query_names(dependant) -> set[str]:
    names = {p.alias for p in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


def reject_unknown_query(request: Request) -> None:
    route = request.scope.get("route")
    if route is None or not hasattr(route, "dependant") or not request.query_params:
        return
    unknown = [name for name in request.query_params if name not in _names(route)]
    if unknown:
        known = ", ".join(sorted(_names(route))) or "none"
        raise RequestValidationError(
            [
                {
                    "loc": ("query", name),
                    "type": "extra_forbidden",
                    "msg": f"tham số không được hỗ trợ / unknown parameter; known: {known}",
                }
                for name in dict.fromkeys(unknown)
            ]
        )
