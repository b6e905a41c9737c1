"""Messages that reach people, against a real SMTP server (aiosmtpd on a free local port) and a
real HTTP receiver: addressed at sending time to the seat's holders, in Vietnamese with names,
undeliverable with the reason, retried with backoff, one failing channel holding no other, the
daily digest. Both databases."""

from __future__ import annotations

import email
import json
import re
import socket
from datetime import UTC, datetime, timedelta
from email import policy

import pytest
import time_machine
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from api.app import create_app
from api.cli import app as cli
from scheduler.delivery import backoff, deliver, webhook_sender
from scheduler.sweep import sweep
from states.lifecycle import State
from states.territory import communes_of
from tests.clock.test_delivery import Receiver, receiver  # noqa: F401 - the fixture
from tests.engine.helpers import register_at, registration_time, walk
from tests.factories import PROVINCE, build_world
from workflow import digest, outbox
from workflow.db import read_connection, write_transaction
from workflow.models import Delivery, Notice, OutboxMessage
from workflow.settings import Settings
from workflow.users import create_user, deactivate_user

OPENED_AT = datetime(2026, 10, 1, 2, 0, tzinfo=UTC)  # 09:00 in Vietnam, before every deadline
AFTER_DUE = datetime(2026, 11, 17, 2, 0, tzinfo=UTC)  # KDC verification was due 10/11
DIGEST_AT = datetime(2026, 11, 17, 0, 30, tzinfo=UTC)  # Tuesday 07:30 in Vietnam


class Mailbox:
    """An aiosmtpd handler that keeps what it accepts and refuses the first few mails."""

    def __init__(self):
        self.mails: list[email.message.EmailMessage] = []
        self.refusals: list[str] = []

    async def handle_DATA(self, server, session, envelope):
        if self.refusals:
            return self.refusals.pop(0)
        self.mails.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"

    def to(self, address: str) -> list[email.message.EmailMessage]:
        return [m for m in self.mails if m["To"] == address]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp():
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=_free_port())
    controller.start()
    box.settings = Settings(smtp_host="127.0.0.1", smtp_port=controller.port)
    yield box
    controller.stop()


def _kdc_awaiting_police(world):
    """A KDC dossier the commune has reviewed: it waits for the commune police (due 10/11)."""
    with time_machine.travel(OPENED_AT, tick=False):
        return walk(world, world.units["KDC"], world.actor("unit", "KDC"), State.COMMUNE_REVIEWED)


def _commune_words(world) -> str:
    name = next(c.name for c in communes_of(PROVINCE) if c.code == world.commune)
    return "xã " + name.split(" ", 1)[1]


def test_a_new_step_is_mailed_to_the_seat_holders_in_vietnamese_with_names(engine, smtp):
    world = build_world()
    create_user(
        name="Trung úy Lê Văn Hùng",
        role="police",
        territory_code=f"commune:{world.commune}",
        email="hung.congan@tinhkhe.gov.vn",
    )
    d = _kdc_awaiting_police(world)
    with time_machine.travel(OPENED_AT, tick=False):
        result = deliver(senders=[], settings=smtp.settings)
    report = result.report()
    assert report["email"]["sent"] >= 1 and report["notice"]["written"] >= 2
    (mail,) = smtp.to("hung.congan@tinhkhe.gov.vn")
    place = _commune_words(world)
    expected = f"Hồ sơ Thôn An Phú ({place}) chờ Công an xã thẩm định, hạn 10/11/2026"
    assert mail["Subject"] == f"[ANTT] Hồ sơ mới chờ xử lý: {expected}"
    body = mail.get_content()
    assert expected in body and "Kính gửi: Công an " + place in body
    assert "The dossier of Thôn An Phú" in body and "commune_reviewed" not in body
    assert re.fullmatch(r"<antt-outbox-\d+\.\d+@localhost>", mail["Message-ID"])
    # The seat's holder without an address reads it in the app.
    with read_connection() as conn:
        notices = outbox.notices_of(conn, world.actor("police").id)
    assert [n["title_vi"] for n in notices] == [f"Hồ sơ mới chờ xử lý: {expected}"]
    assert notices[0]["dossier_id"] == d["id"]


