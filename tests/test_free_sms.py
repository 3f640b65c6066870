"""Free SMS from the cabinet: to the operator's numbers only, from the current number, the
parts counted by the server and the browser alike, a daily cap, through the gateway."""
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

import models
from rules import sms as sms_rules
from tests.helpers import sms_to

FRIEND = "+380971112233"
SENDER = "+380671234567"
PREFIX = SENDER + ": "


@pytest.fixture
def friend(factory):
    return factory.subscriber(number=FRIEND, name="Друг")


def send(client, to="097 111 22 33", text="Привіт!", **kwargs):
    return client.post("/sms/send", data={"to": to, "text": text}, **kwargs)


def test_the_page_counts_on_the_server(client, signed_in):
    html = client.get("/sms").get_data(as_text=True)
    assert 'name="to"' in html and 'name="text"' in html
    assert 'data-sms-prefix="+380671234567: "' in html and "sms-counter.js" in html
    assert '<span data-sms="parts">1</span>' in html  # the prefix alone is one SMS
    assert "Left today: 30." in html


def test_the_live_counter_waits_for_its_script(client, signed_in):
    """Without JavaScript nothing counts as one types: the counter stays hidden (the script
    shows it) and the page says the text is counted when sent (the script hides that)."""
    response = client.get("/sms")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert re.search(r'<p id="sms-count" class="hint" aria-live="polite" hidden ', html)
    assert re.search(r'<p class="hint" data-sms-nojs>The characters and SMS parts are counted '
                     r'when you send the text.</p>', html)


