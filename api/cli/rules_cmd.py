"""`dossier rules publish FILE.json` and `dossier rules show`: the rule sets of a year.

Publishing is a province administrator's act: ``--by`` names the administrator (recorded as the
publisher, and checked against the rule set's province); without it the operator publishes.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

from api.cli.main import app, emit, fail
from states.subjects import SubjectType
from workflow import rulesets
from workflow.errors import InvalidInput, WorkflowError
from workflow.users import get_actor

rules_app = typer.Typer(
    no_args_is_help=True,
    help="Bộ quy tắc / rule sets (criteria, score table, "
    "bands, policy) per province, year and subject type",
)
app.add_typer(rules_app, name="rules")


@rules_app.command("publish")
def publish(
    file: Path = typer.Argument(
        ...,
        exists=True,
        dir_okay=False,
        readable=True,
        help="a rule set body, or a list of them, as JSON",
    ),
    by: int = typer.Option(None, "--by", help="the publishing province_admin's user id"),
) -> None:
    """Validate and publish rule sets as new versions; every error is listed, nothing is stored
    unless all are valid. Open dossiers keep the version they were registered under."""
    try:
        try:
            bodies = json.loads(file.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            raise InvalidInput([f"{file}: không phải JSON hợp lệ / not valid JSON: {e}"]) from None
        actor = get_actor(by) if by is not None else None
        published = rulesets.publish_bodies(bodies, by=actor)
    except WorkflowError as e:
        fail(e)
    emit({"published": published})


@rules_app.command("show")
def show(
    province: int = typer.Option(
        None, "--province", help="province code; leave out for the national rule set"
    ),
    year: int = typer.Option(..., "--year"),
    subject: str = typer.Option(..., "--subject", help="KDC, XA, CQ, DN or CSGD"),
    version: int = typer.Option(
        None,
        "--version",
        help="a given version (default: the one in force, which new registrations are pinned to)",
    ),
) -> None:
    """Print the rule set in force for (province, year, subject type), or a given version."""
    try:
        try:
            subject_type = SubjectType(subject)
        except ValueError:
            names = ", ".join(s.value for s in SubjectType)
            raise InvalidInput(
                [
                    f"Loại đối tượng '{subject}' không hợp lệ / unknown subject type "
                    f"'{subject}': {names}"
                ]
            ) from None
        found = rulesets.find(province, year, subject_type, version)
    except WorkflowError as e:
        fail(e)
    found["rules"] = found["rules"].model_dump(mode="json")
    emit(found)
