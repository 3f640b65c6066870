"""The SMS gateway's http backend posts JSON to the aggregator; a failure raises."""
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

import models
from portal.sms import HttpGateway, SmsError, send_sms


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


def test_http_gateway_posts_json_and_keeps_a_copy(app, db, aggregator):
    url, received = aggregator
    app.extensions["sms_gateway"] = HttpGateway(url, token="t0ken")
    send_sms("+380671234567", "Привіт")
    assert received == [("Bearer t0ken", {"to": "+380671234567", "text": "Привіт"})]
    assert models.SmsMessage.get().backend == "http"


def test_http_gateway_failure_raises_and_rolls_back(app, db, aggregator):
    url, _ = aggregator
    app.extensions["sms_gateway"] = HttpGateway(url)
    with pytest.raises(SmsError):
        with models.db.atomic():
            models.AuditEvent.create(at=app.config["CLOCK"].now(), event="x")
            send_sms("+380670000000", "lost")
    assert models.AuditEvent.select().count() == 0
    with pytest.raises(SmsError):
        HttpGateway("http://127.0.0.1:9/", timeout=1).deliver("+380671234567", "x")


def test_unknown_backend_is_refused(app):
    from portal import create_app
    with pytest.raises(RuntimeError, match="outbox"):
        create_app({"SMS_BACKEND": "carrier-pigeon", "DATABASE_URL": app.config["DATABASE_URL"],
                    "SECRET_KEY": "x"})
