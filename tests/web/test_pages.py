"""The web pages over HTTP (FastAPI's TestClient), on the run's database: sign-in, the inbox, the
dossier page and its forms, the same rules as the API behind them."""

from __future__ import annotations

import re

import pytest

from states.lifecycle import Event, State
from tests.api.conftest import ApiWorld
from tests.api.helpers import walk

COOKIE = "dossier_session"


def sign_in(api: ApiWorld, actor, next_path: str = "/") -> None:
    r = api.client.post(
        "/login", data={"token": api.token(actor), "next": next_path}, follow_redirects=False
    )
    assert r.status_code == 303, r.text
    assert r.headers["location"] == next_path


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrftoken" value="([^"]+)"', html)
    assert found, "the page carries no CSRF token"
    return found.group(1)


def action_form(html: str, event: str) -> dict[str, str]:
    """The hidden fields of one action's form, as a browser would send them."""
    form = re.search(rf'<form[^>]+data-event="{event}".*?</form>', html, re.S)
    assert form, f"no form for {event}"
    return dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', form.group(0)))


def test_a_page_without_a_session_sends_the_browser_to_sign_in_and_back(api):
    r = api.client.get("/?tab=territory", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/login?next=%2F%3Ftab%3Dterritory"
    reviewer = api.world.actor("commune_reviewer")
    sign_in(api, reviewer, "/?tab=territory")
    page = api.client.get("/?tab=territory")
    assert page.status_code == 200
    assert reviewer.name in page.text


def test_a_wrong_token_is_refused_beside_the_field_and_sets_no_cookie(api):
    r = api.client.post("/login", data={"token": "nope", "next": "/"}, follow_redirects=False)
    assert r.status_code == 200  # the sign-in page again, with the reason
    assert 'id="token-error"' in r.text and 'aria-invalid="true"' in r.text
    assert COOKIE not in r.headers.get("set-cookie", "")


def test_sign_in_goes_only_to_a_path_on_this_site(api):
    reviewer = api.world.actor("commune_reviewer")
    r = api.client.post(
        "/login",
        data={"token": api.token(reviewer), "next": "//evil.example/x"},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == "/"


def test_the_inbox_lists_what_awaits_me_and_not_what_awaits_others(api):
    waiting = walk(api, "KDC", State.SELF_SCORED)  # the commune reviewer's step
    elsewhere = walk(api, "DN", State.REGISTERED)  # the unit's own step
    sign_in(api, api.world.actor("commune_reviewer"))
    inbox = api.client.get("/").text
    assert f'href="/dossiers/{waiting["id"]}"' in inbox
    assert f'href="/dossiers/{elsewhere["id"]}"' not in inbox
    assert "Thôn An Phú" in inbox and "Đã tự chấm điểm" in inbox


def test_the_territory_tab_and_filters_narrow_the_list(api):
    kdc = walk(api, "KDC", State.SELF_SCORED)
    cq = walk(api, "CQ_commune", State.REGISTERED)
    sign_in(api, api.world.actor("commune_reviewer"))
    everything = api.client.get("/?tab=territory").text
    assert f'/dossiers/{kdc["id"]}"' in everything and f'/dossiers/{cq["id"]}"' in everything
    only_kdc = api.client.get("/?tab=territory&subject_type=KDC&state=&year=").text
    assert f'/dossiers/{kdc["id"]}"' in only_kdc and f'/dossiers/{cq["id"]}"' not in only_kdc


def test_a_bad_filter_is_named_beside_its_field_and_the_rest_still_applies(api):
    kdc = walk(api, "KDC", State.SELF_SCORED)
    sign_in(api, api.world.actor("commune_reviewer"))
    r = api.client.get("/?tab=territory&year=abc&subject_type=KDC")
    assert r.status_code == 200
    assert 'id="f-year-error"' in r.text and f'/dossiers/{kdc["id"]}"' in r.text


def test_a_forged_cursor_is_refused_on_the_page_not_with_a_500(api):
    sign_in(api, api.world.actor("commune_reviewer"))
    r = api.client.get("/?cursor=%%%%")
    assert r.status_code == 200
    assert "Trang không hợp lệ" in r.text


def test_the_dossier_page_offers_what_i_may_do_and_says_why_not_for_the_rest(api):
    d = walk(api, "KDC", State.SELF_SCORED)
    sign_in(api, api.world.actor("commune_reviewer"))
    page = api.client.get(f"/dossiers/{d['id']}").text
    assert 'data-event="commune_approve"' in page and 'data-event="return_for_revision"' in page
    # Recognition is not the reviewer's: refused with the reason, not offered as a button.
    assert f'action="/dossiers/{d["id"]}/events/recognise"' not in page
    assert re.search(r'<li data-event="reject"><strong>[^<]+</strong>: <ul><li>[^<]+ubnd', page)
    assert "Chuỗi nhật ký toàn vẹn" in page


def test_a_reviewer_approves_through_the_form_and_the_trail_shows_it(api):
    d = walk(api, "KDC", State.SELF_SCORED)
    reviewer = api.world.actor("commune_reviewer")
    sign_in(api, reviewer)
    page = api.client.get(f"/dossiers/{d['id']}").text
    fields = action_form(page, "commune_approve")
    assert fields["version"] == str(d["version"])
    r = api.client.post(
        f"/dossiers/{d['id']}/events/commune_approve",
        data={**fields, "reason": "Đủ hồ sơ"},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    after = api.client.get(r.headers["location"]).text
    assert "Xã duyệt hồ sơ" in after and "Đủ hồ sơ" in after
    api_view = api.client.get(f"/api/v1/dossiers/{d['id']}", headers=api.auth(reviewer)).json()
    assert api_view["state"] == State.COMMUNE_REVIEWED.value
    assert api_view["version"] == d["version"] + 1


def test_a_double_submit_changes_nothing_twice(api):
    d = walk(api, "KDC", State.SELF_SCORED)
    reviewer = api.world.actor("commune_reviewer")
    sign_in(api, reviewer)
    fields = action_form(api.client.get(f"/dossiers/{d['id']}").text, "commune_approve")
    for _ in range(2):
        r = api.client.post(
            f"/dossiers/{d['id']}/events/commune_approve", data=fields, follow_redirects=False
        )
        assert r.status_code == 303, r.text
    trail = api.client.get(f"/api/v1/dossiers/{d['id']}/audit", headers=api.auth(reviewer)).json()
    assert [e["event"] for e in trail].count(Event.COMMUNE_APPROVE.value) == 1


def test_a_stale_page_says_who_acted_first_and_offers_a_reload(api):
    d = walk(api, "KDC", State.SELF_SCORED)
    reviewer = api.world.actor("commune_reviewer")
    sign_in(api, reviewer)
    page = api.client.get(f"/dossiers/{d['id']}").text
    approve, send_back = (
        action_form(page, "commune_approve"),
        action_form(page, "return_for_revision"),
    )
    assert (
        api.client.post(
            f"/dossiers/{d['id']}/events/commune_approve", data=approve, follow_redirects=False
        ).status_code
        == 303
    )
    r = api.client.post(
        f"/dossiers/{d['id']}/events/return_for_revision",
        data={**send_back, "reason": "Thiếu biên bản"},
    )
    assert r.status_code == 200 and 'class="stale"' in r.text
    assert "người khác cập nhật trước bạn" in r.text and reviewer.name in r.text
    assert f'href="/dossiers/{d["id"]}">' in r.text  # the reload link


def test_a_missing_reason_is_shown_beside_the_field_and_what_was_typed_is_kept(api):
    d = walk(api, "KDC", State.POLICE_VERIFIED)
    ubnd = api.world.actor("ubnd")
    sign_in(api, ubnd)
    page = api.client.get(f"/dossiers/{d['id']}").text
    fields = action_form(page, "recognise")
    r = api.client.post(
        f"/dossiers/{d['id']}/events/recognise",
        data={**fields, "decision_no": "12/QĐ-UBND", "decision_date": "not a date"},
    )
    assert r.status_code == 200
    assert 'id="recognise-decision_date-error"' in r.text
    assert "Ngày không hợp lệ" in r.text
    assert 'value="12/QĐ-UBND"' in r.text  # nothing typed is lost


def test_someone_outside_the_territory_gets_the_page_of_a_dossier_that_does_not_exist(api):
    d = walk(api, "KDC", State.SELF_SCORED)
    outsider = api.world.actor("commune_reviewer", "other")
    sign_in(api, outsider)
    seen = api.client.get(f"/dossiers/{d['id']}")
    missing = api.client.get("/dossiers/999999")
    assert seen.status_code == missing.status_code == 404
    assert "Thôn An Phú" not in seen.text and "Đã tự chấm điểm" not in seen.text
    fired = api.client.post(
        f"/dossiers/{d['id']}/events/commune_approve",
        data={"csrftoken": csrf_of(missing.text), "version": "99"},
    )
    assert fired.status_code == 404 and "Đã tự chấm điểm" not in fired.text


def test_a_form_post_without_the_csrf_token_is_refused(api):
    d = walk(api, "KDC", State.SELF_SCORED)
    sign_in(api, api.world.actor("commune_reviewer"))
    r = api.client.post(f"/dossiers/{d['id']}/events/commune_approve", data={"version": "2"})
    assert r.status_code == 403


def test_pages_forbid_inline_scripts_and_speak_english_on_request(api):
    sign_in(api, api.world.actor("commune_reviewer"))
    r = api.client.get("/")
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "<script>" not in r.text and "Việc chờ tôi xử lý" in r.text
    api.client.get("/lang/en?next=/")
    assert "Awaiting me" in api.client.get("/").text


def test_sign_out_ends_the_session(api):
    sign_in(api, api.world.actor("commune_reviewer"))
    page = api.client.get("/").text
    r = api.client.post("/logout", data={"csrftoken": csrf_of(page)}, follow_redirects=False)
    assert r.status_code == 303
    assert api.client.get("/", follow_redirects=False).status_code == 303


@pytest.mark.parametrize("path", ["/static/htmx-2.0.11.min.js", "/static/style.css"])
def test_the_vendored_files_are_served(api, path):
    r = api.client.get(path)
    assert r.status_code == 200 and len(r.content) > 1000


def test_the_dossier_page_puts_the_assessment_side_by_side_with_the_papers(api):
    d = walk(api, "KDC", State.SELF_SCORED)
    sign_in(api, api.world.actor("commune_reviewer"))
    page = api.client.get(f"/dossiers/{d['id']}").text
    assert 'id="assessment-h"' in page
    for criterion in d["assessment"]["answers"]:
        assert f"<td>{criterion} · " in page
    assert "Đạt / met" in page
    for paper in (d["assessment"].get("papers") or {}).values():
        assert paper["name"] in page


def test_the_clocks_unread_notices_stand_above_the_inbox_until_read(api):
    from scheduler.delivery import deliver

    d = walk(api, "KDC", State.SELF_SCORED)  # "a new dossier waits for you" to the reviewer
    deliver(senders=[])
    sign_in(api, api.world.actor("commune_reviewer"))
    inbox = api.client.get("/").text
    notice = re.search(r'<li data-notice="(\d+)">.*?</li>', inbox, re.S)
    assert notice, "no notice on the inbox"
    assert "Hồ sơ mới chờ xử lý" in notice.group(0)
    assert f'href="/dossiers/{d["id"]}"' in notice.group(0)
    r = api.client.post(
        f"/notices/{notice.group(1)}/read",
        data={"csrftoken": csrf_of(inbox)},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert f'data-notice="{notice.group(1)}"' not in api.client.get("/").text


def as_form(pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for key, value in pairs:
        out.setdefault(key, []).append(value)
    return out


def _bulk_form(html: str, event: str) -> list[tuple[str, str]]:
    form = re.search(rf'<form[^>]+data-event="{event}".*?</form>', html, re.S)
    assert form, f"no bulk form for {event}"
    fields = re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', form.group(0))
    picked = re.findall(r'name="id" value="(\d+)" checked', form.group(0))
    return fields + [("id", i) for i in picked]


def test_one_decision_recognises_several_dossiers_and_reports_each(api):
    first = walk(api, "KDC", State.POLICE_VERIFIED)
    second = walk(api, "CQ_commune", State.POLICE_VERIFIED)
    ubnd = api.world.actor("ubnd")
    sign_in(api, ubnd)
    inbox = api.client.get("/").text
    assert f'name="id" value="{first["id"]}"' in inbox  # UBND may pick from the inbox
    page = api.client.get(f"/bulk?id={first['id']}&id={second['id']}").text
    fields = _bulk_form(page, "recognise")
    # A stale version for the second: it must be refused alone, the first still recognised.
    fields = [(k, "1" if k == f"version_{second['id']}" else v) for k, v in fields]
    today = __import__("datetime").date.today().isoformat()
    r = api.client.post(
        "/bulk/recognise",
        data=as_form([*fields, ("decision_no", "20/QĐ-UBND"), ("decision_date", today)]),
    )
    assert r.status_code == 200
    done = re.search(rf'<li data-result="{first["id"]}" class="ok">', r.text)
    refused = re.search(rf'<li data-result="{second["id"]}" class="error">.*?</li>', r.text, re.S)
    assert done and refused and "phiên bản" in refused.group(0).lower()
    # The refused one stays selected, the done one leaves the selection.
    assert f'name="id" value="{second["id"]}" checked' in r.text
    assert f'name="id" value="{first["id"]}" checked' not in r.text
    one = api.client.get(f"/api/v1/dossiers/{first['id']}", headers=api.auth(ubnd)).json()
    two = api.client.get(f"/api/v1/dossiers/{second['id']}", headers=api.auth(ubnd)).json()
    assert one["state"] == "recognised" and one["decision_no"] == "20/QĐ-UBND"
    assert two["state"] == "police_verified"


def test_bulk_offers_only_what_applies_to_every_dossier_selected(api):
    verified = walk(api, "KDC", State.POLICE_VERIFIED)
    earlier = walk(api, "CQ_commune", State.SELF_SCORED)
    sign_in(api, api.world.actor("ubnd"))
    both = api.client.get(f"/bulk?id={verified['id']}&id={earlier['id']}").text
    # Only UBND's rejection applies to both; recognition only to the verified one.
    assert 'data-event="recognise"' not in both and 'data-event="reject"' in both
    alone = api.client.get(f"/bulk?id={verified['id']}").text
    assert 'data-event="recognise"' in alone


def test_bulk_without_a_decision_number_names_the_field_and_fires_nothing(api):
    d = walk(api, "KDC", State.POLICE_VERIFIED)
    ubnd = api.world.actor("ubnd")
    sign_in(api, ubnd)
    fields = _bulk_form(api.client.get(f"/bulk?id={d['id']}").text, "recognise")
    r = api.client.post("/bulk/recognise", data=as_form([*fields, ("decision_date", "2026-01-05")]))
    assert 'id="bulk-recognise-decision_no-error"' in r.text
    assert 'value="2026-01-05"' in r.text
    after = api.client.get(f"/api/v1/dossiers/{d['id']}", headers=api.auth(ubnd)).json()
    assert after["version"] == d["version"]


def test_bulk_shows_nothing_of_dossiers_outside_the_territory(api):
    d = walk(api, "KDC", State.POLICE_VERIFIED)
    sign_in(api, api.world.actor("ubnd", "other"))
    page = api.client.get(f"/bulk?id={d['id']}").text
    assert "Thôn An Phú" not in page and f'value="{d["id"]}"' not in page


def test_a_session_that_ended_mid_form_signs_in_again_and_refills_the_form(api):
    d = walk(api, "KDC", State.SELF_SCORED)
    reviewer = api.world.actor("commune_reviewer")
    sign_in(api, reviewer)
    page = api.client.get(f"/dossiers/{d['id']}").text
    fields = action_form(page, "return_for_revision")
    api.client.cookies.delete(COOKIE)  # the session is gone (expired, or signed out elsewhere)
    r = api.client.post(
        f"/dossiers/{d['id']}/events/return_for_revision",
        data={**fields, "reason": "Bổ sung biên bản họp dân"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert r.headers["location"] == f"/login?next=%2Fdossiers%2F{d['id']}"
    sign_in(api, reviewer, f"/dossiers/{d['id']}")
    back = api.client.get(f"/dossiers/{d['id']}").text
    assert 'data-testid="restored"' in back
    assert ">Bổ sung biên bản họp dân</textarea>" in back
    # Read once: the next visit starts clean.
    assert "Bổ sung biên bản họp dân" not in api.client.get(f"/dossiers/{d['id']}").text


def test_the_archive_tab_lists_what_i_acted_on_newest_first(api):
    reviewer = api.world.actor("commune_reviewer")
    first = walk(api, "KDC", State.COMMUNE_REVIEWED)  # the reviewer approved it
    second = walk(api, "CQ_commune", State.COMMUNE_REVIEWED)
    untouched = walk(api, "DN", State.SELF_SCORED)  # nobody of the commune acted yet
    sign_in(api, reviewer)
    archive = api.client.get("/?tab=archive").text
    found = re.findall(r'href="/dossiers/(\d+)"', archive)
    assert found.index(str(second["id"])) < found.index(str(first["id"]))
    assert str(untouched["id"]) not in found
    r = api.client.get("/api/v1/dossiers?acted_by_me=true", headers=api.auth(reviewer))
    assert [d["id"] for d in r.json()["items"]][:2] == [second["id"], first["id"]]


def test_the_dossier_page_names_who_holds_its_step(api):
    d = walk(api, "KDC", State.SELF_SCORED)  # the commune reviewer's step
    sign_in(api, api.world.actor("commune_reviewer"))
    page = api.client.get(f"/dossiers/{d['id']}").text
    held = re.search(r'data-testid="holders">(.*?)</dd>', page, re.S).group(1)
    assert api.world.actor("commune_reviewer").name in held
    assert api.world.actor("commune_reviewer", "other").name not in held


def test_bulk_with_a_tampered_version_refuses_that_dossier_not_the_page(api):
    d = walk(api, "KDC", State.POLICE_VERIFIED)
    ubnd = api.world.actor("ubnd")
    sign_in(api, ubnd)
    fields = _bulk_form(api.client.get(f"/bulk?id={d['id']}").text, "recognise")
    fields = [(k, "abc" if k.startswith("version_") else v) for k, v in fields]
    r = api.client.post(
        "/bulk/recognise",
        data=as_form([*fields, ("decision_no", "21/QĐ-UBND"), ("decision_date", "2026-01-05")]),
    )
    assert r.status_code == 200
    assert re.search(rf'<li data-result="{d["id"]}" class="error">', r.text)
    after = api.client.get(f"/api/v1/dossiers/{d['id']}", headers=api.auth(ubnd)).json()
    assert after["version"] == d["version"]
