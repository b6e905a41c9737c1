"""The `dossier` command: wires states, workflow, scheduler and api. Nothing imports it.

Each concern adds its commands to ``app`` from a module of its own.
"""

from api.cli.main import app
from api.cli import audit_cmd, bench_cmd, db_cmd, demo_cmd, rules_cmd, serve_cmd, users_cmd  # noqa: F401,E402  (register commands)

__all__ = ["app"]
