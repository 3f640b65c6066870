"""Personal API tokens (/profile/tokens) and the read-only balance API (/api/v1/balance):
a token is shown once and kept only as its keyed hash, ten at most a cabinet, revoked by
its own cabinet only; the API answers the token's cabinet's balances as the dashboard and
/settings show them, 401 without a live token, 429 past the rate on any number of servers,
and opens nothing else; its OpenAPI document matches what it answers."""
import hashlib
import hmac
import json
import re
from datetime import date, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
from peewee import CharField, TextField

import models
from portal.demo.loading import load_demo_data
from portal.profile.service import DEMO_TOKEN
from portal.staff.lookup import EVENT_LABELS
from tests.helpers import (
    SECRET,
    START,
    before_migration,
    burst,
    field_error,
    kyiv,
    make_token,
    page,
    upgrade,
)
from tests.test_budgets import QueryCounter

OPENAPI = Path(__file__).resolve().parent.parent / "portal" / "api" / "openapi.json"
TOKEN_SHAPE = re.compile(r"pk_[A-Za-z0-9_-]{43}")


def connect():
    models.db.connect(reuse_if_open=True)


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def call(app, token, **kwargs):
    """The API as a widget calls it: no cookies, the token in the header."""
    return app.test_client().get("/api/v1/balance", headers=bearer(token), **kwargs)


def tokens_of(app, profile_id):
    with app.app_context():
        connect()
        return list(models.ApiToken.of(profile_id))


def events(app, event):
    with app.app_context():
        connect()
        return list(models.AuditEvent.select().where(models.AuditEvent.event == event))


@pytest.fixture
def token(client, signed_in):
    response, token = make_token(client)
    assert response.status_code == 201
    return token


@pytest.fixture
def other_cabinet(app, factory):
    """Someone else's signed-in browser, with a token of theirs."""
    factory.subscriber(number="+380971112233", name="Інна Інша", password="Other-pass9")
    browser = app.test_client()
    assert browser.post("/login", data={"login": "0971112233", "password": "Other-pass9"}
                        ).status_code == 303
    response, token = make_token(browser, "Інни віджет")
    assert response.status_code == 201
    return browser, token


# Making, listing, revoking -----------------------------------------------------------------

def test_a_new_token_is_shown_once_and_listed_without_it(app, client, signed_in):
    response, token = make_token(client, "  kitchen   tablet ")
    assert response.status_code == 201
    assert TOKEN_SHAPE.fullmatch(token)
    listed = page(client.get("/profile/tokens"))
    assert "kitchen tablet" in listed and "never used" in listed
    assert token not in listed and token[3:20] not in listed
    assert "Your tokens: 1 of 10" in listed
    [row] = tokens_of(app, signed_in.profile_id)
    assert (row.name, row.created_at, row.last_used_at) == ("kitchen tablet", START, None)
    assert [e.subject for e in events(app, "api_token_created")] == ["kitchen tablet"]


def test_every_token_is_new(client, signed_in):
    made = {make_token(client, f"widget {index}")[1] for index in range(5)}
    assert len(made) == 5


def test_a_token_is_kept_only_as_its_keyed_hash(app, client, token, signed_in):
    with app.app_context():
        connect()
        [row] = models.ApiToken.of(signed_in.profile_id)
        assert row.digest == hmac.new(SECRET.encode(), token.encode(),
                                      hashlib.sha256).hexdigest()
        assert call(app, token).status_code == 200  # its use writes nothing readable either
        secret_part = token[3:]
        for model in models.all_models():
            columns = [field for field in model._meta.sorted_fields
                       if isinstance(field, (CharField, TextField))]
            for values in model.select(*columns).tuples() if columns else ():
                assert not any(secret_part in (value or "") for value in values), model


def test_the_profile_links_the_tokens_page(client, signed_in):
    assert 'href="/profile/tokens"' in page(client.get("/profile"))


