"""What the tests share besides fixtures: the test client that posts like a browser, the
factory of subscribers, signing in, the SMS the portal sent, and the constants."""
import os
import re
import threading
import uuid
from contextlib import contextmanager
from datetime import date, datetime
from html.parser import HTMLParser
from urllib.parse import urlsplit, urlunsplit

import pyotp
from flask.testing import FlaskClient
from itsdangerous import URLSafeTimedSerializer

import models
from rules.dates import instant, local

SECRET = "test-secret-key"
PASSWORD = "Test-pass7"
STAFF_PASSWORD = "Staff-pass9"
# The tests' staff users' second factor (portal/staff/service.py): every staff sign-in a
# test posts carries its current code unless the test gives a `code` of its own.
STAFF_TOTP_SECRET = "TESTSTAFFTOTPSECRETFORTHETESTS23"
PG_URL = os.environ.get("PORTAL_TEST_DATABASE_URL", "")


def kyiv(*parts):
    """The instant at a Kyiv wall time: kyiv(2026, 11, 25, 10, 0)."""
    return instant(datetime(*parts))


START = kyiv(2026, 11, 25, 10, 0, 0)  # the test clock's first moment


@contextmanager
def new_postgresql_database(prefix):
    """The URL of a new, empty database on the suite's PostgreSQL server (PG_URL), named
    `prefix` and this worker's own suffix; dropped afterwards, whoever is still on it."""
    import psycopg2
    name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = psycopg2.connect(PG_URL)
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"')
        yield urlunsplit(urlsplit(PG_URL)._replace(path="/" + name))
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def as_kept_before(table, column, where_id, wall=None):
    """Rewrite one row's time as the portal kept it before migration 0014: Kyiv wall time."""
    if wall is None:
        model = next(m for m in models.all_models() if m._meta.table_name == table)
        wall = local(getattr(model.get_by_id(where_id), column)).replace(tzinfo=None)
    mark = models.db.obj.param
    models.db.execute_sql(f'UPDATE "{table}" SET "{column}" = {mark} WHERE id = {mark}',
                          (wall.isoformat(sep=" "), where_id))


def page(response):
    return response.get_data(as_text=True)


