"""The pages in real headless Chromium (Debian's `chromium`, driven by Playwright) against
`dossier run`: officials sign in, carry a dossier to recognition with the buttons, read a
refusal's reasons, meet another session's change, switch language, and work at phone width.

`DOSSIER_SCREENSHOTS=docs/screenshots` also saves the main pages there (the README links them).
"""

from __future__ import annotations

import io
import os
import re
import subprocess
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import httpx
import pytest
from openpyxl import load_workbook
from playwright.sync_api import Browser, Page, expect, sync_playwright

from states import examples
from tests.conftest import scratch_database
from tests.serving import BIN, running_server

CHROMIUM = "/usr/bin/chromium"
WARD = 21211
SHOTS = os.environ.get("DOSSIER_SCREENSHOTS")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Iterator[dict]:
    where = tmp_path_factory.mktemp("web")
    with (
        scratch_database("test_web", where) as url,
        running_server(url, where / "log") as (base, env),
    ):

        def user(*args: str) -> str:
            done = subprocess.run(
                [str(BIN / "dossier"), "user", "add", *args],
                env=env,
                capture_output=True,
                text=True,
                check=True,
            )
            return done.stdout.strip()

        tokens = {
            "admin": user(
                "--name", "Quản trị tỉnh", "--role", "province_admin", "--territory", "51"
            ),
            "reviewer": user(
                "--name", "Chị Lan (BCĐ)", "--role", "commune_reviewer", "--territory", str(WARD)
            ),
            "police": user("--name", "Anh Minh (CA)", "--role", "police", "--territory", str(WARD)),
            "ubnd": user("--name", "Ông Hùng (UBND)", "--role", "ubnd", "--territory", str(WARD)),
        }
        yield {
            "base": base,
            "env": env,
            "tokens": tokens,
            "user": user,
            "demo": demo_users((where / "log").read_text()),
        }


def demo_users(log: str) -> list[tuple[str, str, str]]:
    """(role, name, token) of each user `dossier run` printed when it seeded the demo."""
    block = log.split("Sign in", 1)[1].split("Try:", 1)[0]
    found = re.findall(r"^  (\w+)\s+(.+?)\s+(\S{20,})$", block, re.M)
    assert found, log
    return found


def _api(site: dict, token: str, method: str, path: str, **kw) -> dict:
    r = httpx.request(
        method,
        site["base"] + path,
        headers={"Authorization": f"Bearer {token}", **kw.pop("headers", {})},
        **kw,
    )
    assert r.status_code < 300, r.text
    return r.json()


def registered_dossier(site: dict, name: str) -> tuple[int, str]:
    """A unit, its representative's token and its registered dossier, made through the API."""
    unit = _api(
        site,
        site["tokens"]["admin"],
        "POST",
        "/api/v1/units",
        json={"subject_type": "KDC", "commune_code": WARD, "name": name},
    )
    rep = site["user"]("--name", f"Đại diện {name}", "--role", "unit", "--unit", str(unit["id"]))
    year = date.today().year
    d = _api(
        site,
        rep,
        "POST",
        "/api/v1/dossiers",
        json={"unit_id": unit["id"], "year": year, **examples.registration_payload("KDC")},
    )
    return d["id"], rep


def self_scored_dossier(site: dict, name: str) -> int:
    """A unit and its dossier up to the commune's review, made through the API by the unit."""
    dossier_id, rep = registered_dossier(site, name)
    d = _api(site, rep, "GET", f"/api/v1/dossiers/{dossier_id}")
    d = _api(
        site,
        rep,
        "POST",
        f"/api/v1/dossiers/{dossier_id}/events/submit_self_score",
        json=examples.submit_payload("KDC"),
        headers={"If-Match": f'"{d["version"]}"'},
    )
    return d["id"]


def verified_dossier(site: dict, name: str) -> int:
    """A dossier at the UBND's decision, moved there through the API."""
    dossier_id = self_scored_dossier(site, name)
    for role, event in (("reviewer", "commune_approve"), ("police", "police_verify")):
        d = _api(site, site["tokens"][role], "GET", f"/api/v1/dossiers/{dossier_id}")
        _api(
            site,
            site["tokens"][role],
            "POST",
            f"/api/v1/dossiers/{dossier_id}/events/{event}",
            json={},
            headers={"If-Match": f'"{d["version"]}"'},
        )
    return dossier_id


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield b
        b.close()


class Watched:
    """A signed-in page that records every console error and page error (CSP refusals too)."""

    def __init__(self, browser: Browser, site: dict, **context) -> None:
        self.context = browser.new_context(base_url=site["base"], **context)
        self.page: Page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

    def sign_in(self, token: str, next_path: str = "/") -> Page:
        page = self.page
        page.goto(next_path)
        page.wait_for_url(lambda u: "/login" in u)  # no session yet: the sign-in page
        page.get_by_label("Mã truy cập").fill(token)
        page.keyboard.press("Enter")  # the keyboard alone signs in
        page.wait_for_url(lambda u: "/login" not in u)
        return page

    def close(self) -> None:
        assert self.errors == [], self.errors
        self.context.close()


