"""The unit's self-assessment and the police's verification filled in on the dossier page: the
form builds the payload the API takes, and each refusal stands beside its input."""

from __future__ import annotations

import re

from states import examples
from states.lifecycle import State
from tests.api.helpers import walk
from tests.web.test_pages import action_form, sign_in


def _answers_form(subject: str, **override: str) -> dict[str, str]:
    """What a person ticks and types for the example self-assessment of ``subject``."""
    body = examples.submit_payload(subject)
    form: dict[str, str] = {}
    for cid, answer in body["assessment"]["answers"].items():
        if "met" in answer:
            form[f"a.{cid}"] = "yes" if answer["met"] else "no"
        elif "happened" in answer:
            form[f"a.{cid}"] = "yes" if answer["happened"] else "no"
        else:
            form[f"a.{cid}.numerator"] = str(answer["numerator"])
            form[f"a.{cid}.denominator"] = str(answer["denominator"])
    for item, points in (body.get("scores") or {}).items():
        form[f"s.{item}"] = str(points)
    for pid, paper in body["papers"].items():
        form[f"p.{pid}.ref"] = paper["ref"]
    form.update(override)
    return form


def _submit(api, d, event: str, fields: dict[str, str]):
    page = api.client.get(f"/dossiers/{d['id']}").text
    hidden = action_form(page, event)
    return api.client.post(
        f"/dossiers/{d['id']}/events/{event}", data={**hidden, **fields}, follow_redirects=False
    )


def test_a_unit_submits_its_self_assessment_and_papers_from_the_page(api):
    d = walk(api, "KDC", State.REGISTERED)
    sign_in(api, api.world.unit_actor(api.world.units["KDC"]))
    page = api.client.get(f"/dossiers/{d['id']}").text
    assert 'name="a.NEG-1"' in page and 'name="p.to_trinh.ref"' in page
    assert "needs the score sheet" not in page and "cần phiếu chấm điểm" not in page
    r = _submit(api, d, "submit_self_score", _answers_form("KDC"))
    assert r.status_code == 303, r.text
    after = api.client.get(r.headers["location"]).text
    assert 'data-testid="state">Đã tự chấm điểm<' in after
    assert "Số 01/TO_TRINH" in after  # the papers, from the trail


def test_a_missing_answer_is_named_beside_its_criterion_and_the_rest_is_kept(api):
    d = walk(api, "KDC", State.REGISTERED)
    sign_in(api, api.world.unit_actor(api.world.units["KDC"]))
    fields = _answers_form("KDC", **{"p.bao_cao.ref": "Số 7/BC-UBND"})
    del fields["a.NEG-3"]
    r = _submit(api, d, "submit_self_score", fields)
    assert r.status_code == 200
    assert 'id="submit_self_score-a-NEG-3-error"' in r.text
    assert 'value="Số 7/BC-UBND"' in r.text  # what was typed is still there
    assert re.search(r'id="submit_self_score-a-NEG-1-no"[^>]*value="no"\s+checked', r.text)


def test_a_score_above_its_maximum_is_refused_beside_the_item(api):
    d = walk(api, "DN", State.REGISTERED)
    sign_in(api, api.world.unit_actor(api.world.units["DN"]))
    r = _submit(api, d, "submit_self_score", _answers_form("DN", **{"s.1": "99"}))
    assert r.status_code == 200
    error = re.search(r'id="submit_self_score-s-1-error"[^>]*>([^<]+)<', r.text)
    assert error, "the refusal is not beside item 1"
    assert 'value="99"' in r.text


def test_the_police_verify_with_the_units_answers_and_scores_prefilled(api):
    d = walk(api, "DN", State.COMMUNE_REVIEWED)
    sign_in(api, api.world.actor("police", "province"))
    page = api.client.get(f"/dossiers/{d['id']}").text
    form = re.search(r'<form[^>]+data-event="police_verify".*?</form>', page, re.S).group(0)
    assert re.search(r'name="s.1" [^>]*value="3"', form)  # the unit's own points, to confirm
    fields = dict(re.findall(r'name="(s\.[\w]+)" [^>]*value="([^"]*)"', form))
    for cid, answer in examples.submit_payload("DN")["assessment"]["answers"].items():
        if "met" in answer or "happened" in answer:
            fields[f"a.{cid}"] = "yes" if answer.get("met", answer.get("happened")) else "no"
        else:
            fields[f"a.{cid}.numerator"] = str(answer["numerator"])
            fields[f"a.{cid}.denominator"] = str(answer["denominator"])
    fields["s.7"] = "8"  # the superior takes two points off item 7
    r = _submit(api, d, "police_verify", fields)
    assert r.status_code == 303, r.text
    dossier = api.client.get(
        f"/api/v1/dossiers/{d['id']}", headers=api.auth(api.world.actor("police", "province"))
    ).json()
    assert dossier["state"] == State.POLICE_VERIFIED.value
    assert dossier["verified_scores"]["7"] == 8 and dossier["self_scores"]["7"] == 10
