"""`dossier user list | add | deactivate | reactivate | rotate`: the operator at the command line
manages users; each change is written to the user's trail under the operator's login name.
`add` and `rotate` print only the token on stdout (scripts capture it)."""

from __future__ import annotations

import getpass

import typer

from api.cli.main import emit, fail, stderr, user_app
from workflow import users
from workflow.db import read_connection
from workflow.errors import WorkflowError

USER_REF = typer.Argument(..., help="the user's id or exact name")


def _operator() -> str:
    try:
        login = getpass.getuser()
    except (KeyError, OSError):  # no login name (a container without a passwd entry)
        login = "unknown"
    return f"{login} (dossier CLI)"


def _resolve(ref: str) -> int:
    try:
        return users.resolve_user(ref)
    except WorkflowError as e:
        fail(e)
        raise  # fail() exits; this keeps the type checker sure of it


@user_app.command("add")
def add(
    name: str = typer.Option(..., "--name"),
    role: str = typer.Option(
        ..., "--role", help="unit, commune_reviewer, police, ubnd, province_admin or auditor"
    ),
    territory: str = typer.Option(
        None,
        "--territory",
        help="province code (51) or commune code (21211); province:51 / commune:21211 also work",
    ),
    unit: int = typer.Option(None, "--unit", help="the unit's id, for role unit"),
    email: str = typer.Option(None, "--email", help="for notifications, e.g. ten@congan.gov.vn"),
    phone: str = typer.Option(None, "--phone", help="a Vietnamese number, e.g. 0912345678"),
) -> None:
    """Create a user; the token is printed once and stored only as a hash."""
    try:
        actor, token = users.create_user(
            name=name,
            role=role,
            territory_code=territory,
            unit_id=unit,
            email=email,
            phone=phone,
            operator=_operator(),
        )
    except WorkflowError as e:
        fail(e)
    stderr(f"user {actor.id} ({actor.role.value}) created; its token follows, keep it safe:")
    typer.echo(token)


@user_app.command("list")
def list_(
    role: str = typer.Option(None, "--role"),
    territory: str = typer.Option(None, "--territory", help="province or commune code"),
    active: bool = typer.Option(None, "--active/--inactive", help="only active or inactive"),
    as_json: bool = typer.Option(False, "--json", help="one JSON document instead of a table"),
) -> None:
    """Every user (or those matching): id, name, role, territory, state, token expiry."""
    rows, cursor = [], None
    try:
        with read_connection() as conn:
            while True:
                page, cursor = users.list_users(
                    conn,
                    None,
                    role=role,
                    territory_code=territory,
                    active=active,
                    limit=200,
                    cursor=cursor,
                )
                rows += page
                if cursor is None:
                    break
    except WorkflowError as e:
        fail(e)
    if as_json:
        emit(rows)
        return
    typer.echo(f"{'id':>5}  {'name':<30} {'role':<17} {'territory':<16} {'state':<11} expires")
    for r in rows:
        place = (
            f"unit {r['unit_id']}"
            if r["unit_id"] is not None
            else f"commune {r['commune_code']}"
            if r["commune_code"] is not None
            else f"province {r['province_code']}"
        )
        state = "active" if r["active"] else "deactivated"
        expires = f"{r['token_expires_at']:%Y-%m-%d}" if r["token_expires_at"] else "-"
        typer.echo(
            f"{r['id']:>5}  {r['name'][:30]:<30} {r['role']:<17} {place:<16} {state:<11} {expires}"
        )


@user_app.command("deactivate")
def deactivate(user: str = USER_REF) -> None:
    """Deactivate a user: their token is refused from the very next request."""
    user_id = _resolve(user)
    try:
        users.deactivate_user(user_id, by=None, operator=_operator())
    except WorkflowError as e:
        fail(e)
    stderr(f"user {user_id} deactivated")


@user_app.command("reactivate")
def reactivate(user: str = USER_REF) -> None:
    """Reactivate a user; their token works again until it expires."""
    user_id = _resolve(user)
    try:
        users.reactivate_user(user_id, by=None, operator=_operator())
    except WorkflowError as e:
        fail(e)
    stderr(f"user {user_id} reactivated")


@user_app.command("rotate")
def rotate(user: str = USER_REF) -> None:
    """Give a user a new token (printed once on stdout); the old one stops at once."""
    user_id = _resolve(user)
    try:
        record, token = users.rotate_token(user_id, by=None, operator=_operator())
    except WorkflowError as e:
        fail(e)
    stderr(
        f"user {user_id}: new token, valid until {record['token_expires_at']:%Y-%m-%d}; the old "
        "one no longer works. Keep it safe:"
    )
    typer.echo(token)
