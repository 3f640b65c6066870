"""Browser tests: Debian's Chromium driven by Playwright, against the portal served by
`make run` itself (gunicorn, demo mode, `PORTAL_NOW`) on a free loopback port and a
database of its own. One server for the whole session and one browser per module; each test gets a
fresh browser context (a 360×640 phone), with JavaScript on or off.

Every page a journey reaches is screenshotted into test-artifacts/browser/ and checked
with axe-core (vendored under tests/vendor/, MPL-2.0): no serious or critical violation.
A script error or a Content-Security-Policy refusal on any page fails the test.
Without /usr/bin/chromium the tests are skipped, and the summary says so plainly."""
import contextlib
import csv
import json
import os
import re
import signal
import socket
import subprocess
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests.browser.phone import (
    ARTIFACTS,
    CHROMIUM,
    PHONE,
    PHONE_CHECKS,
    SKIP_REASON,
    have_chromium,
)
from tests.helpers import PG_URL, new_postgresql_database

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--no-first-run"]
AXE = ROOT / "tests" / "vendor" / "axe-core-4.14.1" / "axe.min.js"
# The demo copy's "now": the 4th of the month, the day Home Internet bonuses accrue.
PORTAL_NOW = "2026-12-04T09:00:00"
SECRET = "browser-tests-secret"

# Subscribers the journeys use besides the demo set: cabinets with no password yet (one per
# JavaScript mode, so the journeys never wait for each other's SMS pace limit).
EXTRA_SUBSCRIBERS = [
    ("0979990001", "mobile", "Оксана Нова", "smart", "prepaid", "individual", "active",
     "150.00", "0", "2025-01-10", "browser-new-js"),
    ("0979990002", "mobile", "Богдан Новий", "smart", "prepaid", "individual", "active",
     "150.00", "0", "2025-01-10", "browser-new-nojs"),
    # The states journey without JavaScript: the demo's 098 and 096 serve the one with it.
    ("0989990003", "mobile", "Ганна Боргова", "unlim", "contract", "individual",
     "debt_blocked", "-50.00", "0", "2021-01-10", "browser-debt-nojs"),
    ("0969990004", "mobile", "Юрій Пауза", "smart", "prepaid", "individual", "suspended",
     "42.00", "0", "2022-01-10", "browser-paused-nojs"),
    ("0979990005", "mobile", "Зоя Картка", "smart", "prepaid", "individual", "active",
     "42.00", "0", "2022-01-10", "browser-sim-nojs"),
    # The journey of the cabinet's extras without JavaScript (Марія's serves the one with).
    ("0679990006", "mobile", "Степан Кредит", "smart", "prepaid", "individual", "active",
     "3.00", "0", "2022-01-10", "browser-extras-nojs"),
    # The SMS sign-in with JavaScript (Марія's number serves the extras journey, whose
    # codes would hold back this one's).
    ("0779990007", "mobile", "Лука Код", "smart", "prepaid", "individual", "active",
     "20.00", "0", "2022-01-10", "browser-sms-js"),
]


def pytest_collection_modifyitems(config, items):
    if have_chromium:
        return
    skip = pytest.mark.skip(reason=SKIP_REASON)
    for item in items:
        if "browser" in getattr(item, "fixturenames", ()):
            item.add_marker(skip)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _database_url(tmp):
    """A tmp SQLite file, or, in the PostgreSQL run of the suite, a new database."""
    if not PG_URL:
        return f"sqlite:///{tmp / 'portal.db'}", None
    database = contextlib.ExitStack()
    return database.enter_context(new_postgresql_database("portal_browser")), database.close


