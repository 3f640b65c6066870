"""Budgets for a weak phone on a slow link, as tests: every page's HTML at most 14,600
bytes gzipped (the first round trip of a TCP connection), all JavaScript at most 20 KB and
all CSS at most 10 KB gzipped, nothing from another host, compressed responses,
fingerprinted static files cached for a year, and at most 6 SQL queries per page.

The pages are found in the app's URL map, so every page a later area adds is held to the
same budgets without editing this file; pages whose URL takes an argument need a sample
in PAGES_WITH_ARGUMENTS. Each page is fetched signed out and signed in on every number of
the richest demo cabinet, in demo mode (the banner is part of the page)."""
import gzip
import re
import warnings
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from zlib_ng import gzip_ng, zlib_ng

import models
from portal.core import clock
from tests.helpers import kyiv

PAGE_BUDGET = 14_600
JS_BUDGET = 20 * 1024
CSS_BUDGET = 10 * 1024
QUERY_BUDGET = 6
YEAR = 365 * 24 * 3600
STATIC = Path(__file__).resolve().parent.parent / "static"

DEMO_LOGIN = ("0671234567", "Demo-2026")  # three numbers and accounts in one cabinet
NOT_PAGES = {"static", "set_language", "auth.logout"}
# Sample URLs for GET pages whose rule takes arguments, by endpoint. A callable gets the
# app (inside a connected app context) and returns a list of URLs.
PAGES_WITH_ARGUMENTS = {
    "support.fault": lambda: [f"/support/faults/{f.id}" for f in models.Fault.select()],
    "staff.chat": lambda: [f"/staff/chats/{c.id}" for c in models.Chat.select()],
    "staff.fault": lambda: [f"/staff/faults/{f.id}" for f in models.Fault.select()],
    "services.service_page": lambda: ["/services/who-called", "/services/static-ip"],
    "services.switch_review": lambda: ["/tariffs/free-50/switch", "/tariffs/ultra/switch"],
    "transfers.done": lambda: [f"/transfer/done/{sample_transfer().key}"],
    "bonuses.done": lambda: [f"/bonuses/transfer/done/{t.key}" for t in
                                          models.Transfer.select()
                                          .where(models.Transfer.kind == "bonus")],
    "staff.service_request": lambda: [f"/staff/requests/{r.id}" for r in models.ServiceRequest
                                       .select().where(models.ServiceRequest.kind == "pause")],
    "topup.status": lambda: [f"/topup/{key}" for key in _olenas_payment()],
    "topup.result": lambda: [f"/topup/result/{key}" for key in _waiting_card_payment()],
    # Last month's invoice: the demo cabinet's numbers are prepaid, so the page that says
    # there is none (a contract number's PDF: tests/test_invoices.py).
    "expenses.invoice": lambda: [
        f"/invoices/{clock.today().replace(day=1) - timedelta(days=1):%Y-%m}.pdf"],
}


def _waiting_card_payment():
    """A card payment waiting for LiqPay's word: its result page reloads itself."""
    target = models.Subscription.by_number("+380671234567")
    payment = models.Payment.create(
        key="result-sample", target=target, profile=target.profile_id, payer_phone="",
        amount=15000, card_brand="liqpay", card_last4="", provider="liqpay",
        provider_reference="", created_at=target.activated_on)
    return [payment.key]


def _olenas_payment():
    """A pending card top-up made from the demo cabinet (only its own cabinet sees it)."""
    target = models.Subscription.by_number("+380671234567")
    payment = models.Payment.create(
        key="budget-sample", target=target, profile=target.profile_id,
        payer_phone=target.number, amount=15000, card_brand="visa", card_last4="1111",
        provider="demo", provider_reference="demo-sample", created_at=target.activated_on)
    return [payment.key]


def sample_transfer():
    """A balance transfer between the demo cabinet's two numbers (its done page only reads
    the row, so no balance needs to move for it)."""
    number = models.Subscription.by_number
    return models.Transfer.create(
        key="0" * 32, kind="balance", source=number("+380671234567"),
        target=number("+380971112233"), profile=number("+380671234567").profile_id,
        amount=1000, created_at=kyiv(2026, 11, 24, 12, 0))


def gzipped_size(body):
    """What `body` weighs as the portal sends it: gzipped by zlib-ng at level 6
    (portal/core/compression.py)."""
    return len(gzip_ng.compress(body, compresslevel=6))


