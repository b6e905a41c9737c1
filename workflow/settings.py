"""Settings from the environment (pydantic-settings); DATABASE_URL picks the database."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

METRICS_TOKEN_MIN_LENGTH = 16


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    # SQLite is the embedded default: no other service needed to try the engine.
    database_url: str = "sqlite:///dossier.db"
    # SQLite's PRAGMA synchronous (docs/RELIABILITY.md, "Durability"): FULL syncs the log at
    # every commit, so an acknowledged change survives a power cut; NORMAL only survives a
    # process kill (a power cut can lose the last commits); EXTRA also syncs the directory.
    sqlite_synchronous: Literal["FULL", "NORMAL", "EXTRA"] = "FULL"
    # How long a request waits for a database another process holds (SQLite's busy timeout,
    # PostgreSQL's lock_timeout) before it is answered 503 with Retry-After.
    database_busy_timeout_seconds: float = 30.0
    timezone: str = "Asia/Ho_Chi_Minh"
    # A user's API token stops working this many days after it was issued or rotated.
    token_ttl_days: int = 365

    # The clock (scheduler/): how often the sweep and the outbox delivery wake up.
    embedded_scheduler: bool = True
    sweep_interval_seconds: int = 60
    delivery_interval_seconds: int = 30
    # Outbox delivery channels; with neither set, notifications wait in the outbox.
    webhook_url: str | None = None
    webhook_secret: str | None = None
    webhook_timeout_seconds: float = 10.0
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_from: str = "antt-dossier@localhost"
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    # Unused since mail goes to the users who hold the seat (kept so old .env files still load).
    notify_email: str | None = None
    # The daily digest for users with notify_mode "digest": local time (Asia/Ho_Chi_Minh), on
    # working days; a wake-up later than the grace is skipped (tomorrow's digest comes instead).
    digest_time: str = "07:30"
    digest_grace_minutes: int = 120

    # Tamper evidence (workflow/checkpoints.py): the Ed25519 key that signs the audit log's tree
    # heads (a file the database's owner cannot read), the directory the heads are written to
    # (unset: beside the database), and how often the clock writes one (0: only on demand).
    audit_key_file: str | None = None
    audit_heads_dir: str | None = None
    audit_checkpoint_minutes: int = 10

    # GET /metrics answers only a bearer token equal to this one (a Prometheus scraper's);
    # unset, the route is not exposed (404): request counts and latencies are not public.
    metrics_token: str | None = None

    # Sign-in: token (the demo's bearer tokens), oidc (single sign-on), or both.
    auth_mode: Literal["token", "oidc", "both"] = "token"
    # Signs the CSRF cookie and the short-lived OIDC sign-in cookie; random per process if unset
    # (then a restart signs everyone's forms out: set it in production).
    secret_key: str | None = None
    session_idle_minutes: int = 30
    session_absolute_hours: int = 12
    session_cookie_name: str = "dossier_session"
    # None: Secure exactly when the request came over HTTPS; true/false forces it.
    cookie_secure: bool | None = None
    # OpenID Connect (authorization code + PKCE S256).
    oidc_issuer: str | None = None
    oidc_client_id: str | None = None
    oidc_client_secret: str | None = None
    oidc_redirect_uri: str | None = None  # unset: <this server>/auth/oidc/callback
    oidc_match_claim: Literal["sub", "email"] = "email"
    oidc_scopes: str = "openid email profile"
    # The audience the provider's access tokens must name for the API (default: the client id).
    oidc_api_audience: str | None = None
    oidc_timeout_seconds: float = 5.0
    oidc_leeway_seconds: int = 60

    @field_validator("metrics_token", mode="before")
    @classmethod
    def _metrics_token_unguessable(cls, value: object) -> object:
        # The token alone guards /metrics: empty means off, short would be a guess away.
        if isinstance(value, str):
            value = value.strip() or None
            if value is not None and len(value) < METRICS_TOKEN_MIN_LENGTH:
                raise ValueError(
                    f"needs at least {METRICS_TOKEN_MIN_LENGTH} characters "
                    "(a short token can be guessed); leave it unset to serve no /metrics"
                )
        return value

    @field_validator("sqlite_synchronous", mode="before")
    @classmethod
    def _level_in_capitals(cls, value: object) -> object:
        return value.strip().upper() if isinstance(value, str) else value


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
