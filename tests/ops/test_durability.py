"""SQLite's durability is a setting: FULL (an acknowledged commit survives a power cut) unless
SQLITE_SYNCHRONOUS says otherwise."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from sqlalchemy import text

from workflow.db import make_engine
from workflow.settings import Settings, get_settings

LEVELS = {"NORMAL": 1, "FULL": 2, "EXTRA": 3}  # PRAGMA synchronous answers with the number


def _synchronous(url: str) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text("PRAGMA synchronous")).scalar_one()
    finally:
        engine.dispose()


@pytest.fixture
def setting(monkeypatch):
    def use(value: str | None) -> None:
        if value is None:
            monkeypatch.delenv("SQLITE_SYNCHRONOUS", raising=False)
        else:
            monkeypatch.setenv("SQLITE_SYNCHRONOUS", value)
        get_settings.cache_clear()

    yield use
    get_settings.cache_clear()


def test_every_connection_is_full_unless_configured(tmp_path, setting):
    setting(None)
    assert get_settings().sqlite_synchronous == "FULL"
    assert _synchronous(f"sqlite:///{tmp_path / 'a.db'}") == LEVELS["FULL"]


@pytest.mark.parametrize("value", ["NORMAL", "FULL", "EXTRA", "normal", " Extra "])
def test_the_setting_picks_the_level(tmp_path, setting, value):
    setting(value)
    assert _synchronous(f"sqlite:///{tmp_path / 'a.db'}") == LEVELS[value.strip().upper()]


@pytest.mark.parametrize("value", ["OFF", "0", "", "FULL;DROP TABLE dossier"])
def test_other_values_are_refused_naming_the_setting(value):
    # OFF would acknowledge a commit the OS has not even been handed: never a server's choice.
    with pytest.raises(ValidationError) as refused:
        Settings(sqlite_synchronous=value)
    assert "sqlite_synchronous" in str(refused.value)
    assert "FULL" in str(refused.value)
