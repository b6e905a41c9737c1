"""Settings from the environment (pydantic-settings); DATABASE_URL picks the database."""

from __future__ import annotations

from functools import lru_cache

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    # SQLite is the embedded default: no other service needed to try the engine.
    database_url: str = "sqlite:///dossier.db"
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
    notify_email: str | None = None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
