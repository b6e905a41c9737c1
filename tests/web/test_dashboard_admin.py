"""The dashboard and the administration pages over HTTP, on the run's database: the same report,
users, units and outbox the API serves, with the same rules behind them."""

from __future__ import annotations

import io
import re

from openpyxl import load_workbook

from states.lifecycle import State
from tests.api.helpers import walk
from tests.web.test_pages import csrf_of, sign_in
from workflow.users import authenticate


def test_the_dashboard_shows_the_provinces_rates_and_hides_communes_without_units(api):
    walk(api, "KDC", State.RECOGNISED)
    admin = api.world.actor("province_admin", "province")
    sign_in(api, admin)
    page = api.client.get("/dashboard")
    assert page.status_code == 200
    html = page.text
    rows = re.findall(r'<tr data-commune="(\d+)">', html)
    # Only the two communes of the test world have units; the province's others are hidden.
    assert sorted(int(r) for r in rows) == sorted([api.world.commune, api.world.other_commune])
    assert "<svg" in html and 'class="bar-rec"' in html and "recognised" in html
    shown = api.client.get("/dashboard?filtered=1").text  # the box unticked: every commune
    assert len(re.findall(r'<tr data-commune="', shown)) > len(rows)


def test_the_dashboards_download_is_the_reports_workbook(api):
    walk(api, "KDC", State.SELF_SCORED)
    sign_in(api, api.world.actor("province_admin", "province"))
    html = api.client.get("/dashboard").text
    href = re.search(r'<a class="button" href="([^"]+)"[^>]*data-testid="xlsx"', html).group(1)
    r = api.client.get(href.replace("&amp;", "&"))
    assert r.status_code == 200
    book = load_workbook(io.BytesIO(r.content))
    assert book.sheetnames  # opened by the tool that reads it


def test_a_communes_reviewer_sees_only_its_commune_and_a_unit_no_dashboard(api):
    sign_in(api, api.world.actor("commune_reviewer"))
    html = api.client.get("/dashboard?filtered=1").text
    assert re.findall(r'<tr data-commune="(\d+)">', html) == [str(api.world.commune)]
    api.client.cookies.clear()
    sign_in(api, api.world.actor("unit", "KDC"))
    r = api.client.get("/dashboard")
    assert r.status_code == 403 and "Báo cáo dành cho cán bộ" in r.text


def test_a_bad_dashboard_filter_is_named_beside_its_field(api):
    sign_in(api, api.world.actor("province_admin", "province"))
    r = api.client.get("/dashboard?filtered=1&year=abc&commune=99999")
    assert r.status_code == 200
    assert 'id="d-year-err"' in r.text and 'id="d-commune-err"' in r.text


def test_an_administrator_creates_a_user_whose_token_is_shown_once_and_works(api):
    sign_in(api, api.world.actor("province_admin", "province"))
    page = api.client.get("/admin/users").text
    r = api.client.post(
        "/admin/users",
        data={
            "csrftoken": csrf_of(page),
            "name": "Trần Thị Bình",
            "role": "police",
            "territory": str(api.world.commune),
            "email": "binh@example.vn",
            "notify_mode": "immediate",
        },
    )
    assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
    token = re.search(r'data-testid="token">.*?<code>([^<]+)</code>', r.text, re.S).group(1)
    assert authenticate(token).name == "Trần Thị Bình"
    again = api.client.get("/admin/users").text
    assert "Trần Thị Bình" in again and token not in again


def test_a_refused_user_keeps_what_was_typed_and_names_the_field(api):
    sign_in(api, api.world.actor("province_admin", "province"))
    page = api.client.get("/admin/users").text
    r = api.client.post(
        "/admin/users",
        data={
            "csrftoken": csrf_of(page),
            "name": "Lê Văn Cường",
            "role": "commune_reviewer",
            "territory": "51",  # a reviewer is bound to a commune
            "email": "not-an-address",
            "notify_mode": "immediate",
        },
    )
    assert r.status_code == 200
    assert 'value="Lê Văn Cường"' in r.text
    assert 'id="u-email-error"' in r.text or 'id="u-territory-error"' in r.text


