"""The engine: ``workflow.fire`` is the one door through which a dossier's state changes;
``workflow.allowed_actions`` says what an actor may do now and why not."""

from __future__ import annotations

from typing import Any

__all__ = ["fire", "allowed_actions", "get", "register"]


def __getattr__(name: str) -> Any:
    # Lazy: importing a submodule (workflow.models from a migration) must not load the engine.
    if name in ("fire", "allowed_actions", "get"):
        from workflow import engine

        return getattr(engine, name)
    if name == "register":
        from workflow.registration import register

        return register
    raise AttributeError(name)
