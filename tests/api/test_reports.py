"""Reports: counts, rates against the targets, overdue steps, territory scope; JSON and XLSX."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlalchemy import update

from states import territory
from states.lifecycle import Event, State
from states.targets import meets, target_for
from tests.api.helpers import fire, walk
from tests.factories import PROVINCE
from workflow.db import write_transaction
from workflow.models import Dossier


def _set(dossier_id: int, **values) -> None:
    with write_transaction() as conn:
        conn.execute(
            update(Dossier.__table__).where(Dossier.__table__.c.id == dossier_id).values(**values)
        )


@pytest.fixture
def year_of_work(api):
    w = api.world
    walk(api, "KDC", State.RECOGNISED)
    walk(api, "CQ", State.REJECTED)
    late = walk(api, "CQ_commune", State.SELF_SCORED)
    dn = walk(api, "DN", State.REGISTERED)
    assert fire(api, dn, Event.WITHDRAW, w.actor("unit", "DN"), {}).status_code == 200
    on_time = walk(api, "other_KDC", State.REGISTERED)
    now = datetime.now(UTC)
    _set(late["id"], due_at=now - timedelta(days=2), escalation_level=1)
    _set(on_time["id"], due_at=now + timedelta(days=10), escalation_level=0)
    return api


def _report(api, actor, **params):
    return api.client.get(
        "/api/v1/reports/summary", params={"year": 2026, **params}, headers=api.auth(actor)
    )


def test_the_province_report_counts_rates_and_overdue_steps(year_of_work):
    api = year_of_work
    w = api.world
    r = _report(api, w.actor("auditor", "province"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["scope"]["province_code"] == PROVINCE and body["targets"] == {
        "registration_pct": 100,
        "recognition_pct": 80,
    }
    total = body["total"]
    assert (total["units"], total["registered"], total["recognised"]) == (7, 4, 1)
    assert total["by_state"]["withdrawn"] == 1 and total["by_state"]["rejected"] == 1
    assert total["registration_rate"] == round(4 / 7, 4) and total["recognition_rate"] == 0.25
    assert (
        total["meets_registration_target"] is False and total["meets_recognition_target"] is False
    )
    assert (total["overdue"], total["escalated"]) == (1, 1)
    kdc = body["by_subject_type"]["KDC"]
    assert (kdc["units"], kdc["registered"], kdc["recognised"]) == (2, 2, 1)
    assert body["by_subject_type"]["CSGD"]["registration_rate"] == 0.0
    communes = {c["commune_code"]: c for c in body["communes"]}
    assert len(communes) == len(territory.communes_of(PROVINCE))
    own = communes[w.commune]
    assert own["commune_name"] == territory.commune(w.commune).name
    assert own["by_subject_type"]["KDC"]["meets_recognition_target"] is True
    assert own["total"]["overdue"] == 1 and communes[w.other_commune]["total"]["overdue"] == 0
    assert communes[w.other_commune]["total"]["registered"] == 1
    assert body["labels"]["states"]["recognised"]["vi"] == "Được công nhận"


def test_a_commune_sees_its_commune_only(year_of_work):
    api = year_of_work
    w = api.world
    body = _report(api, w.actor("commune_reviewer")).json()
    assert [c["commune_code"] for c in body["communes"]] == [w.commune]
    assert body["total"]["units"] == 6 and body["scope"]["commune_code"] == w.commune
    assert _report(api, w.actor("commune_reviewer"), commune=w.other_commune).status_code == 403
    assert (
        _report(api, w.actor("commune_reviewer", "other_province"), province=PROVINCE).status_code
        == 403
    )
    assert (
        _report(api, w.actor("auditor", "province"), commune=w.other_commune).json()["total"][
            "registered"
        ]
        == 1
    )


def test_refusals_are_problems(api):
    w = api.world
    assert _report(api, w.actor("unit", "KDC")).status_code == 403
    assert _report(api, w.actor("auditor", "other_province"), province=PROVINCE).status_code == 403
    r = _report(api, w.actor("auditor", "province"), commune=99999)
    assert r.status_code == 422 and "99999" in r.json()["detail"]


def test_tay_ninh_counts_against_ninety_percent(api):
    assert territory.province(80).name == "Tây Ninh"
    assert target_for(80).recognition_pct == 90 and target_for(PROVINCE).recognition_pct == 80
    assert meets(9, 10, 90) is True and meets(89, 100, 90) is False and meets(0, 0, 90) is None
    # 18 of 20 is exactly 90%: met; float rounding must not decide it.
    assert meets(18, 20, 90) is True and meets(4, 5, 80) is True and meets(79, 99, 80) is False


def test_the_workbook_opens_with_the_same_figures(year_of_work):
    api = year_of_work
    r = _report(api, api.world.actor("auditor", "province"), format="xlsx")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in r.headers["content-disposition"]
    wb = load_workbook(BytesIO(r.content))
    assert wb.sheetnames == ["Tỉnh", "Theo xã", "Chỉ tiêu"]
    top = wb["Tỉnh"]
    head = [c.value for c in top[1]]
    assert head[:3] == ["Loại đối tượng", "Số đơn vị", "Đã đăng ký"] and top["A1"].font.bold
    total = [c.value for c in top[top.max_row]]
    assert total[:5] == ["Tổng cộng", 7, 4, round(4 / 7, 4), 1]
    assert top.cell(row=top.max_row, column=4).number_format == "0.0%"
    assert top.freeze_panes == "B2"
    targets = {row[0].value: row[1].value for row in wb["Chỉ tiêu"].iter_rows(min_row=2)}
    assert targets["Tỷ lệ công nhận tối thiểu (trên số đã đăng ký)"] == 0.8
