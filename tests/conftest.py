"""Fixtures: an app on a fresh database per test (a tmp-file SQLite, or the PostgreSQL
named by PORTAL_TEST_DATABASE_URL; see `databases`), a test client that sends the CSRF
token like a browser, a clock that moves only when told, and helpers to make subscribers
and sign in."""
import os
import shutil
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from hypothesis import settings
from jinja2 import FileSystemBytecodeCache
from peewee import AutoField, BigAutoField
from werkzeug.routing.rules import Rule

import models
from portal import create_app
from portal.core import security
from portal.core.clock import ManualClock
from portal.database.service import init_db
from tests.browser.phone import SKIP_REASON, have_chromium
from tests.helpers import (
    PG_URL,
    SECRET,
    STAFF_PASSWORD,
    START,
    VICTIM,
    Auth,
    BrowserClient,
    Factory,
    RecordingGateway,
    staff_secret,
)

# The LiqPay stand-in's fixture, `liqpay_standin` (tests/liqpay_standin/, docs/payments.md),
# and Kannel's, `kannel` (tests/kannel_box.py, docs/sms.md), and `portal`, the portal with
# LiqPay as its provider (tests/liqpay_portal.py).
pytest_plugins = ["tests.liqpay_standin", "tests.kannel_box", "tests.liqpay_portal"]

