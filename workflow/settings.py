"""Settings from the environment (pydantic-settings); DATABASE_URL picks the database."""

from __future__ import annotations

from functools import lru_cache

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    # SQLite is the embedded default: no other service needed to try the engine.
    database_url: str = "sqlite:///dossier.db"
    timezone: str = "Asia/Ho_Chi_Minh"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