def test_a_registration_asks_the_unit_to_self_score_by_mail_in_vietnamese_with_names(engine, smtp):
    """issue 15: the dossier's first step (the unit's self-scoring) is announced like every
    other step, to the users who hold the unit's seat when it is sent."""
    world = build_world()
    unit = world.units["KDC"]
    create_user(name="Nguyễn Văn An", role="unit", unit_id=unit["id"], email="an@thonanphu.vn")
    d = register_at(unit, world.actor("unit", "KDC"))
    with read_connection() as conn:
        (message,) = conn.execute(select(OutboxMessage.__table__)).all()
    payload = json.loads(message.payload)
    assert (message.kind, message.dossier_id) == (outbox.STEP_OPENED, d["id"])
    assert (payload["step"], payload["to_role"], payload["to_level"], payload["unit_id"]) == (
        "registered",
        "unit",
        "unit",
        unit["id"],
    )
    result = deliver(registration_time(2026), senders=[], settings=smtp.settings)
    assert result.report()["email"]["sent"] == 1 and result.report()["notice"]["written"] == 2
    (mail,) = smtp.mails
    assert mail["To"] == "an@thonanphu.vn"
    place = _commune_words(world)
    expected = f"Hồ sơ Thôn An Phú ({place}) chờ đơn vị tự đánh giá, chấm điểm, hạn 31/10/2026"
    assert mail["Subject"] == f"[ANTT] Hồ sơ mới chờ xử lý: {expected}"
    body = mail.get_content()
    assert "Kính gửi: Đại diện đơn vị Thôn An Phú" in body and "Hạn xử lý: 31/10/2026" in body
    assert (
        f"The dossier of Thôn An Phú ({place.removeprefix('xã ')} commune) awaits "
        "self-assessment by the unit, due 31/10/2026"
    ) in body
    # The unit's representative without an address reads it in the app; no other seat does.
    with read_connection() as conn:
        (notice,) = outbox.notices_of(conn, world.actor("unit", "KDC").id)
        for other in (("unit", "other_KDC"), ("unit", "XA"), ("commune_reviewer", "own")):
            assert outbox.notices_of(conn, world.actor(*other).id) == []
    assert notice["title_vi"] == f"Hồ sơ mới chờ xử lý: {expected}"
    assert notice["title_en"].startswith("New dossier to handle: The dossier of Thôn An Phú")
    assert notice["dossier_id"] == d["id"]


def test_an_escalation_goes_to_the_supervisor_and_says_since_when_it_is_late(engine, smtp):
    world = build_world()
    create_user(
        name="Đại úy Phạm Minh",
        role="police",
        territory_code=f"province:{PROVINCE}",
        email="minh@congan.quangngai.gov.vn",
    )
    _kdc_awaiting_police(world)
    with time_machine.travel(AFTER_DUE, tick=False):
        assert sweep().escalated >= 1
        deliver(senders=[], settings=smtp.settings)
    subjects = [m["Subject"] for m in smtp.to("minh@congan.quangngai.gov.vn")]
    place = _commune_words(world)
    assert (
        f"[ANTT] Quá hạn: Hồ sơ Thôn An Phú ({place}) chờ Công an xã thẩm định, "
        "quá hạn từ 10/11/2026"
    ) in subjects


def test_nobody_in_the_seat_or_no_channel_is_undeliverable_with_the_reason(engine, receiver):  # noqa: F811
    world = build_world()
    empty = communes_of(PROVINCE)[2]
    admin, admin_token = create_user(
        name="Quản trị tỉnh", role="province_admin", territory_code=f"province:{PROVINCE}"
    )
    with write_transaction() as conn:
        outbox.enqueue(
            conn,
            "escalation",
            None,
            {
                "to_role": "police",
                "to_level": "commune",
                "province_code": PROVINCE,
                "commune_code": empty.code,
                "level": 2,
            },
            OPENED_AT,
        )
    _kdc_awaiting_police(world)
    with time_machine.travel(OPENED_AT, tick=False):
        result = deliver(senders=[], settings=Settings())
    reasons = [u["reason"] for u in result.report()["undeliverable"]]
    bare = empty.name.split(" ", 1)[1]
    assert any(
        f"Không có người giữ vai trò Công an {empty.division} {bare}" in r
        and "nobody holds the seat of the police of" in r
        for r in reasons
    )
    assert any("Chưa cấu hình kênh gửi" in r and "SMTP_HOST, WEBHOOK_URL" in r for r in reasons)
    # The notices were still written: the web inbox shows them.
    with read_connection() as conn:
        assert outbox.notices_of(conn, world.actor("police").id)

    cli_out = CliRunner().invoke(cli, ["outbox", "--status", "undeliverable"])
    assert cli_out.exit_code == 0, cli_out.output
    listed = json.loads(cli_out.output)["messages"]
    assert all(m["reason"] for m in listed)
    # The empty seat's escalation, and each step the walk opened: the registration's own (the
    # unit's self-scoring), the commune's review, the police's appraisal.
    assert [m["kind"] for m in listed] == ["escalation"] + [outbox.STEP_OPENED] * 3
    waiting_for = (
        "chờ đơn vị tự đánh giá, chấm điểm",
        "chờ Ban Chỉ đạo xã xét duyệt",
        "chờ Công an xã thẩm định",
    )
    assert all(w in m["text_vi"] for w, m in zip(waiting_for, listed[1:], strict=True))

    with TestClient(create_app()) as client:
        r = client.get(
            "/api/v1/outbox?status=undeliverable",
            headers={"Authorization": f"Bearer {admin_token}"},
        )
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["counts"]["undeliverable"] == len(listed)  # what the command listed
        assert [i["id"] for i in body["items"]] == [m["id"] for m in listed]
        assert {i["status"] for i in body["items"]} == {"undeliverable"}
        assert any("Chưa cấu hình kênh gửi" in i["reason"] for i in body["items"])
        _, police_token = create_user(
            name="Công an khác", role="police", territory_code=f"province:{PROVINCE}"
        )
        refused = client.get("/api/v1/outbox", headers={"Authorization": f"Bearer {police_token}"})
        assert refused.status_code == 403 and "quản trị cấp tỉnh" in refused.json()["detail"]

    # A seat filled and a channel configured later: the message is addressed again and goes.
    create_user(name="Công an xã mới", role="police", territory_code=f"commune:{empty.code}")
    with time_machine.travel(OPENED_AT + timedelta(hours=2), tick=False):
        again = deliver(senders=[webhook_sender(Settings(webhook_url=receiver))])
    assert again.report()["undeliverable"] == [] and again.delivered == len(listed)
    assert sorted(data["id"] for _, data, _ in Receiver.received) == [m["id"] for m in listed]


