"""Kannel as the SMS backend, for real (tests/kannel_box.py: bearerbox, smsbox and fakesmsc
on loopback ports of their own): a sign-in code travels portal → Kannel → fake SMS centre
and is read back there; the delivery reports come back to GET /sms/dlr and show on the
code page and in the staff look-up; Kannel stopped in the middle loses nothing; and
deploy/kannel.conf is a configuration Kannel runs."""
import re
import subprocess
import threading
import time
import urllib.request
from pathlib import Path

import pytest
from werkzeug.serving import make_server

import models
from portal.core import sms
from portal.core.sms import KannelGateway
from tests.helpers import page
from tests.kannel_box import (
    BEARERBOX,
    PASSWORD,
    SMSBOX,
    USER,
    free_port,
    port_open,
    skip_without_kannel,
    wait_for,
)

ROOT = Path(__file__).resolve().parent.parent
SENDER = "Kyivstar"
REPORT_WAIT = 30  # seconds Kannel may take to call back on a busy machine


@pytest.fixture
def live_portal(app):
    """The app on a real HTTP server on a free loopback port (Kannel calls its dlr-url)."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)


@pytest.fixture
def via_kannel(app, kannel, live_portal):
    app.config["PUBLIC_URL"] = live_portal
    app.extensions["sms_gateway"] = KannelGateway(kannel.sendsms_url, USER, PASSWORD, SENDER)
    return kannel


def delivery_of(app, message_id):
    with app.app_context():
        models.db.connect(reuse_if_open=True)
        try:
            return models.SmsMessage.get_by_id(message_id).delivery
        finally:
            models.db.close()


def wait_for_delivery(app, message_id, wanted):
    deadline = time.monotonic() + REPORT_WAIT
    while time.monotonic() < deadline:
        if delivery_of(app, message_id) == wanted:
            return
        time.sleep(0.1)
    raise AssertionError(f"no '{wanted}' report for message {message_id}: "
                         f"{delivery_of(app, message_id)!r}")


def test_a_sign_in_code_goes_through_kannel_and_its_delivery_comes_back(
        app, via_kannel, factory, client, agent_client):
    number = "+380671230001"
    factory.subscriber(number=number)
    before = len([m for m in via_kannel.received() if m[1] == number])
    response = client.post("/login/sms", data={"login": number})
    assert response.status_code == 200, page(response)
    sender, to, coding, text = via_kannel.wait_for_message(number, before + 1)[-1]
    # A Ukrainian cabinet's code is Cyrillic: UCS-2; the sender is the operator's name.
    assert (sender, to, coding) == (SENDER, number, "ucs-2")
    code = re.search(r"\b(\d{6})\b", text).group(1)
    with app.app_context():
        message = models.SmsMessage.newest_of_kind(number, "sign-in")
    assert code not in message.text  # kept masked at rest
    wait_for_delivery(app, message.id, "delivered")

    waiting_page = page(client.get("/login/sms"))
    assert "has been delivered" in waiting_page and code not in waiting_page
    looked_up = page(agent_client.get(f"/staff/lookup/sms?number={number}"))
    assert re.search(r"••••••.*<strong>Delivered</strong>", looked_up)
    assert code not in looked_up

    signed_in = client.post("/login/sms/verify", data={"login": number, "code": code})
    assert signed_in.status_code == 303 and signed_in.headers["Location"] == "/"


def test_a_cyrillic_text_goes_as_ucs2(app, via_kannel, factory):
    number = "+380671230002"
    before = len([m for m in via_kannel.received() if m[1] == number])
    with app.test_request_context():
        with models.locking_transaction():
            message = sms.send(number, "Поповнення: 50,00 ₴")
        sms.deliver_queued()
    assert via_kannel.wait_for_message(number, before + 1)[-1] == (
        SENDER, number, "ucs-2", "Поповнення: 50,00 ₴")
    wait_for_delivery(app, message.id, "delivered")


def test_kannel_stopped_mid_run_loses_nothing(app, via_kannel, clock):
    number = "+380671230003"
    before = len([m for m in via_kannel.received() if m[1] == number])
    via_kannel.stop()
    try:
        with app.test_request_context():
            with models.locking_transaction():
                message = sms.send(number, "Balance topped up by 50.00 UAH")
            sms.deliver_queued()
        with app.app_context():
            kept = models.SmsMessage.get_by_id(message.id)
        assert (kept.state, kept.attempts) == ("queued", 1)
    finally:
        via_kannel.start()
    clock.advance(minutes=1)
    result = app.test_cli_runner().invoke(args=["send-sms"])
    assert "SMS sent: 1; still failing: 0" in result.output, result.output
    arrived = via_kannel.wait_for_message(number, before + 1)
    assert [text for *_, text in arrived[before:]] == ["Balance topped up by 50.00 UAH"]
    wait_for_delivery(app, message.id, "delivered")


def test_the_deploy_config_runs_and_keeps_what_the_sms_centre_cannot_take_yet(tmp_path):
    """deploy/kannel.conf as shipped (its ports, paths and SMS centre moved to the test's
    own; nobody answers SMPP there): bearerbox and smsbox accept it, the portal's account
    sends, and the message waits in Kannel's store for the SMS centre."""
    skip_without_kannel()
    ports = {13000: free_port(), 13001: free_port(), 13013: free_port(), 2775: free_port()}
    config = (ROOT / "deploy" / "kannel.conf").read_text()
    for line, value in (("admin-port = ", 13000), ("smsbox-port = ", 13001),
                        ("bearerbox-port = ", 13001), ("sendsms-port = ", 13013),
                        ("port = ", 2775)):
        config = re.sub(rf"^{line}{value}$", f"{line}{ports[value]}", config, flags=re.M)
    config = (config.replace("/var/log/kannel", str(tmp_path))
              .replace("/var/spool/kannel", str(tmp_path))
              .replace("smsc.operator.example", "127.0.0.1"))
    (tmp_path / "kannel.conf").write_text(config)
    assert str(ports[13013]) in config and "/var/" not in config
    boxes = []
    try:
        for box in (BEARERBOX, SMSBOX):
            boxes.append(subprocess.Popen([box, str(tmp_path / "kannel.conf")], cwd=tmp_path,
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            port = ports[13000] if box == BEARERBOX else ports[13013]
            wait_for(lambda port=port: port_open(port), f"{box} did not start with deploy/kannel.conf")
        password = re.search(r"^password = (\S+)$", config, flags=re.M).group(1)
        gateway = KannelGateway(f"http://127.0.0.1:{ports[13013]}/cgi-bin/sendsms", "portal",
                                password, SENDER)
        gateway.deliver("+380671230004", "Balance topped up", report_url="https://x.example/d")
        with pytest.raises(sms.SmsError, match="403"):
            KannelGateway(gateway.url, "portal", "wrong", SENDER).deliver("+380671230004", "x")
        admin = re.search(r"^admin-password = (\S+)$", config, flags=re.M).group(1)
        with urllib.request.urlopen(f"http://127.0.0.1:{ports[13000]}/status.txt?password="
                                    f"{admin}", timeout=5) as response:
            status = response.read().decode()
        assert re.search(r"operator\[operator\]\s+SMPP:127\.0\.0\.1:" + str(ports[2775]), status)
        assert "sent 0 (1 queued), store size 1" in status, status
    finally:
        for process in reversed(boxes):
            process.terminate()
            process.wait(10)
