"""Fixtures: an app on a fresh database per test (a tmp-file SQLite, or the PostgreSQL
named by PORTAL_TEST_DATABASE_URL), a test client that sends the CSRF token like a
browser, a clock that moves only when told, and helpers to make subscribers and sign in."""
import os
import re
import uuid
from datetime import date, datetime
from urllib.parse import urlsplit, urlunsplit

import pytest
from flask.testing import FlaskClient
from hypothesis import settings
from itsdangerous import URLSafeTimedSerializer

import models
from portal import create_app
from portal.cli import init_db
from portal.clock import ManualClock

# hypothesis: new examples on every run in development, to keep searching; in CI
# (HYPOTHESIS_PROFILE=ci, set by .ci/run) the same examples every run, so a submission never
# fails on a new draw. No deadline in either: a test never fails for being slow on a busy
# machine (speed lives in bench/).
settings.register_profile("dev", deadline=None)
settings.register_profile("ci", deadline=None, derandomize=True, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

SECRET = "test-secret-key"
START = datetime(2026, 11, 25, 10, 0, 0)
PASSWORD = "Test-pass7"
PG_URL = os.environ.get("PORTAL_TEST_DATABASE_URL", "")


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
        if csrf:
            data = dict(kwargs.pop("data", None) or {})
            data.setdefault("csrf_token", self.csrf_token())
            kwargs["data"] = data
        return super().post(*args, **kwargs)


@pytest.fixture(scope="session")
def pg_database():
    """One PostgreSQL database for this test run (its own, so parallel runs don't meet)."""
    if not PG_URL:
        yield None
        return
    import psycopg2
    parts = urlsplit(PG_URL)
    name = f"portal_test_{os.getpid()}"
    admin = psycopg2.connect(PG_URL)
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(f'CREATE DATABASE "{name}"')
    url = urlunsplit(parts._replace(path="/" + name))
    yield {"url": url, "created": False}
    models.db.close() if models.db.obj is not None and not models.db.is_closed() else None
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


@pytest.fixture
def clock():
    return ManualClock(START)


@pytest.fixture
def app(tmp_path, clock, pg_database):
    url = pg_database["url"] if pg_database else f"sqlite:///{tmp_path / 'portal.db'}"
    app = create_app({
        "TESTING": True,
        "SECRET_KEY": SECRET,
        "DATABASE_URL": url,
        "DEMO": False,
        "PAYMENT_PROVIDER": "demo",
        "CLOCK": clock,
        "PASSWORD_HASH_PARAMS": {"time_cost": 1, "memory_cost": 8, "parallelism": 1},
    })
    app.test_client_class = BrowserClient
    with app.app_context():
        models.db.connect(reuse_if_open=True)
        if pg_database and pg_database["created"]:
            tables = ", ".join(f'"{m._meta.table_name}"' for m in models.all_models())
            models.db.execute_sql(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
        init_db()
        if pg_database:
            pg_database["created"] = True
        models.db.close()
    yield app
    with app.app_context():
        models.db.connect(reuse_if_open=True)
        assert usage_days_as_recorded(), "usage_day differs from the usage records"
    if not models.db.is_closed():
        models.db.close()
    if hasattr(models.db.obj, "close_all"):
        models.db.obj.close_all()  # the pool's idle PostgreSQL connections


def usage_days_as_recorded():
    """Whatever a test did, the days' totals still sum the usage records exactly."""
    kept = {(s, d, t): (n, a) for s, d, t, n, a in models.UsageDay.select(
        models.UsageDay.subscription, models.UsageDay.day, models.UsageDay.type,
        models.UsageDay.records, models.UsageDay.amount).tuples()}
    return kept == models.UsageDay.recount()


@pytest.fixture
def demo_app(app):
    """The app in demo mode (the /demo pages answer)."""
    app.config["DEMO"] = True
    return app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def db(app):
    """The database, connected, for tests that read or write models directly."""
    with app.app_context():
        models.db.connect(reuse_if_open=True)
        yield models.db
        if not models.db.is_closed():
            models.db.close()


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
        from portal.security import hash_password
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


@pytest.fixture
def factory(app):
    return Factory(app)


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


@pytest.fixture
def auth(client):
    return Auth(client)


@pytest.fixture
def subscriber(factory):
    """A signed-up prepaid subscriber, +380671234567, password PASSWORD."""
    return factory.subscriber()


@pytest.fixture
def signed_in(auth, subscriber):
    response = auth.login()
    assert response.status_code == 303, response.get_data(as_text=True)
    return subscriber


def sms_to(app, number):
    """Texts sent to `number`, newest first."""
    with app.app_context():
        models.db.connect(reuse_if_open=True)
        return [m.text for m in models.SmsMessage.newest_first(number)]


def last_code(app, number):
    """The 6-digit code in the newest SMS to `number`."""
    return re.search(r"\b(\d{6})\b", sms_to(app, number)[0]).group(1)
