"""Bearer tokens: `dossier user add` issues one; only its hash is stored. This module reads a
token into an Actor; routes get the actor through ``api.deps.current_actor``."""

from __future__ import annotations

from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.problems import ApiProblem
from workflow.actors import Actor
from workflow.users import authenticate

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
        raise ApiProblem(
            401,
            "Mã truy cập không đúng hoặc đã bị thu hồi / the token is unknown or revoked",
            headers={
                **CHALLENGE,
                "WWW-Authenticate": 'Bearer realm="antt-dossier", error="invalid_token"',
            },
        )
    return actor