class QueryCounter:
    """Counts the statements the app sends to the database (transactions' BEGIN, COMMIT
    and savepoints are not queries)."""

    SKIPPED = re.compile(r"\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE|PRAGMA|SET )", re.I)

    def __init__(self, database):
        self.database = database
        self.statements = []
        self.original = database.execute_sql

    def __enter__(self):
        def counting(sql, params=None, *args, **kwargs):
            if not self.SKIPPED.match(sql):
                self.statements.append(sql)
            return self.original(sql, params, *args, **kwargs)
        self.database.execute_sql = counting
        return self

    def __exit__(self, *exc):
        del self.database.execute_sql  # back to the class's method


def page_urls(app):
    """Every GET page of the app: rules without arguments, and samples for the others."""
    urls, missing = [], []
    with app.app_context():
        models.db.connect(reuse_if_open=True)
        for rule in app.url_map.iter_rules():
            if "GET" not in rule.methods or rule.endpoint in NOT_PAGES:
                continue
            if not rule.arguments:
                urls.append(rule.rule)
            elif rule.endpoint in PAGES_WITH_ARGUMENTS:
                urls.extend(PAGES_WITH_ARGUMENTS[rule.endpoint]())
            else:
                missing.append(rule.rule)
        models.db.close()
    return sorted(set(urls)), missing


def fetch_everything(app):
    """(who, url, response, queries) for every page, signed out and then signed in on
    each number of the demo cabinet."""
    urls, _ = page_urls(app)
    client = app.test_client()
    results = []

    def visit(who):
        for url in urls:
            with QueryCounter(models.db.obj) as counter:
                response = client.get(url, headers={"Accept-Encoding": "gzip"})
            results.append((who, url, response, counter.statements))

    visit("signed out")
    login, password = DEMO_LOGIN
    assert client.post("/login", data={"login": login, "password": password}).status_code == 303
    with app.app_context():
        models.db.connect(reuse_if_open=True)
        numbers = [s.number for s in models.Subscription.select().where(
            models.Subscription.profile == models.Subscription.by_number(
                "+380671234567").profile_id)]
        models.db.close()
    for number in numbers:
        assert client.post("/numbers/select", data={"number": number}).status_code == 303
        visit(f"signed in on {number}")
    if "staff.sign_in" in app.view_functions:
        client = app.test_client()
        assert client.post("/staff", data={"login": "admin", "password": password}
                           ).status_code == 303
        visit("staff admin")
    return results


@pytest.fixture
def everything(demo):
    return fetch_everything(demo)


def body(response):
    data = response.get_data()
    if response.headers.get("Content-Encoding") == "gzip":
        data = gzip.decompress(data)
    return data


def is_html(response):
    return response.mimetype == "text/html"


def test_the_pages_are_found(demo):
    urls, missing = page_urls(demo)
    assert {"/", "/login", "/password", "/demo/sms"} <= set(urls)
    if missing:
        warnings.warn(f"pages not held to the budgets: add sample URLs to "
                      f"PAGES_WITH_ARGUMENTS in tests/test_budgets.py for {missing}", stacklevel=2)


def test_every_page_fits_in_the_first_round_trip(everything):
    over = [(who, url, gzipped_size(body(r))) for who, url, r, _ in everything
            if is_html(r) and gzipped_size(body(r)) > PAGE_BUDGET]
    assert not over, f"pages over {PAGE_BUDGET} bytes gzipped: {over}"
    assert any(is_html(r) and r.status_code == 200 for who, _, r, _ in everything
               if who != "signed out")


def test_pages_are_compressed_for_clients_that_accept_gzip(everything):
    for who, url, response, _ in everything:
        if response.status_code == 200 and len(body(response)) >= 500:
            assert response.headers.get("Content-Encoding") == "gzip", (who, url)
            assert "Accept-Encoding" in response.headers["Vary"], (who, url)


@pytest.mark.parametrize("accept, encoded", [("gzip", "gzip"), ("", None),
                                             ("gzip;q=0, identity", None)])
def test_compression_follows_accept_encoding(client, accept, encoded):
    response = client.get("/login", headers={"Accept-Encoding": accept})
    assert response.headers.get("Content-Encoding") == encoded
    assert b"<html" in body(response)


