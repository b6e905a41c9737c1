"""`dossier rules publish` and `dossier rules show`."""

from __future__ import annotations

import json

from sqlalchemy import func, select
from typer.testing import CliRunner

from api.cli import app
from tests.factories import PROVINCE, build_world
from workflow.db import read_connection
from workflow.models import RuleSetRow

runner = CliRunner()


def rule_set_rows() -> int:
    with read_connection() as conn:
        return conn.execute(select(func.count()).select_from(RuleSetRow.__table__)).scalar_one()


def show(*args: str) -> dict:
    result = runner.invoke(app, ["rules", "show", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_publish_a_file_then_show_the_version_in_force(engine, tmp_path):
    world = build_world()
    admin = world.actor("province_admin", "province")
    national = show("--year", "2026", "--subject", "CQ")
    assert national["id"] is None and "not stored yet" in national["note"]
    body = national["rules"] | {"province_code": PROVINCE}
    body["policy"]["revocation_enabled"] = True
    kdc = show("--year", "2026", "--subject", "KDC")["rules"] | {"province_code": PROVINCE}
    path = tmp_path / "rules.json"
    path.write_text(json.dumps([body, kdc], ensure_ascii=False), encoding="utf-8")

    result = runner.invoke(app, ["rules", "publish", str(path), "--by", str(admin.id)])
    assert result.exit_code == 0, result.output
    published = json.loads(result.stdout)["published"]
    assert [(p["subject_type"], p["version"], p["published_by"]) for p in published] == [
        ("CQ", 1, admin.id),
        ("KDC", 1, admin.id),
    ]
    result = runner.invoke(app, ["rules", "publish", str(path)])  # the operator, again
    assert [p["version"] for p in json.loads(result.stdout)["published"]] == [2, 2]

    current = show("--province", str(PROVINCE), "--year", "2026", "--subject", "CQ")
    assert current["version"] == 2 and current["rules"]["policy"]["revocation_enabled"] is True
    first = show("--province", str(PROVINCE), "--year", "2026", "--subject", "CQ", "--version", "1")
    assert first["id"] == published[0]["id"] and first["published_by"] == admin.id


def test_publish_lists_every_error_and_stores_nothing(engine, tmp_path):
    build_world()
    good = show("--year", "2026", "--subject", "DN")["rules"] | {"province_code": PROVINCE}
    bad = json.loads(json.dumps(good))
    bad["bands"][1]["min_points"] = 95  # Khá above Xuất sắc
    bad["criteria"].append(dict(bad["criteria"][0]))  # REG-1 twice
    bad["score_table"]["items"][0]["max_points"] = 4  # the maxima add to 101
    path = tmp_path / "bad.json"
    path.write_text(json.dumps([good, bad, {"year": 2026}]), encoding="utf-8")
    before = rule_set_rows()
    result = runner.invoke(app, ["rules", "publish", str(path)])
    assert result.exit_code == 2
    out = result.output
    for fragment in (
        "[1] criteria",
        "'REG-1' is used 2 times",
        "[1] score_table",
        "add up to 101",
        "[1] bands",
        "out of order",
        "[2] subject_type",
    ):
        assert fragment in out, (fragment, out)
    assert "[0]" not in out
    assert rule_set_rows() == before


def test_only_a_province_admin_of_that_province_publishes(engine, tmp_path):
    world = build_world()
    body = show("--year", "2026", "--subject", "KDC")["rules"] | {"province_code": PROVINCE}
    path = tmp_path / "kdc.json"
    path.write_text(json.dumps(body), encoding="utf-8")
    for who in (world.actor("police", "province"), world.actor("province_admin", "other_province")):
        result = runner.invoke(app, ["rules", "publish", str(path), "--by", str(who.id)])
        assert result.exit_code == 2 and (
            "province administrator" in result.output or "you administer province" in result.output
        )
    national = dict(body, province_code=None)
    path.write_text(json.dumps(national), encoding="utf-8")
    admin = world.actor("province_admin", "province")
    result = runner.invoke(app, ["rules", "publish", str(path), "--by", str(admin.id)])
    assert result.exit_code == 2
    assert "national rule set is published by the operator" in result.output


def test_show_refuses_an_unknown_subject_or_version(engine):
    result = runner.invoke(app, ["rules", "show", "--year", "2026", "--subject", "ZZ"])
    assert result.exit_code == 2 and "unknown subject type" in result.output
    result = runner.invoke(
        app,
        [
            "rules",
            "show",
            "--province",
            "51",
            "--year",
            "2026",
            "--subject",
            "KDC",
            "--version",
            "7",
        ],
    )
    assert result.exit_code == 2 and "no version 7" in result.output


def test_publish_refuses_a_file_that_is_not_json(engine, tmp_path):
    path = tmp_path / "x.json"
    path.write_text("{not json", encoding="utf-8")
    result = runner.invoke(app, ["rules", "publish", str(path)])
    assert result.exit_code == 2 and "not valid JSON" in result.output
