"""PostgreSQL least privilege: the tables' owner migrates, the server's role (granted by
`dossier db upgrade --grant ROLE`) runs the whole product and cannot touch the schema, the
triggers or the evidence. The refusals are PostgreSQL's own (SQLSTATE 42501)."""

from __future__ import annotations

import os
import secrets

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

from api.cli import app
from states.lifecycle import Event, State
from tests.api.conftest import ApiWorld
from tests.api.helpers import fire, register, walk
from tests.conftest import DATABASE_URL, ON_POSTGRES
from workflow import db, grants

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(not ON_POSTGRES, reason="roles and grants are PostgreSQL's"),
]
runner = CliRunner()
INSUFFICIENT_PRIVILEGE = "42501"


def _as(role: str) -> str:
    return make_url(DATABASE_URL).set(username=role).render_as_string(hide_password=False)


@pytest.fixture
def new_role(engine):
    """A login role of this test's own (cluster-wide, hence the pid), dropped afterwards."""
    made: list[str] = []

    def create(options: str = "LOGIN") -> str:
        role = f"ops_server_{os.getpid()}_{secrets.token_hex(3)}"
        with engine.begin() as conn:
            conn.exec_driver_sql(f'CREATE ROLE "{role}" {options}')
        made.append(role)
        return role

    yield create
    for role in made:
        with engine.begin() as conn:
            conn.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = :r"),
                {"r": role},
            )
            conn.exec_driver_sql(f'DROP OWNED BY "{role}"')  # its grants in this database
            conn.exec_driver_sql(f'DROP ROLE "{role}"')


@pytest.fixture
def server_role(engine, new_role):
    """The process runs as the role `dossier db upgrade --grant` set up (the test's tables
    are already migrated by the owner, so the upgrade itself is a no-op)."""
    role = new_role()
    result = runner.invoke(app, ["db", "upgrade", "--database", DATABASE_URL, "--grant", role])
    assert result.exit_code == 0, result.output
    server = db.make_engine(_as(role))
    db.set_engine(server)
    yield role, server
    db.set_engine(engine)
    server.dispose()


def test_the_server_role_runs_the_whole_product(server_role, api: ApiWorld, audit_signing):
    role, server = server_role
    with server.connect() as conn:
        assert conn.execute(text("SELECT current_user")).scalar_one() == role
    # Over HTTP as the server's role: registration to recognition, and a refusal.
    recognised = walk(api, "KDC", State.RECOGNISED)
    assert recognised["state"] == "recognised"
    rep = api.world.actor("unit", "CQ")
    d = register(api, api.world.units["CQ"], rep)
    keyed = fire(api, d, Event.SUBMIT_SELF_SCORE, rep, None, **{"Idempotency-Key": "k-1"})
    again = fire(api, d, Event.SUBMIT_SELF_SCORE, rep, None, **{"Idempotency-Key": "k-1"})
    assert keyed.status_code == again.status_code == 200
    assert again.headers["Idempotent-Replayed"] == "true"
    # A user created and deactivated: app_user and its append-only trail.
    admin = api.auth(api.world.actor("province_admin", "province"))
    body = {"name": "Nguyễn Văn An", "role": "police", "territory": str(api.world.commune)}
    created = api.client.post("/api/v1/users", json=body, headers=admin)
    assert created.status_code == 201, created.text
    user_id = created.json()["id"]
    gone = api.client.post(f"/api/v1/users/{user_id}/deactivate", headers=admin)
    assert gone.status_code == 200, gone.text
    # The clock's jobs too: sweep, delivery, digest, purge, the signed tree head.
    from scheduler import runner as clock

    for job in (
        clock._sweep_job,
        clock._delivery_job,
        clock._digest_job,
        clock._purge_job,
        clock._checkpoint_job,
    ):
        job()
    assert list(audit_signing.glob("*.json")), "the checkpoint wrote no tree head"
    verified = runner.invoke(app, ["audit", "verify"])
    assert verified.exit_code == 0, verified.output


REFUSED = [
    "ALTER TABLE dossier ADD COLUMN sneaky integer",
    "ALTER TABLE audit_event DISABLE TRIGGER audit_event_no_update_delete",
    "ALTER TABLE audit_event DISABLE TRIGGER ALL",
    "SET session_replication_role = replica",
    "SET LOCAL session_replication_role = replica",
    "TRUNCATE audit_event",
    "TRUNCATE dossier",
    "UPDATE audit_event SET actor_name = 'someone else'",
    "DELETE FROM audit_event",
    "UPDATE user_event SET prev_hash = ''",
    "DELETE FROM user_event",
    "DELETE FROM audit_leaf",
    "UPDATE merkle_node SET hash = ''",
    "DELETE FROM merkle_node",
    "DROP TABLE audit_event",
    "DROP TRIGGER audit_event_no_update_delete ON audit_event",
    "CREATE TABLE shadow (id integer)",
    "CREATE FUNCTION shadow() RETURNS integer AS 'SELECT 1' LANGUAGE sql",
    "SELECT setval(pg_get_serial_sequence('audit_event', 'id'), 1)",
    "SELECT setval(pg_get_serial_sequence('dossier', 'id'), 1)",
    "ALTER SEQUENCE dossier_id_seq RESTART",
    "UPDATE alembic_version SET version_num = 'x'",
    "INSERT INTO alembic_version VALUES ('x')",
    "CREATE INDEX shadow_ix ON dossier (state)",
    "ALTER TABLE dossier OWNER TO CURRENT_USER",
    "SET ROLE postgres",
]


