"""Outbox delivery: signed webhook POSTs to a real local server, retries with backoff, nothing
dropped, at-least-once after a crash."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from sqlalchemy import select

from scheduler.delivery import LEASE, backoff, deliver, pending, webhook_sender
from workflow.db import read_connection, write_transaction
from workflow.models import OutboxMessage
from workflow.outbox import enqueue
from workflow.settings import Settings

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
SECRET = "s3cret"


class Receiver(BaseHTTPRequestHandler):
    received: list[tuple[dict, dict]] = []
    fail_next = 0

    def do_POST(self):  # http.server's naming
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if Receiver.fail_next:
            Receiver.fail_next -= 1
            self.send_response(503)
            self.end_headers()
            return
        Receiver.received.append((dict(self.headers), json.loads(body), body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver():
    Receiver.received, Receiver.fail_next = [], 0
    server = HTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/hook"
    server.shutdown()


def put(n: int = 1) -> None:
    with write_transaction() as conn:
        for i in range(n):
            enqueue(conn, "escalation", None, {"message": f"hồ sơ quá hạn {i}", "level": 2}, NOW)


def sender(url):
    return webhook_sender(Settings(webhook_url=url, webhook_secret=SECRET))


def test_delivers_signed_json_and_marks_it(engine, receiver):
    put(3)
    result = deliver(NOW, senders=[sender(receiver)])
    assert result.as_dict() == {"delivered": 3, "failed": 0}
    headers, data, body = Receiver.received[0]
    expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert headers["X-Dossier-Signature"] == expected
    assert data["data"]["message"] == "hồ sơ quá hạn 0" and data["kind"] == "escalation"
    assert pending()["pending"] == 0
    assert deliver(NOW, senders=[sender(receiver)]).delivered == 0  # nothing sent twice


def test_a_failing_channel_is_retried_with_backoff_and_never_dropped(engine, receiver):
    put(1)
    Receiver.fail_next = 2
    assert deliver(NOW, senders=[sender(receiver)]).failed == 1
    waiting = pending()
    assert waiting["pending"] == 1 and waiting["failing"] == 1
    assert "503" in waiting["messages"][0]["last_error"]
    assert deliver(NOW + timedelta(seconds=10), senders=[sender(receiver)]).as_dict() == {
        "delivered": 0,
        "failed": 0,
    }  # not yet: backing off
    t = NOW + backoff(1)
    assert deliver(t, senders=[sender(receiver)]).failed == 1
    t += backoff(2)
    assert deliver(t, senders=[sender(receiver)]).delivered == 1
    with read_connection() as conn:
        row = conn.execute(select(OutboxMessage.__table__)).one()
    assert row.attempts == 3 and row.delivered_at is not None and row.last_error is None


def test_backoff_grows_and_is_capped():
    assert [backoff(n).total_seconds() for n in (1, 2, 3)] == [30, 60, 120]
    assert backoff(50) == timedelta(hours=1)


def test_a_deliverer_that_dies_mid_batch_loses_nothing(engine, receiver):
    put(2)

    def crash(message):
        raise SystemExit("killed")  # not an Exception: the process dies here

    with pytest.raises(SystemExit):
        deliver(NOW, senders=[crash])
    assert pending()["pending"] == 2
    assert deliver(NOW + timedelta(seconds=5), senders=[sender(receiver)]).delivered == 0  # leased
    assert deliver(NOW + LEASE, senders=[sender(receiver)]).delivered == 2


def test_without_a_channel_messages_wait(engine):
    put(1)
    assert deliver(NOW, senders=[]).as_dict() == {"delivered": 0, "failed": 0}
    assert pending()["pending"] == 1
