"""GET /metrics for a Prometheus scraper holding METRICS_TOKEN; not mounted when it is unset."""

from __future__ import annotations

import hashlib
import hmac

from fastapi import APIRouter, Depends, Response
from fastapi.responses import PlainTextResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from api.deps import no_query
from api.metrics import REGISTRY
from api.problems import ApiProblem
from workflow.settings import get_settings

scraper = HTTPBearer(
    auto_error=False,
    scheme_name="MetricsToken",
    description="METRICS_TOKEN, the scraper's token (not a user's)",
)
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="antt-dossier-metrics"'}

router = APIRouter(tags=["Vận hành / Operations"], dependencies=[Depends(no_query)])


def enabled() -> bool:
    return bool(get_settings().metrics_token)


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def require_scraper(credentials: HTTPAuthorizationCredentials | None = Depends(scraper)) -> None:
    expected = get_settings().metrics_token or ""
    given = credentials.credentials if credentials is not None else ""
    # Constant time over equal-length digests: the duration tells neither how much of a guess
    # matched nor how long the token is.
    if not expected or not hmac.compare_digest(_digest(given), _digest(expected)):
        raise ApiProblem(
            401,
            "Cần mã METRICS_TOKEN: Authorization: Bearer <token> / the metrics need the "
            "METRICS_TOKEN bearer token",
            headers=CHALLENGE,
        )


@router.get(
    "/metrics",
    response_class=PlainTextResponse,
    summary="Prometheus metrics",
    dependencies=[Depends(require_scraper)],
)
def prometheus_metrics() -> Response:
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