def test_a_refusing_server_is_retried_with_backoff_and_the_mail_arrives_once(engine, smtp):
    world = build_world()
    create_user(
        name="Công an xã có thư",
        role="police",
        territory_code=f"commune:{world.commune}",
        email="congan@xa.gov.vn",
    )
    _kdc_awaiting_police(world)
    smtp.refusals = ["451 4.3.0 try again later", "554 5.0.0 not now"]
    with time_machine.travel(OPENED_AT, tick=False) as traveller:
        first = deliver(senders=[], settings=smtp.settings)
        assert first.failed == 1 and first.report()["email"] == {"sent": 0, "failed": 1}
        with read_connection() as conn:
            row = conn.execute(select(Delivery.__table__)).one()
        assert row.status == "failed" and "451" in row.last_error
        traveller.shift(timedelta(seconds=10))
        assert deliver(senders=[], settings=smtp.settings).report()["email"] == {
            "sent": 0,
            "failed": 0,
        }  # backing off
        traveller.shift(backoff(1))
        assert deliver(senders=[], settings=smtp.settings).failed == 1  # the 554
        traveller.shift(backoff(2))
        assert deliver(senders=[], settings=smtp.settings).delivered == 1
        traveller.shift(backoff(3))
        assert deliver(senders=[], settings=smtp.settings).report()["email"]["sent"] == 0
    (mail,) = smtp.to("congan@xa.gov.vn")
    assert "chờ Công an xã thẩm định" in mail["Subject"]
    with read_connection() as conn:
        row = conn.execute(select(Delivery.__table__)).one()
        t = OutboxMessage.__table__
        message = conn.execute(select(t).where(t.c.id == row.outbox_id)).one()
    assert (row.status, row.attempts, row.last_error) == ("sent", 3, None)
    assert message.status == "sent" and message.delivered_at is not None


def test_a_failing_webhook_does_not_hold_the_mail(engine, smtp, receiver):  # noqa: F811
    world = build_world()
    create_user(
        name="Công an xã có thư",
        role="police",
        territory_code=f"commune:{world.commune}",
        email="congan@xa.gov.vn",
    )
    _kdc_awaiting_police(world)
    Receiver.fail_next = 1
    hook = webhook_sender(Settings(webhook_url=receiver, webhook_secret="s"))
    with time_machine.travel(OPENED_AT, tick=False) as traveller:
        first = deliver(senders=[hook], settings=smtp.settings)
        assert first.report()["email"]["sent"] == 1 and first.report()["webhook"]["failed"] == 1
        assert len(smtp.to("congan@xa.gov.vn")) == 1
        with read_connection() as conn:
            t = OutboxMessage.__table__
            mailed = conn.execute(select(Delivery.__table__.c.outbox_id)).scalar()
            assert conn.execute(select(t.c.status).where(t.c.id == mailed)).scalar() == "pending"
        traveller.shift(backoff(1))
        second = deliver(senders=[hook], settings=smtp.settings)
    assert second.report()["webhook"]["sent"] == 1 and second.delivered == 1
    assert len(smtp.to("congan@xa.gov.vn")) == 1  # the mail is not sent again
    with read_connection() as conn:
        d = Delivery.__table__.c
        police_step = conn.execute(select(d.outbox_id).where(d.channel == "email")).scalar_one()
    # The webhook of the mailed message (the registration's and the review's went beside it).
    ((headers, data, _),) = [r for r in Receiver.received if r[1]["id"] == police_step]
    assert headers["Idempotency-Key"] == headers["X-Message-Id"] == data["message_id"]
    assert "chờ Công an xã thẩm định" in data["text_vi"]


