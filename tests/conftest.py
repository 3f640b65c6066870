"""Fixtures: an app on a fresh database per test (a tmp-file SQLite, or the PostgreSQL
named by PORTAL_TEST_DATABASE_URL), a test client that sends the CSRF token like a
browser, a clock that moves only when told, and helpers to make subscribers and sign in."""
import os
from urllib.parse import urlsplit, urlunsplit

import pytest
from hypothesis import settings

import models
from portal import create_app
from portal.core import security
from portal.core.clock import ManualClock
from portal.database.service import init_db
from tests.helpers import (
    PG_URL,
    SECRET,
    STAFF_PASSWORD,
    START,
    Auth,
    BrowserClient,
    Factory,
    RecordingGateway,
    staff_secret,
)

# The LiqPay stand-in's fixture, `liqpay_standin` (tests/liqpay_standin/, docs/payments.md).
pytest_plugins = ["tests.liqpay_standin"]

# hypothesis: new examples on every run in development, to keep searching; in CI
# (HYPOTHESIS_PROFILE=ci, set by .ci/run) the same examples every run, so a submission never
# fails on a new draw. No deadline in either: a test never fails for being slow on a busy
# machine (speed lives in bench/).
settings.register_profile("dev", deadline=None)
settings.register_profile("ci", deadline=None, derandomize=True, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

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
        "SMS_GATEWAY": RecordingGateway(),
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
def demo(demo_app):
    """The demo app with the whole demo data set loaded."""
    from portal.demo.loading import load_demo_data
    with demo_app.app_context():
        models.db.connect(reuse_if_open=True)
        load_demo_data()
        models.db.close()
    return demo_app


@pytest.fixture
def second_node(app):
    """A second app instance on the same database, as another server would run."""
    node = create_app({key: app.config[key] for key in (
        "TESTING", "SECRET_KEY", "DATABASE_URL", "DEMO", "PAYMENT_PROVIDER", "CLOCK",
        "SMS_GATEWAY", "PASSWORD_HASH_PARAMS")})
    node.test_client_class = BrowserClient
    return node


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


@pytest.fixture
def factory(app):
    return Factory(app)


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


def pytest_terminal_summary(terminalreporter, config):
    """The order the tests ran in, so a failing order can be replayed (docs/design.md, "Tests")."""
    seed = config.getoption("randomly_seed", default=None)
    if isinstance(seed, int) and not config.getoption("randomly_dont_reorganize", default=False):
        terminalreporter.write_line(f"Test order: random, seed {seed}. Replay it with "
                                    f"make test PYTEST_ARGS=--randomly-seed={seed}")


@pytest.fixture
def make_staff(app):
    def make(login="olena", role="agent", password=STAFF_PASSWORD):
        with app.app_context():
            models.db.connect(reuse_if_open=True)
            return models.StaffUser.create(
                login=login, role=role, password_hash=security.hash_password(password),
                created_at=START, password_changed_at=START, totp_secret=staff_secret())
    return make


@pytest.fixture
def agent_client(app, make_staff):
    """A second browser, signed in to the staff console as agent 'olena'."""
    make_staff()
    browser = app.test_client()
    response = browser.post("/staff", data={"login": "olena", "password": STAFF_PASSWORD})
    assert response.status_code == 303, response.get_data(as_text=True)
    return browser


@pytest.fixture
def gateway_down(app):
    """The SMS gateway refuses every message."""
    from portal.core.sms import SmsError

    class Broken:
        name = "broken"

        def deliver(self, to, text):
            raise SmsError("down")

    app.extensions["sms_gateway"] = Broken()