@pytest.mark.parametrize("name,message", [
    ("", "Give the token a name"), ("   ", "Give the token a name"),
    ("x" * 41, "At most 40 characters."), ("bell\x07", "Use letters, digits"),
    ("zero\u200bwidth", "Use letters, digits")])
def test_a_bad_name_is_refused_at_its_field(app, client, signed_in, name, message):
    response, shown = make_token(client, name)
    assert response.status_code == 422 and shown is None
    assert message in field_error(page(response), "name")
    assert tokens_of(app, signed_in.profile_id) == []


def test_the_name_field_says_what_it_takes(client, signed_in):
    html = page(client.get("/profile/tokens"))
    assert re.search(r'<input[^>]*id="name"[^>]*maxlength="40"', html)
    assert re.search(r'<input[^>]*id="name"[^>]*required', html)


def test_a_cabinet_keeps_ten_tokens_at_most(app, client, signed_in):
    for index in range(10):
        assert make_token(client, f"widget {index}")[0].status_code == 201
    response, shown = make_token(client, "one more")
    assert response.status_code == 409 and shown is None
    assert "A cabinet keeps at most 10 tokens." in page(response)
    assert 'role="alert"' in page(response)
    assert len(tokens_of(app, signed_in.profile_id)) == 10
    first = tokens_of(app, signed_in.profile_id)[0]
    assert client.post(f"/profile/tokens/{first.id}/revoke", data={"confirmed": "yes"}).status_code == 303
    assert make_token(client, "one more")[0].status_code == 201


def test_a_burst_of_new_tokens_makes_ten_at_most(app, second_node, signed_in):
    browsers = [(app if index % 2 == 0 else second_node).test_client() for index in range(14)]
    for browser in browsers:
        assert browser.post("/login", data={"login": "0671234567", "password": "Test-pass7"}
                            ).status_code == 303
    statuses = burst(14, lambda i: make_token(browsers[i], f"widget {i}")[0].status_code)
    assert sorted(statuses) == [201] * 10 + [409] * 4
    assert len(tokens_of(app, signed_in.profile_id)) == 10


def test_a_revoked_token_opens_nothing(app, client, token, signed_in):
    assert call(app, token).status_code == 200
    [row] = tokens_of(app, signed_in.profile_id)
    response = client.post(f"/profile/tokens/{row.id}/revoke", data={"confirmed": "yes"})
    assert response.status_code == 303
    assert response.headers["Location"] == "/profile/tokens"
    listed = page(client.get(response.headers["Location"]))
    assert "The token is revoked." in listed and "kitchen tablet" not in listed
    assert call(app, token).status_code == 401
    assert [e.subject for e in events(app, "api_token_revoked")] == ["kitchen tablet"]
    assert client.post(f"/profile/tokens/{row.id}/revoke", data={"confirmed": "yes"}).status_code == 404


def test_another_cabinets_token_is_no_such_token(app, client, token, signed_in, other_cabinet):
    _browser, theirs = other_cabinet
    with app.app_context():
        connect()
        their_row = models.ApiToken.get(models.ApiToken.profile != signed_in.profile_id)
    for token_id in (their_row.id, their_row.id + 100, 2**63 - 1):
        assert client.post(f"/profile/tokens/{token_id}/revoke", data={"confirmed": "yes"}).status_code == 404
    assert call(app, theirs).status_code == 200
    assert "Інни віджет" not in page(client.get("/profile/tokens"))
    assert events(app, "api_token_revoked") == []


def test_the_tokens_pages_are_for_signed_in_subscribers(app, client, token, signed_in):
    [row] = tokens_of(app, signed_in.profile_id)
    stranger = app.test_client()
    assert stranger.get("/profile/tokens").status_code == 303
    assert stranger.post("/profile/tokens", data={"name": "x"}).status_code == 303
    assert stranger.post(f"/profile/tokens/{row.id}/revoke", data={"confirmed": "yes"}).status_code == 303
    assert len(tokens_of(app, signed_in.profile_id)) == 1