class BrowserClient(FlaskClient):
    """Posts carry the session's CSRF token, as a browser's form would; pass
    `csrf=False` to leave it out. Pages come in English unless a test asks otherwise."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"

    def csrf_token(self):
        with self.session_transaction() as session:
            raw = session.setdefault("csrf_token", uuid.uuid4().hex)
        return URLSafeTimedSerializer(SECRET, salt="wtf-csrf-token").dumps(raw)

    def post(self, *args, csrf=True, **kwargs):
        data = kwargs.get("data")
        if args and args[0] == "/staff" and isinstance(data, dict) and "password" in data:
            kwargs["data"] = {"code": self.staff_code(data.get("login")), **data}
        if csrf:
            data = dict(kwargs.pop("data", None) or {})
            data.setdefault("csrf_token", self.csrf_token())
            kwargs["data"] = data
        return super().post(*args, **kwargs)

    def staff_code(self, login):
        """The code staff `login`'s authenticator app shows at the app's "now" (its secret
        as create-staff or the demo set it; the tests' own for a login nobody has)."""
        from portal.core.totp import unseal
        app = self.application
        with app.app_context():
            models.db.connect(reuse_if_open=True)
            staff = models.StaffUser.get_or_none(
                models.StaffUser.login == str(login or "").strip().lower()[:64])
            secret = unseal(staff.totp_secret) if staff and staff.totp_secret else None
            now = app.config["CLOCK"].now()
        return totp_code(now, secret or STAFF_TOTP_SECRET)


class RecordingGateway:
    """The SMS gateway of the tests: keeps every text it is handed, whole (what the outbox
    keeps has its codes masked outside demo mode)."""

    name = "recording"

    def __init__(self):
        self.sent = []
        self.lock = threading.Lock()

    def deliver(self, to, text):
        with self.lock:
            self.sent.append((to, text))


class Factory:
    """Makes profiles and subscriptions the way the subscriber feed would."""

    def __init__(self, app):
        self.app = app
        self._accounts = iter(range(20000000, 29999999))

    def subscriber(self, number="+380671234567", kind="mobile", tariff="smart",
                   payment="prepaid", customer="individual", status="active", balance=10000,
                   bonus_balance=0, profile=None, name="Тест Тестенко", password=PASSWORD,
                   activated_on=date(2022, 1, 1)):
        """A subscription (in `profile`, or a new one with `password`); returns it."""
        from portal.core.security import hash_password
        with self.app.app_context():
            models.db.connect(reuse_if_open=True)
            if profile is None:
                profile = models.Profile.create(
                    name=name, created_at=START, confirmed_at=START if password else None,
                    password_hash=hash_password(password) if password else None)
            subscription = models.Subscription.create(
                number=number, kind=kind, profile=profile, tariff=tariff, holder_name=name,
                payment=payment, customer=customer, status=status, balance=balance,
                bonus_balance=bonus_balance, activated_on=activated_on)
            return subscription

    def account(self, profile, **kwargs):
        """A Home Internet account in `profile`."""
        kwargs.setdefault("tariff", "fast")
        kwargs.setdefault("payment", "contract")
        return self.subscriber(number=str(next(self._accounts)), kind="home_internet",
                               profile=profile, **kwargs)


class Auth:
    def __init__(self, client):
        self.client = client

    def login(self, login="0671234567", password=PASSWORD, remember=False, **kwargs):
        data = {"login": login, "password": password}
        if remember:
            data["remember"] = "y"
        return self.client.post("/login", data=data, **kwargs)

    def logout(self):
        return self.client.post("/logout")


def totp_code(moment, secret=STAFF_TOTP_SECRET):
    """The code an authenticator app with `secret` shows at `moment` (an instant, or a
    naive Kyiv wall time)."""
    return pyotp.TOTP(secret).at(instant(moment).timestamp())


def staff_secret():
    """STAFF_TOTP_SECRET sealed as create-staff keeps it (inside an app context)."""
    from portal.core.totp import seal
    return seal(STAFF_TOTP_SECRET)


def sms_to(app, number):
    """Texts the gateway was handed for `number`, newest first."""
    return [text for to, text in reversed(app.config["SMS_GATEWAY"].sent) if to == number]


def last_code(app, number):
    """The 6-digit code in the newest SMS to `number`."""
    return re.search(r"\b(\d{6})\b", sms_to(app, number)[0]).group(1)


class _Elements(HTMLParser):
    """Every element's attributes by id, and the text inside each element with an id."""

    def __init__(self):
        super().__init__()
        self.by_id, self.texts, self._open = {}, {}, []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.by_id[attrs["id"]] = attrs
            self.texts.setdefault(attrs["id"], "")
        if tag not in ("input", "br", "img", "meta", "link"):
            self._open.append(attrs.get("id"))

    def handle_endtag(self, tag):
        if tag not in ("input", "br", "img", "meta", "link") and self._open:
            self._open.pop()

    def handle_data(self, data):
        for element_id in self._open:
            if element_id:
                self.texts[element_id] += data


def field_error(html, field_id):
    """The error message tied to the field `field_id` (aria-invalid, aria-describedby
    naming the element that holds it), or None when the field carries no error."""
    parsed = _Elements()
    parsed.feed(html)
    attrs = parsed.by_id.get(field_id)
    if attrs is None or attrs.get("aria-invalid") != "true":
        return None
    error_id = f"{field_id}-error"
    if error_id not in (attrs.get("aria-describedby") or "").split():
        return None
    return " ".join(parsed.texts.get(error_id, "").split())


def burst(count, action):
    """Run `action(index)` in `count` threads released at the same moment (a barrier);
    returns the results in index order. The threads' own database connections are closed
    when they end."""
    results, start = [None] * count, threading.Barrier(count)

    def run(index):
        start.wait()
        try:
            results[index] = action(index)
        finally:
            if not models.db.is_closed():
                models.db.close()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def review_key(html):
    """The one-time key of a review step's confirmation form."""
    return re.search(r'name="key" value="([0-9a-f]{32})"', html).group(1)


def connect_service(client, code, **data):
    """Connect a service as a subscriber does: the review, then its confirmation."""
    review = client.post(f"/services/{code}/connect", data=data)
    if review.status_code != 200:
        return review
    return client.post(f"/services/{code}/connect", data={**data, "key": review_key(page(review))})



def make_token(client, name="kitchen tablet"):
    """Make an API token in the signed-in cabinet; returns (the answer, the token shown)."""
    response = client.post("/profile/tokens", data={"name": name})
    shown = re.search(r'<output id="token"[^>]*>([^<]*)</output>', page(response))
    return response, shown.group(1) if shown else None


def widget_token(app, login="0671234567"):
    """A live API token of `login`'s cabinet, made by its owner signed in on a client of
    its own (the test's client stays signed out)."""
    owner = app.test_client()
    assert Auth(owner).login(login).status_code == 303
    return make_token(owner, "widget")[1]


def before_migration(migration, *undo):
    """The database as it was before `migration`: the statements `undo` take back what it
    did, and its mark in schema_migration is forgotten, so init-db applies it again."""
    for statement in undo:
        models.db.execute_sql(statement)
    models.db.execute_sql(
        f"DELETE FROM schema_migration WHERE name = {models.db.obj.param}", (migration,))


def upgrade(app):
    """Run init-db as an upgrade does (it must succeed); the test's connection is open
    again after it. Returns click's result."""
    result = app.test_cli_runner().invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    models.db.connect(reuse_if_open=True)
    return result


def month_of_usage(year, month, last_day):
    """A mobile number's month, one record of each kind (started_at, type, counterpart,
    quantity, kopiyky): the monthly fee in its first seconds, calls, an SMS, internet, a
    service and its refund, a top-up, money sent and received, and a call that ends the
    month's records in the last microsecond of `last_day`. Times carry fractions of a
    second, as the billing's do."""
    return [
        (kyiv(year, month, 1, 0, 0, 5, 250000), "subscription", "smart", 1, 16500),
        (kyiv(year, month, 3, 9, 15, 2, 125000), "call_out", "+380501112233", 125, 450),
        (kyiv(year, month, 3, 9, 30), "call_in", "+380671112233", 61, 0),
        (kyiv(year, month, 3, 11, 0), "sms_out", "+380501112233", 1, 80),
        (kyiv(year, month, 10, 8, 0), "internet", "internet", 20480, 1001),
        (kyiv(year, month, 12, 12, 0), "service", "Хто дзвонив", 1, 999),
        (kyiv(year, month, 13, 12, 0), "service", "Повернення", 1, -333),
        (kyiv(year, month, 15, 18, 0), "topup", "card", 1, -20000),
        (kyiv(year, month, 16, 18, 0), "transfer_out", "+380971112233", 1, 2501),
        (kyiv(year, month, 17, 18, 0), "transfer_in", "+380971112233", 1, -1234),
        (kyiv(year, month, last_day, 23, 59, 59, 999999), "call_out", "+380631112233",
         3599, 5399),
    ]


def run_import(app, tmp_path, command, text):
    """The feed import `command` (import-subscribers, import-usage) run on `text` written
    to feed.csv, as an operator runs it; returns click's result."""
    feed = tmp_path / "feed.csv"
    feed.write_text(text, encoding="utf-8")
    return app.test_cli_runner().invoke(args=[command, str(feed)])

# The bombing tests' victim (tests/test_abuse.py, tests/test_sms_budget.py) and a test card.
VICTIM = "+380961112233"
CARD = {"card_number": "4111 1111 1111 1111", "card_expiry": "08/28",
        "card_holder": "OLENA KOVALENKO", "card_cvv": "123"}


def top_up(client, payer=VICTIM, target=VICTIM[1:], amount="1", **fields):
    """A card top-up started (its code goes by SMS to `payer`, the payer's phone)."""
    return client.post("/topup", data={"target": target, "amount": amount,
                                       "payer_phone": payer, **CARD, **fields})


def payment_key(response):
    """The key of the card top-up a response started (in its confirmation's address)."""
    return re.search(r"/topup/([\w-]+)/confirm", page(response)).group(1)


def confirmed_top_up(app, client, target, amount, code_to, **fields):
    """A card top-up started and confirmed with the code the SMS to `code_to` carried."""
    started = client.post("/topup", data={"target": target, "amount": amount, **CARD, **fields})
    return client.post(f"/topup/{payment_key(started)}/confirm",
                       data={"code": last_code(app, code_to)})


def nodes(app, second_node, count):
    """`count` browsers, alternately on the two nodes."""
    return [(app if index % 2 == 0 else second_node).test_client() for index in range(count)]


def full_until(app, client, clock, until, shown):
    """The victim's phone has had its five codes: a sixth (a registration's) is refused
    (429, the page saying when, as `shown`) and sent none, until `until`; then it goes."""
    refused = client.post("/register", data={"login": VICTIM})
    assert refused.status_code == 429 and shown in page(refused)
    assert len(sms_to(app, VICTIM)) == 5
    clock.set(until)
    assert client.post("/register", data={"login": VICTIM}).status_code == 200


def codes_at_once(app, second_node, factory, count):
    """`count` subscribers' numbers each asked for a sign-in code at the same moment,
    alternately on the two nodes (from one client address); returns the statuses."""
    numbers = [f"+3806755501{index:02d}" for index in range(count)]
    for number in numbers:
        factory.subscriber(number=number)
    browsers = nodes(app, second_node, count)
    return burst(count, lambda i: browsers[i].post(
        "/login/sms", data={"login": numbers[i]}).status_code)