def test_deactivating_a_user_from_the_list_stops_their_token(api):
    police = api.world.actor("police")
    token = api.token(police)
    sign_in(api, api.world.actor("province_admin", "province"))
    page = api.client.get("/admin/users").text
    r = api.client.post(
        f"/admin/users/{police.id}/deactivate",
        data={"csrftoken": csrf_of(page)},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert authenticate(token) is None
    assert re.search(
        rf'<tr data-user="{police.id}">.*?Đã khóa', api.client.get("/admin/users").text, re.S
    )


def test_an_auditor_reads_users_but_gets_no_buttons_and_a_reviewer_is_refused(api):
    sign_in(api, api.world.actor("auditor", "province"))
    html = api.client.get("/admin/users").text
    assert "data-user=" in html and "/deactivate" not in html
    api.client.cookies.clear()
    sign_in(api, api.world.actor("commune_reviewer"))
    assert api.client.get("/admin/users").status_code == 403


def test_an_administrator_registers_and_renames_a_unit(api):
    sign_in(api, api.world.actor("province_admin", "province"))
    page = api.client.get("/admin/units").text
    r = api.client.post(
        "/admin/units",
        data={
            "csrftoken": csrf_of(page),
            "subject_type": "KDC",
            "commune_code": str(api.world.commune),
            "name": "Thôn Mới",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303
    unit_id = int(r.headers["location"].rsplit("=", 1)[1])
    edit = api.client.get(f"/admin/units/{unit_id}").text
    r = api.client.post(
        f"/admin/units/{unit_id}",
        data={"csrftoken": csrf_of(edit), "name": "Thôn Mới Đông", "kind": "thon"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    listed = api.client.get("/admin/units").text
    assert "Thôn Mới Đông" in listed


def test_a_unit_of_a_kind_not_assessed_is_refused_beside_the_kind(api):
    sign_in(api, api.world.actor("province_admin", "province"))
    page = api.client.get("/admin/units").text
    r = api.client.post(
        "/admin/units",
        data={
            "csrftoken": csrf_of(page),
            "subject_type": "CQ",
            "commune_code": str(api.world.commune),
            "name": "Đồn biên phòng",
            "kind": "armed_forces",
        },
    )
    assert r.status_code == 200
    assert 'id="n-kind-error"' in r.text and "vũ trang" in r.text
    assert 'value="Đồn biên phòng"' in r.text


def test_a_unit_outside_the_territory_is_not_found_on_its_page(api):
    other = api.world.units["other_KDC"]
    sign_in(api, api.world.actor("commune_reviewer"))
    r = api.client.get(f"/admin/units/{other['id']}")
    assert r.status_code == 404 and other["name"] not in r.text


def test_the_outbox_page_lists_undeliverable_messages_for_administrators_only(api):
    walk(api, "KDC", State.SELF_SCORED)  # opens a step: a message to its holders
    sign_in(api, api.world.actor("province_admin", "province"))
    r = api.client.get("/admin/outbox")
    assert r.status_code == 200 and 'data-testid="undeliverable"' in r.text
    assert re.search(r'data-status="pending">\d+<', r.text)
    api.client.cookies.clear()
    sign_in(api, api.world.actor("auditor", "province"))
    assert api.client.get("/admin/outbox").status_code == 403


def test_an_id_out_of_range_in_a_pages_path_is_a_4xx_not_a_500(api):
    sign_in(api, api.world.actor("province_admin", "province"))
    for path in ("/dossiers/99999999999999999999", "/admin/units/99999999999999999999"):
        r = api.client.get(path)
        assert r.status_code == 422, (path, r.status_code)
        assert "dossier_id" in r.text or "unit_id" in r.text


def test_a_cleared_unit_name_is_refused_beside_the_field(api):
    unit = api.world.units["KDC"]
    sign_in(api, api.world.actor("province_admin", "province"))
    edit = api.client.get(f"/admin/units/{unit['id']}").text
    r = api.client.post(
        f"/admin/units/{unit['id']}", data={"csrftoken": csrf_of(edit), "name": "", "kind": "thon"}
    )
    assert r.status_code == 200 and 'id="e-name-error"' in r.text


def test_an_unknown_user_action_is_named_in_a_404(api):
    police = api.world.actor("police")
    sign_in(api, api.world.actor("province_admin", "province"))
    page = api.client.get("/admin/users").text
    r = api.client.post(f"/admin/users/{police.id}/promote", data={"csrftoken": csrf_of(page)})
    assert r.status_code == 404 and "promote" in r.text and "deactivate" in r.text
