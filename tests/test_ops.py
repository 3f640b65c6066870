"""Running it like an operator (issue 27): /healthz, /readyz, /metrics, and one JSON log
line per request and per command run, with no secret in any of them."""
import json
import re
import threading

import pytest
from prometheus_client.parser import text_string_to_metric_families

import models
from portal import create_app
from portal.ops import service
from tests.helpers import CARD, PASSWORD, BrowserClient, last_code, page, payment_key, review_key

TOKEN = "metrics-token-of-the-tests"


@pytest.fixture
def watched(app):
    app.config["METRICS_TOKEN"] = TOKEN
    return app


@pytest.fixture
def database_gone(app, tmp_path):
    """A second node of the app whose database cannot be reached (PostgreSQL: a port no one
    listens on; SQLite: a folder where the file should be); the first node's database is
    given back afterwards."""
    kept = models.db.obj
    if app.config["DATABASE_URL"].startswith("sqlite"):
        url = f"sqlite:///{tmp_path}"
    else:
        url = "postgresql://portal:secret-password@127.0.0.1:1/portal"
    node = create_app({**{key: app.config[key] for key in (
        "TESTING", "SECRET_KEY", "DEMO", "CLOCK", "SMS_GATEWAY")}, "DATABASE_URL": url})
    node.test_client_class = BrowserClient
    yield node
    models.db.initialize(kept)


def metric(client, name, **labels):
    """The value of sample `name` with `labels` in /metrics (0 when absent)."""
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    for family in text_string_to_metric_families(page(response)):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return sample.value
    return 0


# Health and readiness -------------------------------------------------------------------

def test_healthz_and_readyz_answer_without_a_session(client):
    for path, text in (("/healthz", "ok\n"), ("/readyz", "ready\n")):
        response = client.get(path)
        assert response.status_code == 200 and page(response) == text
        assert response.headers["Cache-Control"] == "no-store"
        assert "Set-Cookie" not in response.headers


def test_a_node_whose_database_is_gone_is_alive_but_not_ready(database_gone):
    client = database_gone.test_client()
    assert client.get("/healthz").status_code == 200  # no database touched
    response = client.get("/readyz")
    assert response.status_code == 503
    reason = page(response)
    assert reason.startswith("not ready: the database is unreachable (")
    assert reason.count("\n") == 1  # one line
    assert "secret-password" not in reason and "127.0.0.1" not in reason


def test_a_database_that_does_not_answer_within_the_timeout_is_not_ready(
        client, monkeypatch):
    release = threading.Event()
    monkeypatch.setattr(service, "READY_TIMEOUT", 0.05)
    monkeypatch.setattr(service, "_check", lambda database: release.wait(10))
    try:
        response = client.get("/readyz")
    finally:
        release.set()
    assert response.status_code == 503
    assert page(response) == "not ready: the database did not answer within 0.05 s\n"


def test_a_schema_behind_the_code_is_not_ready(client, db):
    mark, name = models.db.obj.param, "0005_api_call_count"
    [applied] = models.db.execute_sql(
        f"SELECT applied FROM schema_migration WHERE name = {mark}", (name,)).fetchone()
    models.db.execute_sql(f"DELETE FROM schema_migration WHERE name = {mark}", (name,))
    try:
        response = client.get("/readyz")
    finally:  # the history is no model's: the next test's database would miss it
        models.db.execute_sql(f"INSERT INTO schema_migration (name, applied) VALUES "
                              f"({mark}, {mark})", (name, applied))
    assert response.status_code == 503
    assert "migration 0005_api_call_count is not applied (run init-db)" in page(response)


def test_a_missing_table_is_not_ready(client, db):
    models.db.execute_sql('DROP TABLE "demo_timeline"')
    try:
        response = client.get("/readyz")
    finally:  # the next test's database is this one on PostgreSQL
        models.DemoTimeline.create_table()
    assert response.status_code == 503
    assert "table demo_timeline is missing" in page(response)


def test_the_probes_are_never_throttled(client):
    assert {client.get("/readyz").status_code for _ in range(60)} == {200}


# Metrics --------------------------------------------------------------------------------

@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"},
                                     {"Authorization": TOKEN},
                                     {"Authorization": f"Basic {TOKEN}"},
                                     {"Authorization": "Bearer é\x00"}])
def test_metrics_are_404_without_the_token(watched, client, headers):
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 404
    # Nothing tells it from an unknown address (but the form token, new on every page).
    def unsigned(response):
        return re.sub(r'[\w-]{20,}\.[\w-]+\.[\w-]+', "", page(response))
    assert unsigned(response) == unsigned(client.get("/no-such-page")).replace(
        "/no-such-page", "/metrics")


def test_metrics_are_404_when_no_token_is_set(client):
    assert client.get("/metrics", headers={"Authorization": "Bearer "}).status_code == 404


def test_a_ready_node_says_so_in_its_metrics(watched, client):
    assert metric(client, "portal_ready") == 1