# hypothesis: new examples on every run in development, to keep searching; in CI
# (HYPOTHESIS_PROFILE=ci, set by .ci/run) the same examples every run, so a submission never
# fails on a new draw. No deadline in either: a test never fails for being slow on a busy
# machine (speed lives in bench/).
settings.register_profile("dev", deadline=None)
settings.register_profile("ci", deadline=None, derandomize=True, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

# Every prepared query (models.base.PreparedSQL) is compiled again at each execution and
# checked against its cached SQL and parameters: a wrong shape fails the test that runs it.
models.base.PreparedSQL.verify = True


def share_url_builders():
    """werkzeug turns each URL rule of each new app into two Python functions (an ast, then
    `compile`): two thirds of `create_app`, which nearly every test runs. A function depends
    only on the rule's text, parts, converters and defaults, so the tests' apps share one for
    the same of these (tests/test_web.py checks each is the one werkzeug compiles)."""
    compile_builder = Rule._compile_builder
    builders = {}

    def shared_builder(rule, append_unknown=True):
        key = (rule.rule, tuple(rule._trace), append_unknown,
               tuple((name, type(converter)) for name, converter in rule._converters.items()),
               repr(sorted((rule.defaults or {}).items())))
        if key not in builders:
            builders[key] = compile_builder(rule, append_unknown)
        return builders[key]
    shared_builder.compile_builder = compile_builder
    Rule._compile_builder = shared_builder


share_url_builders()

BROWSER_TESTS = Path(__file__).resolve().parent / "browser"


@pytest.hookimpl(tryfirst=True)  # before `-m` selects by marker
def pytest_collection_modifyitems(items):
    """Every test under tests/browser/ is marked `browser`: `make test-fast` leaves them out."""
    for item in items:
        if BROWSER_TESTS in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def template_cache(tmp_path_factory):
    """Templates compiled once for the whole run (jinja2's own file cache, keyed by each
    template's source): each test's app would otherwise compile the shared macros, and
    every page it renders, again."""
    return FileSystemBytecodeCache(str(tmp_path_factory.mktemp("templates")))


def app_settings(database_url, clock, template_cache):
    return {
        "TESTING": True,
        "SECRET_KEY": SECRET,
        "DATABASE_URL": database_url,
        "DEMO": False,
        "PAYMENT_PROVIDER": "demo",
        "CLOCK": clock,
        "SMS_GATEWAY": RecordingGateway(),
        "PASSWORD_HASH_PARAMS": {"time_cost": 1, "memory_cost": 8, "parallelism": 1},
        "TEMPLATE_CACHE": template_cache,
    }


def build_schema(database_url, template_cache):
    """What `init-db` makes of an empty database: the schema and the catalogue."""
    app = create_app(app_settings(database_url, ManualClock(START), template_cache))
    with app.app_context():
        models.db.connect(reuse_if_open=True)
        init_db()
        models.db.close()
    if hasattr(models.db.obj, "close_all"):
        models.db.obj.close_all()  # a PostgreSQL template takes no connection


class SqliteCopies:
    """init-db's database built once, in a file each test gets a copy of."""

    def __init__(self, folder, template_cache):
        self.built = folder / "portal.db"
        build_schema(f"sqlite:///{self.built}", template_cache)
        # Closed, the database is the one file (SQLite folded its WAL in and removed it).
        assert not self.built.with_name("portal.db-wal").exists()

    def new(self, folder):
        path = folder / "portal.db"
        shutil.copy(self.built, path)  # with its mode, 600
        return f"sqlite:///{path}"

    def discard(self, url):
        """The copy goes with the test's tmp_path."""

    def close(self):
        """The built file goes with pytest's temporary folders."""


class PostgresqlCopies:
    """init-db's database built once per run; before each test its rows are put back as
    init-db left them, in one round trip: every table emptied, init-db's rows (the
    catalogue) inserted again, the id counters restarted. Faster here than a TRUNCATE and
    init-db, or a database per test (each DROP DATABASE waits for a checkpoint). The name
    carries the process id, so parallel runs don't meet."""

    def __init__(self, template_cache):
        import psycopg2
        self.admin = psycopg2.connect(PG_URL)
        self.admin.autocommit = True
        self.name = f"portal_test_{os.getpid()}"
        self._execute(f'DROP DATABASE IF EXISTS "{self.name}"')
        self._execute(f'CREATE DATABASE "{self.name}"')
        self.url = urlunsplit(urlsplit(PG_URL)._replace(path="/" + self.name))
        build_schema(self.url, template_cache)
        self.database = psycopg2.connect(self.url)
        self.database.autocommit = True
        self.reset = self._reset_sql()

    def _execute(self, sql, connection=None):
        with (connection or self.admin).cursor() as cursor:
            cursor.execute(sql)

    def _reset_sql(self):
        tables = models.all_models()  # in foreign-key order
        statements = [f'DELETE FROM "{model._meta.table_name}"' for model in reversed(tables)]
        with self.database.cursor() as cursor:
            for model in tables:
                table = model._meta.table_name
                cursor.execute(f'SELECT * FROM "{table}"')
                rows = cursor.fetchall()
                if rows:
                    columns = ", ".join(f'"{column.name}"' for column in cursor.description)
                    values = ", ".join(cursor.mogrify(
                        "(" + ", ".join(["%s"] * len(row)) + ")", row).decode() for row in rows)
                    statements.append(f'INSERT INTO "{table}" ({columns}) VALUES {values}')
                primary = model._meta.primary_key
                if isinstance(primary, (AutoField, BigAutoField)):
                    column = primary.column_name
                    statements.append(
                        f"SELECT setval(pg_get_serial_sequence('\"{table}\"', '{column}'), "
                        f'COALESCE(MAX("{column}"), 1), MAX("{column}") IS NOT NULL) '
                        f'FROM "{table}"')
        return "BEGIN; " + "; ".join(statements) + "; COMMIT"

    def new(self, folder):
        self._execute(self.reset, self.database)
        return self.url

    def discard(self, url):
        """The next test's `new` puts the rows back."""

    def close(self):
        self.database.close()
        self._execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        self.admin.close()


@pytest.fixture(scope="session")
def databases(tmp_path_factory, template_cache):
    """A database per test as init-db leaves an empty one, without building it again: on
    SQLite a copy of a file, on PostgreSQL (PORTAL_TEST_DATABASE_URL) the run's database
    with its rows put back. The tests of init-db still run it, on that database and on
    empty databases of their own."""
    if PG_URL:
        copies = PostgresqlCopies(template_cache)
    else:
        copies = SqliteCopies(tmp_path_factory.mktemp("prebuilt"), template_cache)
    yield copies
    copies.close()


@pytest.fixture
def clock():
    return ManualClock(START)


@pytest.fixture
def app(tmp_path, clock, databases, template_cache):
    url = databases.new(tmp_path)
    app = create_app(app_settings(url, clock, template_cache))
    app.test_client_class = BrowserClient
    yield app
    try:
        with app.app_context():
            models.db.connect(reuse_if_open=True)
            assert usage_days_as_recorded(), "usage_day differs from the usage records"
    finally:
        if not models.db.is_closed():
            models.db.close()
        if hasattr(models.db.obj, "close_all"):
            models.db.obj.close_all()  # the pool's idle PostgreSQL connections
        databases.discard(url)


def usage_days_as_recorded():
    """Whatever a test did, the days' totals still sum the usage records exactly."""
    kept = {(s, d, t): (n, a, b) for s, d, t, n, a, b in models.UsageDay.select(
        models.UsageDay.subscription, models.UsageDay.day, models.UsageDay.type,
        models.UsageDay.records, models.UsageDay.amount, models.UsageDay.bonus_amount).tuples()}
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
        "SMS_GATEWAY", "PASSWORD_HASH_PARAMS", "TEMPLATE_CACHE")})
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


@pytest.fixture
def victim(factory):
    """The bombing tests' victim (tests/test_abuse.py, tests/test_sms_budget.py): a
    subscriber whose phone others would flood with SMS."""
    return factory.subscriber(number=VICTIM, balance=1000, name="Жертва")


def pytest_terminal_summary(terminalreporter, config):
    """The order the tests ran in, so a failing order can be replayed (docs/design.md,
    "Tests"); and browser tests skipped for want of Chromium."""
    if not have_chromium:
        terminalreporter.write_line(f"BROWSER TESTS SKIPPED: {SKIP_REASON}", yellow=True,
                                    bold=True)
    seed = config.getoption("randomly_seed", default=None)
    if isinstance(seed, int) and config.getoption("randomly_reorganize", default=True):
        terminalreporter.write_line(
            f"Test order: random, seed {seed}. Replay it with make test "
            f"PYTEST_ARGS=--randomly-seed={seed} (TEST_WORKERS=0: that order in one process)")


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