def shot(page: Page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


def fill_self_assessment(page: Page, subject: str) -> None:
    """Tick and type the example self-assessment and papers, as the unit's person would."""
    body = examples.submit_payload(subject)
    form = page.locator('form[data-event="submit_self_score"]')
    for cid, answer in body["assessment"]["answers"].items():
        if "numerator" in answer:
            form.locator(f'input[name="a.{cid}.numerator"]').fill(str(answer["numerator"]))
            form.locator(f'input[name="a.{cid}.denominator"]').fill(str(answer["denominator"]))
        else:
            yes = answer.get("met", answer.get("happened"))
            form.locator(f"#submit_self_score-a-{cid}-{'yes' if yes else 'no'}").check()
    for item, points in (body.get("scores") or {}).items():
        field = form.locator(f'input[name="s.{item}"]')
        if field.count():
            field.fill(str(points))
    for pid, paper in body["papers"].items():
        form.locator(f'input[name="p.{pid}.ref"]').fill(paper["ref"])


def test_a_dossier_goes_to_recognition_through_the_buttons(site, browser):
    dossier_id, rep = registered_dossier(site, "Thôn Hòa Bình")
    unit = Watched(browser, site)
    page = unit.sign_in(rep, f"/dossiers/{dossier_id}")
    fill_self_assessment(page, "KDC")
    shot(page, "self-assessment")
    page.locator('form[data-event="submit_self_score"] button[type="submit"]').click()
    expect(page.get_by_test_id("state")).to_have_text("Đã tự chấm điểm")
    unit.close()

    reviewer = Watched(browser, site)
    page = reviewer.sign_in(site["tokens"]["reviewer"], f"/dossiers/{dossier_id}")
    # Signing in brought the reviewer back to the page asked for.
    assert page.url.endswith(f"/dossiers/{dossier_id}")
    expect(page.get_by_test_id("who")).to_contain_text("Chị Lan (BCĐ)")
    page.goto("/")
    row = page.get_by_role("link", name="Thôn Hòa Bình")
    expect(row).to_be_visible()
    shot(page, "inbox")
    row.click()
    # Not the reviewer's to decide: the reasons are written out, no button.
    expect(page.locator('li[data-event="reject"]')).to_contain_text("ubnd")
    shot(page, "dossier")
    page.get_by_label("Lý do").first.fill("Đủ hồ sơ, đề nghị công an thẩm định")
    page.get_by_role("button", name="Xã duyệt hồ sơ").click()
    expect(page.get_by_test_id("state")).to_have_text("Xã đã xét duyệt")
    expect(page.locator(".timeline")).to_contain_text("Đủ hồ sơ, đề nghị công an thẩm định")
    reviewer.close()

    police = Watched(browser, site)
    page = police.sign_in(site["tokens"]["police"], f"/dossiers/{dossier_id}")
    page.locator('form[data-event="police_verify"] button').click()
    expect(page.get_by_test_id("state")).to_have_text("Công an đã thẩm định")
    police.close()

    ubnd = Watched(browser, site)
    page = ubnd.sign_in(site["tokens"]["ubnd"], f"/dossiers/{dossier_id}")
    form = page.locator('form[data-event="recognise"]')
    form.get_by_label("Số quyết định").fill("15/QĐ-UBND")
    form.get_by_label("Ngày quyết định").fill(date.today().isoformat())
    form.get_by_role("button").click()
    expect(page.get_by_test_id("state")).to_have_text("Được công nhận")
    expect(page.get_by_test_id("chain")).to_have_text("Chuỗi nhật ký toàn vẹn")
    shot(page, "recognised")
    ubnd.close()
    trail = _api(site, site["tokens"]["ubnd"], "GET", f"/api/v1/dossiers/{dossier_id}/audit")
    assert [e["event"] for e in trail] == [
        "register",
        "submit_self_score",
        "commune_approve",
        "police_verify",
        "recognise",
    ]


def test_a_stale_page_says_who_acted_first(site, browser):
    dossier_id = self_scored_dossier(site, "Thôn Tân Lập")
    first, second = Watched(browser, site), Watched(browser, site)
    a = first.sign_in(site["tokens"]["reviewer"], f"/dossiers/{dossier_id}")
    b = second.sign_in(site["tokens"]["reviewer"], f"/dossiers/{dossier_id}")
    a.get_by_role("button", name="Xã duyệt hồ sơ").click()
    expect(a.get_by_test_id("state")).to_have_text("Xã đã xét duyệt")
    b.locator('form[data-event="return_for_revision"] textarea').fill("Thiếu biên bản họp")
    b.locator('form[data-event="return_for_revision"] button').click()
    alert = b.locator(".stale")
    expect(alert).to_contain_text("người khác cập nhật trước bạn")
    expect(alert).to_contain_text("Chị Lan (BCĐ)")
    alert.get_by_role("link").click()
    expect(b.get_by_test_id("state")).to_have_text("Xã đã xét duyệt")
    d = _api(site, site["tokens"]["reviewer"], "GET", f"/api/v1/dossiers/{dossier_id}")
    assert d["state"] == "commune_reviewed"  # the stale send-back changed nothing
    first.close()
    second.close()


def test_a_bad_date_is_named_beside_its_field_and_the_number_is_kept(site, browser):
    dossier_id = verified_dossier(site, "Thôn Phú Thọ")
    ubnd = Watched(browser, site)
    page = ubnd.sign_in(site["tokens"]["ubnd"], f"/dossiers/{dossier_id}")
    form = page.locator('form[data-event="recognise"]')
    form.get_by_label("Số quyết định").fill("16/QĐ-UBND")
    form.get_by_label("Ngày quyết định").fill("2099-01-01")  # a decision cannot be dated ahead
    form.get_by_role("button").click()
    error = page.locator("#recognise-decision_date-error, ul.error")
    expect(error.first).to_be_visible()
    expect(page.locator('form[data-event="recognise"] input[name="decision_no"]')).to_have_value(
        "16/QĐ-UBND"
    )
    ubnd.close()


def test_english_on_request_and_the_inbox_at_phone_width(site, browser):
    phone = Watched(browser, site, viewport={"width": 390, "height": 844})
    page = phone.sign_in(site["tokens"]["reviewer"])
    page.get_by_role("link", name="English").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Awaiting me")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the inbox is {width} px wide on a 390 px phone"
    shot(page, "inbox-phone")
    page.locator("table.list a").first.click()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the dossier page is {width} px wide on a 390 px phone"
    expect(page.get_by_role("heading", level=1)).to_contain_text("Dossier")
    page.get_by_role("link", name="Tiếng Việt").click()  # back in Vietnamese, on the same page
    expect(page.get_by_role("heading", level=1)).to_contain_text("Hồ sơ")
    phone.close()


def test_every_role_of_the_demo_signs_in_and_sees_its_own_pages(site, browser):
    seen = set()
    for role, name, token in site["demo"]:
        if role in seen:
            continue
        seen.add(role)
        person = Watched(browser, site)
        page = person.sign_in(token)
        expect(page.get_by_test_id("who")).to_contain_text(name[:20])
        expect(page.get_by_role("heading", level=1)).to_have_text("Việc chờ tôi xử lý")
        offers_dashboard = page.get_by_role("link", name="Bảng theo dõi").count() > 0
        assert offers_dashboard == (role != "unit"), role
        if role == "province_admin":
            page.get_by_role("link", name="Quản trị").click()
            expect(page.get_by_role("heading", level=1)).to_have_text("Người dùng")
        person.close()
    assert {"unit", "commune_reviewer", "police", "ubnd", "province_admin"} <= seen


def test_a_ubnd_officer_recognises_several_dossiers_with_one_decision(site, browser):
    ids = [verified_dossier(site, f"Thôn Bulk {n}") for n in (1, 2)]
    ubnd = Watched(browser, site)
    page = ubnd.sign_in(site["tokens"]["ubnd"])
    for dossier_id in ids:
        page.locator(f"#pick-{dossier_id}").check()
    page.get_by_role("button", name="Quyết định cho các hồ sơ đã chọn").click()
    form = page.locator('form[data-event="recognise"]')
    form.get_by_label("Số quyết định").fill("20/QĐ-UBND")
    form.get_by_label("Ngày quyết định").fill(date.today().isoformat())
    form.locator('button[type="submit"]').click()
    for dossier_id in ids:
        expect(page.locator(f'li[data-result="{dossier_id}"]')).to_have_class("ok")
    shot(page, "bulk")
    ubnd.close()
    for dossier_id in ids:
        d = _api(site, site["tokens"]["ubnd"], "GET", f"/api/v1/dossiers/{dossier_id}")
        assert (d["state"], d["decision_no"]) == ("recognised", "20/QĐ-UBND")


def test_the_dashboard_downloads_the_report_as_a_workbook(site, browser):
    admin = Watched(browser, site)
    page = admin.sign_in(site["tokens"]["admin"], "/dashboard")
    expect(page.locator("svg.diagram")).to_be_visible()
    shot(page, "dashboard")
    with page.expect_download() as download:
        page.get_by_test_id("xlsx").click()
    path = download.value.path()
    book = load_workbook(io.BytesIO(Path(path).read_bytes()))
    assert book.sheetnames
    admin.close()


def test_an_administrator_creates_a_user_who_signs_in_with_the_token_shown_once(site, browser):
    admin = Watched(browser, site)
    page = admin.sign_in(site["tokens"]["admin"], "/admin/users")
    page.get_by_text("Tạo người dùng").click()
    form = page.locator('form[action="/admin/users"][method="post"]')
    form.get_by_label("Họ tên").fill("Phạm Thu Hà")
    form.get_by_label("Vai trò", exact=True).select_option("police")
    form.get_by_label("Địa bàn (mã tỉnh hoặc xã)").fill(str(WARD))
    form.get_by_role("button", name="Tạo", exact=True).click()
    token = page.get_by_test_id("token").locator("code").inner_text()
    shot(page, "admin-users")
    admin.close()
    newcomer = Watched(browser, site)
    page = newcomer.sign_in(token)
    expect(page.get_by_test_id("who")).to_contain_text("Phạm Thu Hà")
    newcomer.close()


AXE = Path(__file__).parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"


def axe_violations(page: Page) -> list[str]:
    """What axe-core finds against WCAG 2.1 A and AA on the page as it stands."""
    page.add_script_tag(path=str(AXE))
    found = page.evaluate(
        """async () => (await axe.run(document, {runOnly: ["wcag2a", "wcag2aa", "wcag21a",
        "wcag21aa"]})).violations.map(v => `${v.id} (${v.impact}): ` +
        v.nodes.slice(0, 3).map(n => n.target.join(" ")).join(", "))"""
    )
    return list(found)


def test_the_main_pages_meet_wcag_aa_as_axe_checks_them(site, browser):
    dossier_id, rep = registered_dossier(site, "Thôn Kiểm Tra")
    verified = verified_dossier(site, "Thôn Kiểm Tra Hai")
    visits = [
        (rep, f"/dossiers/{dossier_id}"),  # the self-assessment's long form
        (site["tokens"]["reviewer"], "/"),
        (site["tokens"]["ubnd"], f"/dossiers/{verified}"),
        (site["tokens"]["ubnd"], f"/bulk?id={verified}"),
        (site["tokens"]["admin"], "/dashboard"),
        (site["tokens"]["admin"], "/admin/users"),
        (site["tokens"]["admin"], "/admin/units"),
        (site["tokens"]["admin"], "/admin/outbox"),
    ]
    problems = {}
    for token, path in visits:
        # axe is injected as a script of its own: this context lets it past the pages' CSP.
        person = Watched(browser, site, bypass_csp=True)
        page = person.sign_in(token, path)
        found = axe_violations(page)
        if found:
            problems[path] = found
        person.close()
    login = browser.new_page(base_url=site["base"], bypass_csp=True)
    login.goto("/login")
    if found := axe_violations(login):
        problems["/login"] = found
    # The check can fail: an input without a label, on a page of the same browser, is found.
    login.set_content('<html lang="vi"><title>x</title><body><main><input></main></body></html>')
    assert any(v.startswith("label") for v in axe_violations(login))
    login.close()
    assert problems == {}


def test_the_administrators_pages_fit_a_phone(site, browser):
    phone = Watched(browser, site, viewport={"width": 390, "height": 844})
    page = phone.sign_in(site["tokens"]["admin"], "/dashboard")
    for path in ("/dashboard", "/admin/users", "/admin/units", "/admin/outbox"):
        page.goto(path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{path} is {width} px wide on a 390 px phone"
    page.goto("/dashboard")
    shot(page, "dashboard-phone")
    phone.close()


def _tab_to(page: Page, selector: str, limit: int = 300) -> None:
    """Press Tab until the element ``selector`` names has the focus, as a keyboard user would."""
    target = page.locator(selector)
    for _ in range(limit):
        if target.evaluate("el => el === document.activeElement"):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {selector}")


def test_a_reviewer_returns_a_dossier_with_the_keyboard_alone(site, browser):
    dossier_id = self_scored_dossier(site, "Thôn Bàn Phím")
    reviewer = Watched(browser, site)
    page = reviewer.sign_in(site["tokens"]["reviewer"], f"/dossiers/{dossier_id}")
    reason = 'form[data-event="return_for_revision"] textarea'
    _tab_to(page, reason)
    outline = page.locator(reason).evaluate("el => getComputedStyle(el).outlineStyle")
    assert outline != "none", "the focused field shows no outline"
    page.keyboard.type("Thiếu biên bản họp dân")
    _tab_to(page, 'form[data-event="return_for_revision"] button[type="submit"]')
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("state")).to_have_text("Đã đăng ký")
    expect(page.locator(".timeline")).to_contain_text("Thiếu biên bản họp dân")
    reviewer.close()