def test_a_served_page_is_counted_by_route_and_status(watched, client):
    name = "portal_http_request_duration_seconds_count"
    before = metric(client, name, route="/login", method="GET", status="200")
    client.get("/login")
    client.get("/login")
    assert metric(client, name, route="/login", method="GET", status="200") == before + 2
    assert metric(client, name, route="/no-such-page") == 0  # no route: one label for all
    before = metric(client, name, route="unmatched", method="GET", status="404")
    client.get("/no-such-page/0671234567")
    assert metric(client, name, route="unmatched", method="GET", status="404") == before + 1
    text = page(client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}))
    assert 'portal_http_request_duration_seconds_bucket{le="0.05",method="GET",' \
           'route="/login",status="200"}' in text


def test_sign_ins_are_counted_by_way_and_outcome(watched, client, auth, subscriber):
    ok, wrong = (metric(client, "portal_logins_total", way="password", outcome=outcome)
                 for outcome in ("ok", "wrong"))
    auth.login(password="Wrong-pass1")
    auth.login()
    assert metric(client, "portal_logins_total", way="password", outcome="wrong") == wrong + 1
    assert metric(client, "portal_logins_total", way="password", outcome="ok") == ok + 1


def test_an_sms_and_a_budget_refusal_are_counted(watched, app, client, subscriber):
    def count(outcome):
        return metric(client, "portal_sms_total", kind="sign-in", outcome=outcome)
    queued, sent, refused = count("queued"), count("sent"), count("refused")
    pace = metric(client, "portal_sms_budget_refusals_total", kind="sign-in", limit="pace")
    assert client.post("/login/sms", data={"login": "0671234567"}).status_code == 200
    assert (count("queued"), count("sent")) == (queued + 1, sent + 1)
    assert client.post("/login/sms", data={"login": "0671234567"}).status_code == 429
    assert count("refused") == refused + 1
    assert metric(client, "portal_sms_budget_refusals_total", kind="sign-in",
                  limit="pace") == pace + 1


def test_notices_held_back_by_the_budget_are_counted(watched, app, client, subscriber):
    from portal.core import sms
    before = metric(client, "portal_sms_total", kind="", outcome="held")
    with app.test_request_context("/"):
        models.db.connect(reuse_if_open=True)
        sent = [sms.send("+380671234567", f"notice {n}") for n in range(30)]
    held = sum(message is None for message in sent)
    assert 0 < held < 30
    assert metric(client, "portal_sms_total", kind="", outcome="held") == before + held


def test_a_failed_sms_is_counted_and_waits_in_the_outbox(watched, app, client, subscriber,
                                                         gateway_down, clock):
    failed = metric(client, "portal_sms_total", kind="sign-in", outcome="failed")
    client.post("/login/sms", data={"login": "0671234567"})
    assert metric(client, "portal_sms_total", kind="sign-in", outcome="failed") == failed + 1
    # A code is masked at rest, so it is never tried again; a notice would be.
    with app.app_context():
        models.SmsMessage.create(to="+380671234567", text="notice", created_at=clock.now(),
                                 next_attempt_at=clock.now())
    clock.advance(minutes=3)
    assert metric(client, "portal_sms_outbox") == 1
    assert metric(client, "portal_sms_outbox_oldest_age_seconds") == 180


def test_a_payment_is_counted_by_provider_and_state(watched, app, client, factory, clock):
    factory.subscriber(number="+380971234567", balance=1000)

    def count(state):
        return metric(client, "portal_payments_total", provider="demo", state=state)
    before = {state: count(state) for state in ("pending", "capturing", "succeeded")}
    response = client.post("/topup", data={"target": "0971234567", "amount": "150.50",
                                           "payer_phone": "0681112233", **CARD})
    clock.advance(seconds=30)
    assert metric(client, "portal_payments_pending") == 1
    assert metric(client, "portal_payments_pending_oldest_age_seconds") == 30
    client.post(f"/topup/{payment_key(response)}/confirm",
                data={"code": last_code(app, "+380681112233")})
    assert {state: count(state) for state in before} == {
        state: value + 1 for state, value in before.items()}
    assert metric(client, "portal_payments_pending") == 0


def test_metrics_answer_while_the_database_is_gone(database_gone):
    database_gone.config["METRICS_TOKEN"] = TOKEN
    client = database_gone.test_client()
    assert metric(client, "portal_ready") == 0
    assert metric(client, "portal_sms_outbox") == 0  # not read: absent


# Logs -----------------------------------------------------------------------------------

def json_lines(text):
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def test_one_json_line_per_request_with_its_id_returned(client, capsys):
    capsys.readouterr()
    response = client.get("/login", headers={"X-Request-ID": "0123456789abcdef0123456789abcdef"})
    assert response.headers["X-Request-ID"] == "0123456789abcdef0123456789abcdef"
    [line] = [line for line in json_lines(capsys.readouterr().err) if line["message"] == "request"]
    assert line["request_id"] == "0123456789abcdef0123456789abcdef"
    assert (line["method"], line["route"], line["status"], line["profile_id"]) == (
        "GET", "/login", 200, None)
    assert line["duration_ms"] >= 0 and line["level"] == "INFO"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", line["time"])