def test_digest_readers_get_one_mail_on_a_working_morning(engine, smtp):
    world = build_world()
    reader, _ = create_user(
        name="Nguyễn Thị Lan",
        role="police",
        territory_code=f"commune:{world.commune}",
        email="lan@xa.gov.vn",
        notify_mode="digest",
    )
    _kdc_awaiting_police(world)
    with time_machine.travel(OPENED_AT, tick=False):
        deliver(senders=[], settings=smtp.settings)
    assert smtp.to("lan@xa.gov.vn") == []  # no mail at once: it waits for the digest
    with read_connection() as conn:
        assert len(outbox.notices_of(conn, reader.id)) == 1  # but the app shows it

    with time_machine.travel(DIGEST_AT, tick=False):
        with write_transaction() as conn:
            written = digest.enqueue_digests(conn, datetime.now(UTC))
        with write_transaction() as conn:
            again = digest.enqueue_digests(conn, datetime.now(UTC))
        deliver(senders=[], settings=smtp.settings)
    assert written["written"] == 1 and again["written"] == 0 and again["already_written"] == 1
    (mail,) = smtp.to("lan@xa.gov.vn")
    assert mail["Subject"] == "[ANTT] Bản tin ngày 17/11/2026: 1 hồ sơ chờ xử lý, 1 quá hạn"
    body = mail.get_content()
    place = _commune_words(world)
    assert f"- Hồ sơ Thôn An Phú ({place}) chờ Công an xã thẩm định, quá hạn từ 10/11/2026" in body
    assert "Overdue:" in body

    sunday = datetime(2026, 11, 22, 0, 30, tzinfo=UTC)
    out = CliRunner().invoke(cli, ["digest", "--at", "2026-11-22T07:30"])
    assert out.exit_code == 0, out.output
    result = json.loads(out.output)["digest"]
    assert result["working_day"] is False and "ngày nghỉ" in result["reason"]
    with write_transaction() as conn:
        assert digest.enqueue_digests(conn, sunday)["written"] == 0


def test_my_notices_over_http_read_and_unread(engine):
    world = build_world()
    reader, token = create_user(
        name="Công an xã đọc tin", role="police", territory_code=f"commune:{world.commune}"
    )
    _kdc_awaiting_police(world)
    with time_machine.travel(OPENED_AT, tick=False):
        deliver(senders=[], settings=Settings())
    auth = {"Authorization": f"Bearer {token}"}
    with TestClient(create_app()) as client:
        page = client.get("/api/v1/me/notices", headers=auth).json()
        assert page["unread"] == 1
        (notice,) = page["items"]
        assert notice["read"] is False and "chờ Công an xã thẩm định" in notice["title_vi"]
        assert "awaits appraisal by the police of the commune" in notice["title_en"]
        read = client.post(f"/api/v1/me/notices/{notice['id']}/read", headers=auth)
        assert read.status_code == 200 and read.json()["read"] is True
        assert client.get("/api/v1/me/notices?unread=true", headers=auth).json()["items"] == []
        _, other = create_user(
            name="Người khác", role="police", territory_code=f"province:{PROVINCE}"
        )
        missing = client.post(
            f"/api/v1/me/notices/{notice['id']}/read", headers={"Authorization": f"Bearer {other}"}
        )
        assert missing.status_code == 404 and "thông báo" in missing.json()["detail"]
        bad = client.get("/api/v1/me/notices?unred=true", headers=auth)
        assert bad.status_code == 422


def test_a_deactivated_holder_is_not_addressed(engine, smtp):
    world = build_world()
    gone, _ = create_user(
        name="Đã nghỉ", role="police", territory_code=f"commune:{world.commune}", email="x@y.vn"
    )
    deactivate_user(gone.id, by=None)
    _kdc_awaiting_police(world)
    with time_machine.travel(OPENED_AT, tick=False):
        deliver(senders=[], settings=smtp.settings)
    assert smtp.to("x@y.vn") == []
    with read_connection() as conn:
        users = {r.user_id for r in conn.execute(select(Notice.__table__.c.user_id))}
    assert gone.id not in users
