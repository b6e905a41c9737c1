"""The `dossier` command: wires states, workflow, scheduler and api. Nothing imports it.

Each concern adds its commands to ``app`` from a module of its own.
"""

# One module a line, so that each concern adds its own without touching the others' lines.
from api.cli import (  # noqa: F401  (each module registers its commands)
    audit_cmd,
    clock_cmd,
    db_cmd,
    demo_cmd,
    example_cmd,
    rules_cmd,
    serve_cmd,
    users_cmd,
)
from api.cli.main import app

__all__ = ["app"]
