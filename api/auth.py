"""Bearer tokens: `dossier user add` issues one; only its hash is stored. This module reads a
token into an Actor; routes get the actor through ``api.deps.current_actor``."""

from __future__ import annotations

from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.problems import ApiProblem
from workflow.actors import Actor
from workflow.users import UNKNOWN_TOKEN, authenticate, token_refusal

bearer = HTTPBearer(
    auto_error=False,
    description="Mã truy cập do `dossier user add` cấp / the token printed by `dossier user add`",
)
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="antt-dossier"'}


def actor_for(credentials: HTTPAuthorizationCredentials | None) -> Actor:
    """The user a bearer token belongs to, or a 401 with the challenge."""
    if credentials is None or credentials.scheme.lower() != "bearer" or not credentials.credentials:
        raise ApiProblem(
            401,
            "Cần mã truy cập: Authorization: Bearer <token> / a bearer token is "
            "required: Authorization: Bearer <token>",
            headers=CHALLENGE,
        )
    actor = authenticate(credentials.credentials)
    if actor is None:
        # Refused: a second look says why (unknown, expired, deactivated, rotated).
        refusal = token_refusal(credentials.credentials) or UNKNOWN_TOKEN
        raise ApiProblem(
            401,
            refusal.detail,
            headers={
                **CHALLENGE,
                "WWW-Authenticate": 'Bearer realm="antt-dossier", error="invalid_token"',
            },
            reason=refusal.reason,
            at=refusal.at.isoformat() if refusal.at else None,
        )
    return actor