class LiveServer:
    now = PORTAL_NOW

    def __init__(self, url, log, database_url):
        self.url = url
        self.log = log
        self.database_url = database_url

    def stored(self, number, column="balance"):
        """A subscription's balance (or bonus balance) as the pages print it in <data value>,
        read from the demo copy's database: journeys run in any order and move money, so
        a page is checked against what is there now."""
        from playhouse.db_url import connect
        database = connect(self.database_url)
        try:
            (kopiyky,) = database.execute_sql(
                f"SELECT {column} FROM subscription WHERE number = %s".replace(
                    "%s", "?" if self.database_url.startswith("sqlite") else "%s"),
                (number,)).fetchone()
        finally:
            database.close()
        return f"{kopiyky / 100:.2f}"

    def get(self, path):
        with urllib.request.urlopen(self.url + path, timeout=10) as response:
            return response.read()

    def sms(self, number):
        """Texts the demo copy sent to `number` (+380…), newest first."""
        query = urllib.parse.urlencode({"to": number})
        return [m["text"] for m in json.loads(self.get(f"/demo/sms.json?{query}"))]

    def sms_json(self, number):
        return json.loads(self.get("/demo/sms.json?" + urllib.parse.urlencode({"to": number})))

    def wait_for_sms(self, number, count=1, pattern=r"\b(\d{6})\b"):
        """The `pattern` group in the newest SMS, once `count` texts have arrived."""
        for _ in range(100):
            texts = self.sms(number)
            if len(texts) >= count:
                return re.search(pattern, texts[0]).group(1)
            time.sleep(0.05)
        raise AssertionError(f"no SMS to {number}")


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    """`make run` on a free port: gunicorn as deployed, in demo mode, with PORTAL_NOW."""
    tmp = tmp_path_factory.mktemp("live")
    url, drop = _database_url(tmp)
    port = free_port()
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("MAKE", "MFLAGS", "PYTEST", "PORTAL_"))}
    env.update(PORT=str(port), PORTAL_DATABASE_URL=url, PORTAL_DEMO="1",
               PORTAL_NOW=PORTAL_NOW, PORTAL_SECRET_KEY=SECRET, WEB_CONCURRENCY="2")
    flask = [str(ROOT / ".venv" / "bin" / "flask"), "--app", "portal"]
    feed = tmp / "extra.csv"
    with feed.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["number", "kind", "name", "tariff", "payment", "customer", "status",
                         "balance", "bonus_balance", "activated_on", "profile"])
        writer.writerows(EXTRA_SUBSCRIBERS)
    for command in (["init-db"], ["demo-data"], ["import-subscribers", str(feed)]):
        done = subprocess.run(flask + command, cwd=ROOT, env=env, capture_output=True, text=True)
        assert done.returncode == 0, f"flask {command[0]}: {done.stdout}{done.stderr}"
    log = tmp / "server.log"
    with log.open("w") as out:
        # The server's own counts folder: gunicorn's master empties it at start, and every
        # test worker runs a server of its own (the checkout's instance/metrics, shared, had
        # one master remove it under the other's feet).
        process = subprocess.Popen(["make", "--no-print-directory", "run"], cwd=ROOT,
                                   env=env | {"PROMETHEUS_MULTIPROC_DIR": str(tmp / "metrics")},
                                   stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    server = LiveServer(f"http://127.0.0.1:{port}", log, url)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                server.get("/login")
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("make run did not serve:\n"
                                       + log.read_text()[-3000:]) from None
                time.sleep(0.1)
        yield server
    finally:
        with contextlib.suppress(ProcessLookupError):  # a server that did not start is gone
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
        if drop:
            drop()


@pytest.fixture
def app_url(app):
    """The test's own app (tests/conftest.py `app`) served in this process, for a journey
    that needs data of its own rather than the demo copy `live_server` runs."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture(scope="module")
def browser():
    """One Chromium per test module (Playwright's sync API allows one driver at a time, and
    other modules start their own)."""
    from playwright.sync_api import expect
    expect.set_options(timeout=15_000)  # a shared 2-core machine can be slow: wait, not flake
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class Checker:
    """Screenshots, axe-core and the phone checks for every page a journey reaches."""

    def __init__(self, browser, server, mode):
        self.browser = browser
        self.server = server
        self.mode = mode
        self.seen = []
        self._axe_page = None

    def __call__(self, page, name):
        """Check the page as it is now: a 360×640 screenshot and axe-core."""
        page.wait_for_load_state()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        # caret="initial": hiding the caret would inject a style the page's CSP refuses.
        page.screenshot(path=str(ARTIFACTS / f"{self.mode}-{name}.png"), full_page=True,
                        caret="initial")
        if self.mode == "js":
            violations = run_axe(page)
        else:
            violations = self._axe_on_copy(page.url, page.content())
        assert not violations, f"axe on {name} ({self.mode}, {page.url}): {violations}"
        found = page.evaluate(PHONE_CHECKS)
        where = f"on {name} ({self.mode}, {page.url})"
        assert found["width"] <= PHONE["width"], f"a sideways scroll {where}: {found['width']} px"
        assert not found["small"], f"controls under 24x24 px {where}: {found['small']}"
        assert not found["unnamed"], f"fields without an accessible name {where}: {found['unnamed']}"
        self.seen.append(name)

    def _axe_on_copy(self, url, html):
        """axe needs scripts, which this context has off: check the same HTML at the same
        URL in a context with scripts on (its styles come from the server as usual)."""
        if self._axe_page is None:
            context = self.browser.new_context(bypass_csp=True, viewport=PHONE)
            self._axe_page = context.new_page()
        page = self._axe_page
        copy_url = url.split("#")[0]
        page.route(copy_url, lambda route: route.fulfill(
            body=html, content_type="text/html; charset=utf-8"))
        try:
            page.goto(copy_url)
            return run_axe(page)
        finally:
            page.unroute(copy_url)

    def close(self):
        if self._axe_page is not None:
            self._axe_page.context.close()


_AXE_SOURCE = None


def run_axe(page):
    """Serious and critical axe-core violations on the page: [(rule, impact, targets)]."""
    global _AXE_SOURCE
    if _AXE_SOURCE is None:
        _AXE_SOURCE = AXE.read_text()
    results = page.evaluate(
        "async () => {" + _AXE_SOURCE + "\n;"
        "const r = await window.axe.run(document, {resultTypes: ['violations']});"
        "return r.violations.map(v => [v.id, v.impact, v.nodes.map(n => n.target.join(' '))]);}")
    return [tuple(v) for v in results if v[1] in ("serious", "critical")]


@pytest.fixture(params=["js", "nojs"])
def mode(request):
    return request.param


@pytest.fixture
def context(browser, mode, live_server):
    """A phone's browser. The portal's Content-Security-Policy stays in force here, so a
    page that breaks it fails; axe runs in Playwright's isolated world, which the policy
    does not govern (pages without JavaScript are checked in a bypass_csp context)."""
    context = browser.new_context(java_script_enabled=(mode == "js"), base_url=live_server.url,
                                  viewport=PHONE, locale="uk-UA")
    context.set_default_timeout(15_000)
    yield context
    context.close()


@pytest.fixture
def page(context):
    """A tab whose script errors and Content-Security-Policy refusals fail the test."""
    page = context.new_page()
    problems = []
    page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    page.on("console", lambda message: problems.append(f"{page.url}: {message.text} {message.location}")
            if "Content Security Policy" in message.text else None)
    yield page
    assert not problems, problems


@pytest.fixture
def check(browser, live_server, mode):
    checker = Checker(browser, live_server, mode)
    yield checker
    checker.close()