def test_pages_and_streamed_files_are_gzipped_by_zlib_ng(client):
    """The standard library's zlib spends ten times as long on setting up each body
    (portal/core/compression.py). Each answer's deflate stream, after gzip's 10-byte
    header, must be zlib-ng's own (this machine's standard zlib makes other bytes)."""
    page = client.get("/login", headers={"Accept-Encoding": "gzip"})
    html = gzip.decompress(page.get_data())
    assert page.get_data()[10:] == gzip_ng.compress(html, compresslevel=6)[10:]

    streamed = client.get("/static/portal.css", headers={"Accept-Encoding": "gzip"})
    css = (STATIC / "portal.css").read_bytes()
    assert gzip.decompress(streamed.get_data()) == css
    # werkzeug streams a file in 8 KB pieces, and a piece's end can end a deflate block
    sent_as = [css[start:start + 8192] for start in range(0, len(css), 8192)]
    compressor = zlib_ng.compressobj(6, zlib_ng.DEFLATED, zlib_ng.MAX_WBITS + 16)
    made = b"".join(compressor.compress(piece) for piece in sent_as) + compressor.flush()
    assert streamed.get_data() == made


def test_at_most_six_queries_per_page(everything):
    over = [(who, url, len(queries), queries) for who, url, _, queries in everything
            if len(queries) > QUERY_BUDGET]
    assert not over, over


def test_the_query_counter_counts(demo):
    client = demo.test_client()
    with QueryCounter(models.db.obj) as counter:
        client.post("/login", data={"login": DEMO_LOGIN[0], "password": DEMO_LOGIN[1]})
        client.get("/")
    assert any(s.lstrip().upper().startswith("SELECT") for s in counter.statements)
    assert "execute_sql" not in vars(models.db.obj)


class References(HTMLParser):
    """Every URL a page refers to (links, forms, scripts, styles, images)."""

    ATTRIBUTES = {"href", "src", "action", "formaction", "srcset", "poster", "data",
                  "data-hx-get", "data-hx-post", "background"}

    def __init__(self):
        super().__init__()
        self.urls = []
        self.scripts = []
        self.styles = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name, value in attrs.items():
            if name in self.ATTRIBUTES and value:
                self.urls.extend(part.split()[0] for part in value.split(",") if part.strip()) \
                    if name == "srcset" else self.urls.append(value)
        if tag == "script" and attrs.get("src"):
            self.scripts.append(attrs["src"])
        if tag == "link" and "stylesheet" in (attrs.get("rel") or "").split():
            self.styles.append(attrs["href"])


def references(html):
    parser = References()
    parser.feed(html)
    return parser


def is_foreign(url):
    parts = urlsplit(url.strip())
    if parts.scheme in ("tel", "mailto", "data", "sms"):
        return False
    return bool(parts.scheme or parts.netloc)


@pytest.mark.parametrize("url, foreign", [
    ("/login", False), ("?month=2026-11", False), ("#main", False), ("tel:466", False),
    ("data:,", False), ("https://example.com/x.js", True), ("//cdn.example.com/x", True),
    ("http://127.0.0.1/", True), ("javascript:alert(1)", True)])
def test_foreign_reference_check(url, foreign):
    assert is_foreign(url) is foreign


def test_no_page_refers_to_another_host(everything):
    foreign = [(who, url, ref) for who, url, response, _ in everything if is_html(response)
               for ref in references(body(response).decode()).urls if is_foreign(ref)]
    assert not foreign, foreign
    assert "http" not in {urlsplit(ref).scheme for ref in _css_urls()}


def _css_urls():
    return [match.strip("'\" ") for path in STATIC.glob("**/*.css")
            for match in re.findall(r"url\(([^)]*)\)", path.read_text())]


def test_static_files_are_fingerprinted_and_cached_for_a_year(everything, demo):
    client = demo.test_client()
    assets = {ref for _, _, response, _ in everything if is_html(response)
              for parsed in [references(body(response).decode())]
              for ref in parsed.scripts + parsed.styles}
    assert any(a.endswith("css") or ".css?" in a for a in assets)
    for asset in assets:
        assert re.search(r"[?&]v=[0-9a-f]{8,}", asset), f"{asset} is not fingerprinted"
        response = client.get(asset, headers={"Accept-Encoding": "gzip"})
        assert response.status_code == 200, asset
        assert f"max-age={YEAR}" in response.headers["Cache-Control"], asset
        assert "no-store" not in response.headers["Cache-Control"]
        assert response.headers.get("Content-Encoding") == "gzip", asset
        assert gzip.decompress(response.get_data()) == (STATIC / urlsplit(
            asset).path.removeprefix("/static/")).read_bytes()


def _total_gzipped(pattern):
    return sum(gzipped_size(path.read_bytes()) for path in STATIC.glob(pattern))


def test_all_javascript_within_20_kb_gzipped():
    assert list(STATIC.glob("**/*.js"))
    assert _total_gzipped("**/*.js") <= JS_BUDGET


def test_all_css_within_10_kb_gzipped():
    assert list(STATIC.glob("**/*.css"))
    assert _total_gzipped("**/*.css") <= CSS_BUDGET