@pytest.mark.parametrize("statement", REFUSED)
def test_the_server_role_cannot(server_role, statement):
    _, server = server_role
    with pytest.raises(DBAPIError) as refused, server.begin() as conn:
        conn.exec_driver_sql(statement)
    sqlstate = getattr(refused.value.orig, "sqlstate", None)
    assert sqlstate == INSUFFICIENT_PRIVILEGE, f"{statement}: {refused.value}"


def test_rows_and_sequences_are_what_it_may_use(server_role):
    """nextval (every insert) but not setval; SELECT on the bookkeeping, not writes."""
    _, server = server_role
    with server.begin() as conn:
        assert conn.execute(text("SELECT nextval('dossier_id_seq')")).scalar_one() >= 1
        assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar_one() == 1


def test_granting_again_changes_nothing_and_takes_back_extras(engine, server_role):
    role, _ = server_role

    def held() -> set[tuple[str, str]]:
        with engine.connect() as conn:
            return set(
                conn.execute(
                    text(
                        "SELECT table_name, privilege_type FROM information_schema."
                        "role_table_grants WHERE grantee = :r"
                    ),
                    {"r": role},
                ).all()
            )

    first = held()
    assert ("audit_event", "INSERT") in first and ("audit_event", "UPDATE") not in first
    assert ("dossier", "UPDATE") in first and ("dossier", "TRUNCATE") not in first
    assert not {p for _, p in first} & {"TRUNCATE", "REFERENCES", "TRIGGER"}
    with engine.begin() as conn:  # someone widened it by hand
        conn.exec_driver_sql(f'GRANT ALL ON audit_event, dossier TO "{role}"')
    assert held() > first
    again = runner.invoke(app, ["db", "upgrade", "--database", DATABASE_URL, "--grant", role])
    assert again.exit_code == 0, again.output
    assert held() == first


@pytest.mark.parametrize(
    "options,why",
    [("LOGIN SUPERUSER", "superuser"), ("LOGIN CREATEROLE", "CREATEROLE")],
)
def test_a_role_that_could_undo_it_is_refused(engine, new_role, options, why):
    role = new_role(options)
    result = runner.invoke(app, ["db", "upgrade", "--database", DATABASE_URL, "--grant", role])
    assert result.exit_code == 2
    assert why in result.output and role in result.output


def test_a_member_of_the_owner_is_refused(engine, new_role):
    role = new_role()
    owner = make_url(DATABASE_URL).username or "postgres"
    with engine.begin() as conn:
        conn.exec_driver_sql(f'GRANT "{owner}" TO "{role}"')
    result = runner.invoke(app, ["db", "upgrade", "--database", DATABASE_URL, "--grant", role])
    assert result.exit_code == 2 and "owner" in result.output


def test_an_unknown_role_is_refused_before_anything_changes(engine):
    result = runner.invoke(
        app, ["db", "upgrade", "--database", DATABASE_URL, "--grant", "ops_nobody_here"]
    )
    assert result.exit_code == 2
    assert "does not exist" in result.output and "CREATE ROLE" in result.output
    assert grants.privileges_for("audit_event") == ("SELECT", "INSERT")


@pytest.mark.parametrize(
    "widen,named",
    [
        ("GRANT pg_write_all_data TO {role}", "UPDATE on public.audit_event"),
        ("GRANT TRUNCATE ON audit_event TO PUBLIC", "TRUNCATE on public.audit_event"),
        ("GRANT CREATE ON SCHEMA public TO PUBLIC", "CREATE on schema public"),
        ("GRANT UPDATE ON SEQUENCE dossier_id_seq TO PUBLIC", "setval) on public.dossier_id_seq"),
    ],
)
def test_rights_that_reach_the_role_another_way_are_refused(engine, new_role, widen, named):
    """GRANT only adds: a right from PUBLIC or a predefined role would survive the grant, so the
    grant reads the role's effective rights and refuses, changing nothing, until it is revoked."""
    role = new_role()
    with engine.begin() as conn:
        conn.exec_driver_sql(widen.format(role=f'"{role}"'))
    try:
        result = runner.invoke(app, ["db", "upgrade", "--database", DATABASE_URL, "--grant", role])
        assert result.exit_code == 2
        assert named in result.output and "revoke" in result.output
        with engine.connect() as conn:  # rolled back: nothing of the grant stayed
            assert not conn.execute(
                text("SELECT has_table_privilege(:r, 'public.dossier', 'SELECT')"), {"r": role}
            ).scalar_one()
    finally:
        with engine.begin() as conn:
            conn.exec_driver_sql(
                widen.format(role=f'"{role}"').replace("GRANT", "REVOKE").replace(" TO ", " FROM ")
            )