def test_tokens_end_with_their_cabinet(app, token, signed_in):
    with app.app_context():
        connect()
        models.Profile.delete().where(models.Profile.id == signed_in.profile_id).execute()
        assert models.ApiToken.select().count() == 0


def test_the_audit_log_names_the_token_events():
    assert {"api_token_created", "api_token_revoked"} <= set(EVENT_LABELS)


# Who gets in -------------------------------------------------------------------------------

def test_401_is_json_with_a_bearer_challenge(app):
    response = app.test_client().get("/api/v1/balance")
    assert response.status_code == 401
    assert response.mimetype == "application/json"
    assert set(response.get_json()) == {"error"}
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("header", [
    None, "", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Token {token}", "{token}",
    "Bearer pk_" + "A" * 43, "Bearer {token}x", "Bearer {rest}", "Bearer {token} {token}"])
def test_no_live_token_no_balance(app, token, header):
    headers = {} if header is None else {
        "Authorization": header.format(token=token, rest=token[3:])}
    response = app.test_client().get("/api/v1/balance", headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert "error" in response.get_json()


def test_the_scheme_is_case_insensitive(app, token):
    assert app.test_client().get("/api/v1/balance", headers={
        "Authorization": f"bearer {token}"}).status_code == 200


def test_a_session_cookie_opens_no_api(app, client, token, signed_in):
    assert call(app, token).status_code == 200
    response = client.get("/api/v1/balance")
    assert response.status_code == 401 and response.mimetype == "application/json"


def test_a_cabinet_still_to_confirm_gets_401_from_the_api(app, client, factory):
    """A sign-in that must still confirm the cabinet is sent to /first-login on pages; the
    API reads no session and answers for the token alone."""
    factory.subscriber(number="+380971112233", password=None)
    with app.app_context():
        connect()
        profile = models.Subscription.get(models.Subscription.number == "+380971112233").profile
        models.AuthSession.create(token="t" * 43, profile=profile, must_confirm=True,
                                  created_at=START, last_seen_at=START)
    with client.session_transaction() as session:
        session["_user_id"] = "t" * 43
    assert client.get("/").status_code == 303
    assert client.get("/api/v1/balance").status_code == 401


@pytest.mark.parametrize("path", ["/", "/profile", "/profile/tokens", "/settings", "/expenses",
                                  "/transfer"])
def test_a_token_opens_no_page(app, token, path):
    response = app.test_client().get(path, headers=bearer(token))
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/login")


def test_a_token_makes_no_change(app, token, signed_in):
    response = app.test_client().post("/profile/tokens", data={"name": "x"},
                                      headers=bearer(token))
    assert response.status_code == 303  # to the sign-in page
    assert response.headers["Location"].startswith("/login")
    assert len(tokens_of(app, signed_in.profile_id)) == 1


def test_the_api_needs_no_csrf_and_sets_no_cookie(app, token):
    response = call(app, token)
    assert response.status_code == 200 and "Set-Cookie" not in response.headers
    assert app.test_client().post("/api/v1/balance", headers=bearer(token)).status_code == 405


@pytest.mark.parametrize("query", ["x=1", "number=%2B380671234567", "_=123"])
def test_the_api_takes_no_query_parameters(app, token, query):
    response = app.test_client().get(f"/api/v1/balance?{query}", headers=bearer(token))
    assert response.status_code == 400 and "error" in response.get_json()


def test_hostile_input_gets_a_json_refusal(app, token):
    widget = app.test_client()
    response = widget.get("/api/v1/balance?a=%00", headers=bearer(token))
    assert response.status_code == 400 and "error" in response.get_json()
    for header in ("Bearer " + "x" * 100_000, "Bearer pk_\x00" + "a" * 40,
                   "Bearer " + token + "\u00e9", "\u00e9" * 1000):
        response = widget.get("/api/v1/balance", headers={"Authorization": header})
        assert response.status_code == 401, header[:20]


# The rate -----------------------------------------------------------------------------------

def test_sixty_calls_a_minute_then_429_until_the_next(app, token, clock):
    assert [call(app, token).status_code for _ in range(60)] == [200] * 60
    clock.advance(seconds=15)
    response = call(app, token)
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "45"
    assert response.headers["Cache-Control"] == "no-store"
    assert "60 a minute" in response.get_json()["error"]
    clock.set(kyiv(2026, 11, 25, 10, 1))
    assert call(app, token).status_code == 200


def test_no_minute_across_a_window_edge_holds_more_than_sixty(app, second_node, token, clock):
    """The probe: fixed windows let 120 calls through in 6.5 s around a minute's edge. Now
    60 at 10:00:57 on two servers, and the next minute's start lets none more in until
    10:01:57, when the first leave."""
    widgets = [(app if index % 2 == 0 else second_node).test_client() for index in range(60)]
    clock.set(kyiv(2026, 11, 25, 10, 0, 57))
    statuses = burst(60, lambda i: widgets[i].get("/api/v1/balance",
                                                  headers=bearer(token)).status_code)
    assert statuses == [200] * 60
    clock.set(kyiv(2026, 11, 25, 10, 1, 3))
    response = call(app, token)
    assert response.status_code == 429 and response.headers["Retry-After"] == "54"
    clock.set(kyiv(2026, 11, 25, 10, 1, 57))
    assert call(app, token).status_code == 200


def test_each_token_has_its_own_rate(app, client, token):
    _response, second = make_token(client, "another widget")
    for _ in range(61):
        call(app, token)
    assert call(app, token).status_code == 429
    assert call(app, second).status_code == 200


def test_the_rate_is_shared_by_every_server_in_a_burst(app, second_node, token):
    widgets = [(app if index % 2 == 0 else second_node).test_client() for index in range(24)]
    for index in range(50):
        assert widgets[index % 2].get("/api/v1/balance", headers=bearer(token)).status_code == 200
    statuses = burst(24, lambda i: widgets[i].get("/api/v1/balance",
                                                  headers=bearer(token)).status_code)
    assert sorted(statuses) == [200] * 10 + [429] * 14


def test_last_use_is_written_at_most_once_a_minute(app, client, token, clock, signed_in):
    def last_used():
        return tokens_of(app, signed_in.profile_id)[0].last_used_at

    def updates():
        with app.app_context(), QueryCounter(models.db.obj) as counter:
            assert call(app, token).status_code == 200
        return [sql for sql in counter.statements
                if sql.lstrip().upper().startswith("UPDATE") and "api_token" in sql]

    assert len(updates()) == 1 and last_used() == START
    clock.advance(seconds=59)
    assert updates() == [] and last_used() == START
    clock.advance(seconds=1)
    assert len(updates()) == 1 and last_used() == START + timedelta(minutes=1)
    assert "last used 25.11.2026 10:01" in page(client.get("/profile/tokens"))


# What it answers ------------------------------------------------------------------------------

@pytest.fixture
def full_cabinet(app, factory, signed_in):
    """A mobile number in each state, a Home Internet account, a number managed from
    another cabinet; moved bonuses (one move past its 20 days) and a top-up."""
    profile = signed_in.profile_id
    number = lambda last, **kw: factory.subscriber(number=f"+38067123{last}", profile=profile,
                                                   **kw)
    number("4568", status="suspended", balance=0)
    number("4569", status="debt_blocked", payment="contract", balance=-12050, tariff="unlim")
    sim = number("4570", balance=500)
    number("4571", status="closed", balance=0)
    account = factory.account(profile, bonus_balance=25000)
    managed = factory.subscriber(number="+380971112233", name="Мама", password="Other-pass9",
                                 payment="contract", tariff="unlim", balance=7525)
    with app.app_context():
        connect()
        models.Subscription.update(sim_blocked=True).where(
            models.Subscription.id == sim.id).execute()
        models.Subscription.update(bonus_balance=5000).where(
            models.Subscription.id == signed_in.id).execute()
        models.ManagedNumber.create(profile=profile, subscription=managed.id, added_at=START)
        models.UsageRecord.create(subscription=signed_in.id, started_at=datetime(
            2026, 10, 5, 9, 0), type="topup", quantity=1, amount=-5000)
        for arrived, amount in ((date(2026, 11, 1), 3000), (date(2026, 11, 20), 1000)):
            move = models.Transfer.create(
                key=f"move-{arrived}", kind="bonus", source=account.id, target=signed_in.id,
                profile=profile, amount=amount, created_at=datetime.combine(arrived,
                                                                            datetime.min.time()))
            models.BonusLot.create(subscription=signed_in.id, transfer=move, amount=amount,
                                   arrived_on=arrived, lapses_on=arrived + timedelta(days=20))
    return account


def entry(number, kind="mobile", balance="0.00", bonus="0.00", state="active", valid=None):
    return {"number": number, "kind": kind, "balance": balance, "bonus_balance": bonus,
            "state": state, "valid_until": valid}


def test_the_balances_of_the_tokens_cabinet(app, token, full_cabinet):
    response = call(app, token)
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.get_json() == {"numbers": [
        # 30 moved bonuses lapsed on the 21st (not yet taken off by the nightly run).
        entry("+380671234567", balance="100.00", bonus="20.00", valid="2027-10-05"),
        entry("+380671234568", state="suspended", valid="2023-01-01"),
        entry("+380671234569", balance="-120.50", state="debt_blocked"),
        entry("+380671234570", balance="5.00", state="sim_blocked", valid="2023-01-01"),
        entry("+380671234571", state="closed"),
        entry("+380971112233", balance="75.25"),
        entry(full_cabinet.number, kind="home_internet", balance="100.00", bonus="250.00"),
    ]}


class DataValues(HTMLParser):
    """The value of every <data> element with an id."""

    def __init__(self, html):
        super().__init__()
        self.values = {}
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "data" and "id" in attrs:
            self.values[attrs["id"]] = attrs.get("value")


def test_the_api_says_what_the_dashboard_and_settings_show(app, client, token, full_cabinet):
    for shown in call(app, token).get_json()["numbers"]:
        assert client.post("/numbers/select", data={"number": shown["number"]}
                           ).status_code == 303
        dashboard = DataValues(page(client.get("/"))).values
        settings = DataValues(page(client.get("/settings"))).values
        assert (dashboard["balance"], dashboard["bonus-balance"], dashboard["state"],
                settings.get("valid-until")) == (shown["balance"], shown["bonus_balance"],
                                                 shown["state"], shown["valid_until"])


def test_a_cabinet_with_nothing_left_has_no_numbers(app, token, signed_in):
    with app.app_context():
        connect()
        models.Subscription.delete().execute()
    assert call(app, token).get_json() == {"numbers": []}


@pytest.mark.parametrize("numbers", [1, 8])
def test_a_few_queries_however_many_numbers(app, factory, token, signed_in, numbers):
    for index in range(1, numbers):
        factory.subscriber(number=f"+3806712300{index:02d}", profile=signed_in.profile_id)
    call(app, token)  # the first writes down the token's use
    with app.app_context(), QueryCounter(models.db.obj) as counter:
        assert len(call(app, token).get_json()["numbers"]) == numbers
    # The token, the count of its calls in the last minute and this call (under the
    # token's lock on PostgreSQL), the numbers, their moved bonuses, their top-ups.
    assert len(counter.statements) == (6 if models.is_sqlite() else 7), counter.statements


# The demo token ------------------------------------------------------------------------------

def test_the_demo_token_opens_olenas_balances_in_demo_mode_only(demo_app):
    with demo_app.app_context():
        connect()
        load_demo_data()
        load_demo_data()  # safe to run again: still one token
        assert models.ApiToken.select().count() == 1
    response = call(demo_app, DEMO_TOKEN)
    assert response.status_code == 200
    assert [n["number"] for n in response.get_json()["numbers"]] == [
        "+380671234567", "+380971112233", "10000001"]
    demo_app.config["DEMO"] = False
    assert call(demo_app, DEMO_TOKEN).status_code == 401


# The OpenAPI document --------------------------------------------------------------------------

def schema_errors(value, schema, document, where="$"):
    """What in `value` breaks `schema` (the JSON Schema keywords the document uses)."""
    if "$ref" in schema:
        target = document
        for part in schema["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        return schema_errors(value, target, document, where)
    names = {"object": dict, "array": list, "string": str, "integer": int, "null": type(None)}
    types = schema.get("type")
    if types is not None:
        allowed = types if isinstance(types, list) else [types]
        if not any(isinstance(value, names[name]) and not isinstance(value, bool)
                   for name in allowed):
            return [f"{where}: {value!r} is not {types}"]
    errors = []
    if "enum" in schema and value not in schema["enum"]:
        errors.append(f"{where}: {value!r} not in {schema['enum']}")
    if "const" in schema and value != schema["const"]:
        errors.append(f"{where}: {value!r} is not {schema['const']!r}")
    if isinstance(value, str) and "pattern" in schema and not re.search(schema["pattern"], value):
        errors.append(f"{where}: {value!r} does not match {schema['pattern']}")
    if isinstance(value, int) and value < schema.get("minimum", value):
        errors.append(f"{where}: {value} is below {schema['minimum']}")
    if isinstance(value, dict):
        errors += [f"{where}: {name} is missing" for name in schema.get("required", [])
                   if name not in value]
        properties = schema.get("properties", {})
        if schema.get("additionalProperties") is False:
            errors += [f"{where}: {name} is not described" for name in value
                       if name not in properties]
        for name, item in value.items():
            if name in properties:
                errors += schema_errors(item, properties[name], document, f"{where}.{name}")
    if isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            errors += schema_errors(item, schema["items"], document, f"{where}[{index}]")
    return errors


def answer_errors(response, document):
    """What in an API answer (status, headers, JSON body) the document does not describe."""
    described = document["paths"]["/balance"]["get"]["responses"].get(str(response.status_code))
    if described is None:
        return [f"status {response.status_code} is not described"]
    errors = schema_errors(response.get_json(), described["content"]["application/json"][
        "schema"], document)
    for name, header in described.get("headers", {}).items():
        if "$ref" in header:
            header = document["components"]["headers"][header["$ref"].rsplit("/", 1)[1]]
        header_schema = header["schema"]
        value = response.headers.get(name)
        if value is None:
            errors.append(f"header {name} is missing")
            continue
        if header_schema.get("type") == "integer":
            value = int(value) if value.isdigit() else value
        errors += schema_errors(value, header_schema, document, name)
    return errors


def test_the_openapi_document_is_served_as_kept(app):
    response = app.test_client().get("/api/v1/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    document = response.get_json()
    assert document == json.loads(OPENAPI.read_text())
    assert document["openapi"].startswith("3.1")
    assert set(document["paths"]) == {"/balance"}


def test_the_openapi_document_describes_every_answer(app, client, token, full_cabinet, clock):
    document = json.loads(OPENAPI.read_text())
    answers = [call(app, token), app.test_client().get("/api/v1/balance"),
               call(app, token, query_string={"x": "1"})]
    while answers[-1].status_code != 429:
        answers.append(call(app, token))
    assert {answer.status_code for answer in answers} == {200, 400, 401, 429}
    for answer in answers:
        assert answer_errors(answer, document) == [], answer.status_code


def test_the_schema_check_finds_what_is_wrong(app, token):
    document = json.loads(OPENAPI.read_text())
    number = entry("+380671234567")
    wrong = [{"numbers": [dict(number, balance="12,50")]},
             {"numbers": [dict(number, state="blocked")]},
             {"numbers": [dict(number, valid_until=20271005)]},
             {"numbers": [dict(number, extra=1)]},
             {"numbers": [{k: v for k, v in number.items() if k != "kind"}]},
             {"numbers": {}}]
    balance = {"$ref": "#/components/schemas/Balance"}
    assert schema_errors({"numbers": [number]}, balance, document) == []
    for value in wrong:
        assert schema_errors(value, balance, document), value


def test_an_older_database_moves_its_running_api_counts(app, db, clock):
    """Before migration 0005 the calls were counted among the SMS counts: init-db gives
    them their own table and keeps the minute that is running."""
    before_migration("0005_api_call_count", 'DROP TABLE "api_call_count"')
    models.SmsCount.insert(key="api:" + "d" * 64, window_start=clock.now(), count=7).execute()
    models.SmsCount.insert(key="to:+380671234567", window_start=clock.now(), count=2).execute()
    upgrade(app)
    assert models.ApiCallCount.current("d" * 64, clock.now()) == 7
    assert [row.key for row in models.SmsCount.select()] == ["to:+380671234567"]


# HEAD and OPTIONS ---------------------------------------------------------------------------

def test_head_and_options_count_against_no_rate(app, token):
    widget = app.test_client()
    for _ in range(100):
        assert widget.head("/api/v1/balance", headers=bearer(token)).status_code == 200
        response = widget.options("/api/v1/balance", headers=bearer(token))
        assert response.status_code == 200 and response.mimetype == "application/json"
    assert [call(app, token).status_code for _ in range(60)] == [200] * 60
    assert call(app, token).status_code == 429


def test_head_without_a_live_token_is_a_json_401(app):
    response = app.test_client().head("/api/v1/balance")
    assert response.status_code == 401 and response.mimetype == "application/json"


@pytest.mark.parametrize("path", ["/api/v1/balance", "/api/v1/openapi.json"])
def test_options_answers_json_with_allow(app, path):
    response = app.test_client().options(path)
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}
    assert set(response.get_json()["methods"]) == {"GET", "HEAD", "OPTIONS"}


# Tokens end with the cabinet's sessions ----------------------------------------------------

def test_a_password_change_revokes_every_token(app, client, token, other_cabinet):
    _browser, others = other_cabinet
    assert make_token(client, "second")[0].status_code == 201
    assert call(app, token).status_code == 200
    response = client.post("/password", data={
        "current_password": "Test-pass7", "new_password": "Brand-new-pass5",
        "new_password_confirm": "Brand-new-pass5"})
    assert response.status_code == 303
    assert call(app, token).status_code == 401
    assert "API token is revoked" in page(client.get("/password"))
    assert call(app, others).status_code == 200  # another cabinet's token lives on


def test_sign_out_everywhere_revokes_every_token(app, client, token, signed_in):
    assert call(app, token).status_code == 200
    asked = client.post("/profile/sessions/end-all")  # the question first: nothing ends
    assert asked.status_code == 200 and call(app, token).status_code == 200
    assert "every API token" in page(asked)
    assert client.post("/profile/sessions/end-all", data={"confirmed": "yes"}).status_code == 303
    assert call(app, token).status_code == 401
    assert tokens_of(app, signed_in.profile_id) == []
    assert "ended 1 sessions, revoked 1 API tokens" in events(app, "signed_out_everywhere")[
        -1].details


def test_the_pages_say_so_before_the_subscriber_confirms(client, signed_in):
    assert "revokes every API token" in page(client.get("/password"))
    assert "revokes every API token" in page(client.get("/profile"))
    assert "revokes every token" in page(client.get("/profile/tokens"))


def test_a_wrong_current_password_revokes_nothing(app, client, token):
    response = client.post("/password", data={
        "current_password": "Wrong-pass7", "new_password": "Brand-new-pass5",
        "new_password_confirm": "Brand-new-pass5"})
    assert response.status_code == 422
    assert call(app, token).status_code == 200
