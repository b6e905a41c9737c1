"""The crash script, short: the real server killed with SIGKILL under eight clients, restarted,
and nothing it acknowledged lost (`dossier bench crash` runs ten cycles or more)."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from api.cli import app
from bench import crash
from tests.conftest import ON_POSTGRES, scratch_database
from workflow.db import make_engine
from workflow.models import Dossier, table_of

DB = "postgres" if ON_POSTGRES else "sqlite"


@pytest.mark.slow
def test_nothing_acknowledged_is_lost_across_kill_9(tmp_path):
    with scratch_database("proofs_crash", tmp_path) as url:
        figures = crash.run(
            db=DB, cycles=2, clients=8, units=300, min_up=1.0, max_up=2.0, database=url
        )
        assert figures["lost"] == 0, figures["lost_examples"]
        assert figures["verify_ok"] and figures["findings"] == [], figures
        assert figures["server_errors"] == {} and figures["refused"] == {}, figures
        assert figures["stale_reads"] == 0 and figures["checkpoints_failed"] == []
        # The kills came while the server was working: changes acknowledged in the lives that
        # ended in a kill, and requests in flight cut off by one.
        assert sum(figures["acknowledged_per_cycle"][:2]) > 0, figures
        assert figures["resent_after_crash"] > 0, figures
        assert figures["heads"] >= 2
        assert not crash.failed(figures)

        # The check itself sees a change the database does not hold.
        engine = make_engine(url)
        with engine.connect() as conn:
            row = conn.execute(select(table_of(Dossier)).limit(1)).one()
        engine.dispose()
        ahead = crash.Ack(row.id, row.version + 1, "recognised", 0)
        behind = crash.Ack(row.id, row.version, "rejected", 0)
        lost = crash._lost(url, [ahead, behind])
        assert [x["acknowledged"] for x in lost] == [
            [row.version + 1, "recognised"],
            [row.version, "rejected"],
        ]


@pytest.mark.parametrize("command", ["crash", "soak"])
def test_a_database_that_is_not_a_url_is_refused_with_the_forms_it_takes(command):
    result = CliRunner().invoke(app, ["bench", command, "--database", "mysql"])
    assert result.exit_code == 2
    assert "is not a database URL" in result.output