def test_an_sms_goes_through_the_gateway(client, signed_in, friend, app):
    response = send(client)
    assert response.status_code == 303
    assert response.headers["Location"] == "/sms"
    assert sms_to(app, FRIEND) == [PREFIX + "Привіт!"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "The SMS is on its way to +380 97 111 22 33." in page
    assert "on its way" not in client.get("/sms?sent=%2B380501234567").get_data(as_text=True)
    assert "Left today: 29." in page
    with app.app_context():
        row = models.FreeSms.get()
        assert (row.sender.number, row.to, row.parts, row.encoding) == (SENDER, FRIEND, 1, "ucs2")


def test_htmx_success_redirects_the_page(client, signed_in, friend):
    response = send(client, headers={"HX-Request": "true"})
    assert response.status_code == 200 and response.headers["HX-Redirect"] == "/sms"


@pytest.mark.parametrize("to,text,field,message", [
    ("", "hi", "to", "Enter a phone number"),
    ("050 123 45 67", "hi", "to", "belongs to another operator"),
    ("hello", "hi", "to", "This is not a phone number"),
    ("068 999 99 99", "hi", "to", "No subscriber of ours has this number"),
    ("097 111 22 33", "   ", "text", "Type the text of the SMS."),
    ("097 111 22 33", "ы" * 400, "text", "a free SMS may take at most 6"),
])
def test_bad_input(client, signed_in, friend, app, to, text, field, message):
    response = send(client, to=to, text=text)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in html
    assert re.search(f'aria-describedby="[^"]*{field}-error"', html)
    assert 'aria-invalid="true"' in html
    assert sms_to(app, FRIEND) == []


def test_a_closed_number_gets_no_sms(client, signed_in, factory, app):
    factory.subscriber(number="+380681112233", status="closed", password=None)
    assert send(client, to="0681112233").status_code == 422
    assert sms_to(app, "+380681112233") == []


def test_the_fragment_shows_the_count_of_what_was_typed(client, signed_in, friend):
    response = send(client, to="bad", text="a" * 200, headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and not html.startswith("<!doctype")
    assert '<span data-sms="characters">200</span>' in html
    assert '<span data-sms="parts">2</span>' in html  # 15 + 200 septets: two parts


def test_the_daily_cap(client, signed_in, friend, app, clock, auth):
    long_text = "a" * (153 * 6 - len(PREFIX))  # six parts with the prefix
    for _ in range(5):
        assert send(client, text=long_text).status_code == 303
    response = send(client, text=long_text)
    assert response.status_code == 429
    assert "free SMS are used up: 0 of 30 left" in response.get_data(as_text=True)
    assert len(sms_to(app, FRIEND)) == 5
    clock.advance(days=1)
    auth.login()  # the session has long been idle
    assert send(client, text="a new day").status_code == 303


def test_a_paused_number_cannot_send(client, auth, factory, friend, app):
    factory.subscriber(number="+380961234567", status="suspended")
    auth.login("0961234567")
    response = send(client)
    assert response.status_code == 409 and "paused at your request. Resume it first" in (
        response.get_data(as_text=True))
    assert sms_to(app, FRIEND) == []


def test_an_account_cannot_send(client, signed_in, factory, friend, app):
    with app.app_context():
        models.db.connect(reuse_if_open=True)
        profile = models.Profile.get_by_id(signed_in.profile_id)
    account = factory.account(profile)
    client.post("/numbers/select", data={"number": account.number})
    response = send(client)
    assert response.status_code == 409 and "from a mobile number" in response.get_data(as_text=True)


def test_the_sms_goes_from_the_selected_number_of_the_profile(client, signed_in, factory, friend,
                                                             app):
    with app.app_context():
        models.db.connect(reuse_if_open=True)
        profile = models.Profile.get_by_id(signed_in.profile_id)
    factory.subscriber(number="+380981112233", profile=profile)
    client.post("/numbers/select", data={"number": "0981112233"})
    send(client)
    assert sms_to(app, FRIEND) == ["+380981112233: Привіт!"]


def test_nobody_sends_from_a_number_outside_the_profile(client, signed_in, factory, friend, app):
    stranger = factory.subscriber(number="+380981112233", name="Чужий")
    assert client.post("/numbers/select", data={"number": stranger.number}).status_code == 404
    send(client)
    assert sms_to(app, FRIEND) == [PREFIX + "Привіт!"]


def test_a_gateway_failure_keeps_the_sms_for_the_retry(client, signed_in, friend,
                                                       app, gateway_down):
    assert send(client).status_code == 303
    with app.app_context():
        models.db.connect(reuse_if_open=True)
        assert models.FreeSms.select().count() == 1
        message = models.SmsMessage.get()
        assert (message.to, message.state, message.retriable) == (FRIEND, "queued", True)
        assert message.text == PREFIX + "Привіт!"


def test_signed_out_and_without_csrf(client, subscriber, friend, app):
    assert send(client).status_code == 303  # to the sign-in page
    assert client.get("/sms").status_code == 303
    assert sms_to(app, FRIEND) == []


def test_csrf_is_required(client, signed_in, friend, app):
    response = client.post("/sms/send", data={"to": FRIEND, "text": "x"}, csrf=False)
    assert response.status_code == 400
    assert sms_to(app, FRIEND) == []


SAMPLES = ["", "Hello", "a" * 160, "a" * 161, "€" * 80, "a" * 152 + "€" + "a" * 152,
           "Привіт, як справи?", "ы" * 70, "ы" * 71, "ы" * 66 + "😀" + "ы" * 66, "a\r\nb",
           "{[~]}|^\\" * 30, "Ç ç", "😀" * 40]


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_the_browser_counts_as_the_server_does():
    script = Path(__file__).resolve().parent.parent / "static" / "sms-counter.js"
    program = ("const count = require(process.argv[1]);"
               "const texts = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
               "console.log(JSON.stringify(texts.map(count)));")
    result = subprocess.run(["node", "-e", program, str(script)], input=json.dumps(SAMPLES),
                            capture_output=True, text=True, check=True, timeout=30)
    for text, browser in zip(SAMPLES, json.loads(result.stdout), strict=True):
        server = sms_rules.count(sms_rules.normalize(text))
        assert browser == {"encoding": server.encoding, "units": server.units,
                           "characters": server.characters, "parts": server.parts,
                           "left": server.left}, text
