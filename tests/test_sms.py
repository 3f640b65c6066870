"""The SMS outbox: a message leaves only after its transaction commits, through the
configured gateway; what the gateway refuses is tried again by `flask send-sms`; codes are
kept masked outside demo mode."""
import json
import sqlite3
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

import models
from portal.core import sms
from portal.core.sms import HttpGateway, SmsError
from tests.helpers import burst


@pytest.fixture
def aggregator():
    received = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((self.headers["Authorization"], json.loads(body)))
            self.send_response(500 if received[-1][1]["to"].endswith("0000") else 202)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/sms", received
    server.shutdown()


def test_http_gateway_posts_json_after_the_commit(app, db, aggregator):
    url, received = aggregator
    app.extensions["sms_gateway"] = HttpGateway(url, token="t0ken")
    with app.test_request_context():
        with models.locking_transaction():
            sms.send("+380671234567", "Привіт")
            assert received == []  # not while the transaction is open
        sms.deliver_queued()
    assert received == [("Bearer t0ken", {"to": "+380671234567", "text": "Привіт"})]
    message = models.SmsMessage.get()
    assert (message.state, message.backend) == ("sent", "http")


def test_a_rolled_back_change_sends_nothing(app, db, aggregator):
    url, received = aggregator
    app.extensions["sms_gateway"] = HttpGateway(url)
    with app.test_request_context():
        with pytest.raises(ZeroDivisionError):
            with models.locking_transaction():
                models.AuditEvent.create(at=app.config["CLOCK"].now(), event="x")
                sms.send("+380671234567", "lost")
                raise ZeroDivisionError
        sms.deliver_queued()
    assert received == []
    assert models.AuditEvent.select().count() == 0 and models.SmsMessage.select().count() == 0


def test_the_gateway_is_called_outside_every_transaction(app, db, tmp_path):
    """A slow gateway never holds a lock: while it works, another connection can write."""
    seen = []

    class Watching:
        name = "watching"

        def deliver(self, to, text):
            seen.append(models.db.in_transaction())
            if models.is_sqlite():
                other = sqlite3.connect(models.db.obj.database, timeout=0)
                other.execute("BEGIN IMMEDIATE")  # fails at once if a writer holds the lock
                other.rollback()
                other.close()

    app.extensions["sms_gateway"] = Watching()
    with app.test_request_context():
        with models.locking_transaction():
            sms.send("+380671234567", "one")
            sms.send("+380671234568", "two")
        sms.deliver_queued()
    assert seen == [False, False]


def test_a_refused_message_is_tried_again_by_the_job(app, db, aggregator, clock):
    url, received = aggregator
    app.extensions["sms_gateway"] = HttpGateway(url)
    with app.test_request_context():
        with models.locking_transaction():
            sms.send("+380670000000", "receipt")
        sms.deliver_queued()
    message = models.SmsMessage.get()
    assert (message.state, message.attempts) == ("queued", 1)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["send-sms"])
    assert "still failing: 0" in result.output and len(received) == 1  # not due yet
    clock.advance(minutes=2)
    app.extensions["sms_gateway"] = app.config["SMS_GATEWAY"]  # the aggregator is back
    result = runner.invoke(args=["send-sms"])
    assert "SMS sent: 1" in result.output
    models.db.connect(reuse_if_open=True)
    assert models.SmsMessage.get().state == "sent"
    assert app.config["SMS_GATEWAY"].sent == [("+380670000000", "receipt")]


def test_the_job_gives_up_after_an_hour(app, db, clock, gateway_down):
    with app.test_request_context():
        with models.locking_transaction():
            sms.send("+380671234567", "receipt")
        sms.deliver_queued()
        for _ in range(5):
            clock.advance(minutes=11)
            sms.retry_due(clock.now())
        assert models.SmsMessage.get().state == "queued"  # 55 minutes: still trying
        clock.advance(minutes=5)
        sms.retry_due(clock.now())
    assert models.SmsMessage.get().state == "failed"


@pytest.mark.parametrize("demo, kept", [(False, "Code ••••••, valid 10 min"),
                                        (True, "Code 123456, valid 10 min")])
def test_codes_are_masked_at_rest_outside_demo_mode(app, db, demo, kept):
    app.config["DEMO"] = demo
    with app.test_request_context():
        with models.locking_transaction():
            sms.send("+380671234567", "Code 123456, valid 10 min", secret=("123456",))
        sms.deliver_queued()
    assert models.SmsMessage.get().text == kept
    assert app.config["SMS_GATEWAY"].sent == [("+380671234567", "Code 123456, valid 10 min")]


def test_http_gateway_failure_raises():
    with pytest.raises(SmsError):
        HttpGateway("http://127.0.0.1:9/", timeout=1).deliver("+380671234567", "x")


def test_unknown_backend_is_refused(app):
    from portal import create_app
    with pytest.raises(RuntimeError, match="outbox"):
        create_app({"SMS_BACKEND": "carrier-pigeon", "DATABASE_URL": app.config["DATABASE_URL"],
                    "SECRET_KEY": "x"})


def test_retry_pauses_grow():
    pauses = sms.RETRY_PAUSES
    assert all(a < b for a, b in zip(pauses, pauses[1:], strict=False)) and pauses[0] == timedelta(minutes=1)


def test_a_message_is_handed_to_the_gateway_once_however_many_try(app, db, clock):
    """The request that queued it and the retrying job on another server try at the same
    moment: one of them has it."""
    with app.test_request_context():
        with models.locking_transaction():
            message = sms.send("+380671234567", "receipt")
    pending = (message.id, "+380671234567", "receipt")

    def try_it(index):
        with app.app_context():
            if index % 2:
                return sms._deliver_pending(*pending)  # the request that queued it
            return sms.retry_due(clock.now())[0] == 1  # the job, on another server

    results = burst(6, try_it)
    assert results.count(True) == 1
    assert app.config["SMS_GATEWAY"].sent == [("+380671234567", "receipt")]
