"""Correcting a unit's name or kind over the API: the rule of registration, one answer for a
unit outside the territory and a missing one."""

from __future__ import annotations


def test_a_reviewer_renames_a_unit_of_its_commune(api):
    unit = api.world.units["KDC"]
    r = api.client.patch(
        f"/api/v1/units/{unit['id']}",
        json={"name": "Thôn An Phú Đông"},
        headers=api.auth(api.world.actor("commune_reviewer")),
    )
    assert r.status_code == 200, r.text
    assert r.json()["name"] == "Thôn An Phú Đông" and r.json()["kind"] == unit["kind"]


def test_a_unit_outside_the_territory_answers_as_a_missing_one(api):
    other = api.world.units["other_KDC"]
    headers = api.auth(api.world.actor("commune_reviewer"))
    foreign = api.client.patch(f"/api/v1/units/{other['id']}", json={"name": "x"}, headers=headers)
    missing = api.client.patch("/api/v1/units/999999", json={"name": "x"}, headers=headers)
    assert foreign.status_code == missing.status_code == 404
    assert other["name"] not in foreign.text


def test_a_kind_the_subject_does_not_admit_is_refused_with_the_reason(api):
    unit = api.world.units["CQ_commune"]
    r = api.client.patch(
        f"/api/v1/units/{unit['id']}",
        json={"kind": "armed_forces"},
        headers=api.auth(api.world.actor("province_admin", "province")),
    )
    assert r.status_code == 422 and "armed-forces" in r.json()["detail"]


def test_a_province_managed_unit_is_corrected_by_the_province_not_the_commune(api):
    unit = api.world.units["DN"]
    r = api.client.patch(
        f"/api/v1/units/{unit['id']}",
        json={"name": "Công ty Dung Quất mới"},
        headers=api.auth(api.world.actor("commune_reviewer")),
    )
    assert r.status_code == 403