def test_an_app_that_logs_as_it_starts_still_writes_each_line_once_as_json(
        app, monkeypatch, capsys):
    """A node serving plain HTTP warns as it reads its settings, before anything else: Flask
    then gave the app's logger its own text handler, and every line went out twice."""
    import logging
    monkeypatch.setattr(logging.getLogger("portal"), "handlers", [])  # as a new process
    node = create_app({**{key: app.config[key] for key in (
        "TESTING", "SECRET_KEY", "CLOCK", "SMS_GATEWAY", "DATABASE_URL")},
        "DEMO": False, "SECURE_COOKIES": False})
    assert node.test_client().get("/login").status_code == 200
    err = capsys.readouterr().err
    assert err and all(line.startswith("{") for line in err.splitlines()), err
    assert [line["message"] for line in json_lines(err)] == [
        "PORTAL_SECURE_COOKIES=0: cookies are not Secure and no HSTS is sent; use it only to "
        "test over plain HTTP, never on a real site", "request"]


@pytest.mark.parametrize("given", ["", "short", "x" * 65, "id with spaces and \"quotes\"",
                                   "0123456789abcdef\t{\"forged\": 1}"])
def test_a_request_id_that_is_not_one_is_replaced(client, capsys, given):
    response = client.get("/healthz", headers={"X-Request-ID": given})
    returned = response.headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", returned) and returned != given
    assert "forged" not in capsys.readouterr().err


def test_other_lines_of_a_request_carry_its_id_and_never_its_digits(app, capsys):
    import logging
    capsys.readouterr()
    with app.test_request_context("/", headers={"X-Request-ID": "request-of-the-test"}):
        app.preprocess_request()
        logging.getLogger("portal.core.sms").warning(
            "SMS to %s failed: card 4111 1111 1111 1111, code 123456", "+380671234567")
    [line] = json_lines(capsys.readouterr().err)
    assert line["request_id"] == "request-of-the-test" and line["level"] == "WARNING"
    assert line["message"] == "SMS to [digits] failed: card [digits], code [digits]"


def test_a_sign_in_a_top_up_and_a_transfer_log_no_secret(app, client, factory, capsys):
    subscriber = factory.subscriber(balance=100000)
    factory.subscriber(number="+380681234567", name="Друг")
    capsys.readouterr()
    assert client.post("/login", data={"login": "0671234567", "password": PASSWORD}
                       ).status_code == 303
    response = client.post("/topup", data={"target": "0671234567", "amount": "150.50",
                                           **CARD})
    code = last_code(app, "+380671234567")
    assert client.post(f"/topup/{payment_key(response)}/confirm", data={"code": code}
                       ).status_code == 303
    review = client.post("/transfer", data={"target": "0681234567", "amount": "50"})
    assert client.post("/transfer", data={"target": "0681234567", "amount": "50",
                                          "number": "+380671234567",
                                          "key": review_key(page(review))}).status_code == 303
    log = capsys.readouterr().err
    lines = json_lines(log)
    assert [(line["message"], line["route"]) for line in lines] == [
        ("request", "/login"), ("request", "/topup"), ("request", "/topup/<key>/confirm"),
        ("request", "/transfer"), ("request", "/transfer")]
    assert {line["profile_id"] for line in lines[1:]} == {subscriber.profile_id}
    for secret in (PASSWORD, code, "4111111111111111", CARD["card_cvv"] + '"', "671234567",
                   "681234567", response.headers.get("Location") or "\x00"):
        assert secret not in log
    assert "67 123 45 67" not in log


# Commands -------------------------------------------------------------------------------

def test_a_command_run_logs_one_line_with_its_run_id(app, capsys):
    capsys.readouterr()
    result = app.test_cli_runner().invoke(args=["send-sms"])
    assert result.exit_code == 0, result.output
    lines = [line for line in json_lines(capsys.readouterr().err + (result.stderr or ""))
             if line["message"] == "command"]
    [line] = lines
    assert line["command"] == "send-sms" and line["outcome"] == "ok"
    assert re.fullmatch(r"[0-9a-f]{32}", line["run_id"]) and line["duration_ms"] >= 0


def test_a_failed_command_run_logs_its_outcome(app, capsys):
    capsys.readouterr()
    result = app.test_cli_runner().invoke(args=["copy-db", "--to", "mysql://x/y"])
    assert result.exit_code == 2
    [line] = [line for line in json_lines(capsys.readouterr().err + (result.stderr or ""))
              if line["message"] == "command"]
    assert (line["command"], line["outcome"]) == ("copy-db", "failed")
