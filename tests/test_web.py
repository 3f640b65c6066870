"""Shared page helpers."""
import re
import time

import pytest
from flask import url_for
from hypothesis import HealthCheck, given, settings, strategies as st
from werkzeug.routing import BuildError, MapAdapter

from portal.core.web import template_url


def test_htmx_attributes_of_a_field_reach_the_page(client, signed_in):
    html = client.get("/password").get_data(as_text=True)
    assert 'data-hx-post="/password/check"' in html and 'data-hx-trigger="input changed delay:300ms"' in html
    assert "hx_post" not in html


def test_a_form_htmx_posts_moves_the_whole_page_on_success(client, signed_in):
    """htmx would follow a 303 inside its request and nest the next page in the form's
    region: success answers HX-Redirect instead."""
    response = client.post("/password", headers={"HX-Request": "true"}, data={
        "current_password": "Test-pass7", "new_password": "Kvitka-2026",
        "new_password_confirm": "Kvitka-2026"})
    assert response.status_code == 200
    assert response.headers["HX-Redirect"] == "/password"
    assert "Password changed." in client.get("/password").get_data(as_text=True)


def test_requests_reuse_one_database_connection(app, client, signed_in, monkeypatch):
    """Opening a connection costs more than a page (SQLite pragmas, PostgreSQL's ~5 ms
    handshake): SQLite keeps it open in the worker, PostgreSQL takes it from a pool."""
    import peewee

    import models
    driver = peewee.sqlite3 if models.is_sqlite() else peewee.psycopg2
    opened = []
    real_connect = driver.connect
    monkeypatch.setattr(driver, "connect",
                        lambda *args, **kwargs: opened.append(1) or real_connect(*args, **kwargs))
    for _ in range(3):
        assert client.get("/").status_code == 200
    assert len(opened) <= 1


@pytest.mark.parametrize("endpoint, values", [
    ("expenses.report", {}),
    ("expenses.report", {"month": "2026-11"}),
    ("expenses.report", {"from": "2026-11-01", "to": "2026-11-20", "type": "calls"}),
    ("expenses.report", {"month": "2026-11", "after": "2026-11-30T10:00:00.5_42", "type": None}),
    ("topup.page", {"target": "+380671234567"}),
    ("topup.page", {"target": "Олена & co/?#=%", "many": ["a b", "c+d"]}),
    ("expenses.report", {"_anchor": "records", "month": "2026-11"}),
    ("services.service_page", {"code": "roaming"}),  # a rule with an argument
    ("static", {"filename": "portal.css"}),
])
@pytest.mark.parametrize("script_root", ["", "/cabinet"])
def test_templates_urls_are_flasks(app, endpoint, values, script_root):
    """template_url builds the URL of an endpoint without arguments itself: exactly as
    Flask's url_for, query and all."""
    with app.test_request_context("/", base_url=f"http://localhost{script_root}"):
        assert template_url(endpoint, **values) == url_for(endpoint, **values)
        assert template_url(endpoint, **values) == url_for(endpoint, **values)  # kept


def test_an_unknown_endpoint_is_refused_as_flask_refuses_it(app):
    with app.test_request_context("/"), pytest.raises(BuildError):
        template_url("nowhere.page", month="2026-11")


def test_a_query_url_is_built_without_werkzeugs_builder(app, monkeypatch):
    """werkzeug's builder is a large share of a dashboard's render (its spending panel's
    links, a month each): a query URL is the plain URL and the query."""
    with app.test_request_context("/"):
        template_url("expenses.report", month="2026-10")  # the plain URL, built once

        def refused(*args, **kwargs):
            raise AssertionError("werkzeug built a URL")
        monkeypatch.setattr(MapAdapter, "build", refused)
        assert template_url("expenses.report", month="2026-11") == "/expenses?month=2026-11"


def test_the_tests_url_builders_are_the_ones_werkzeug_compiles(app):
    """tests/conftest.py shares werkzeug's URL builders among the tests' apps: for every rule
    the shared one has the code werkzeug compiles for that rule."""
    from werkzeug.routing.rules import Rule
    compile_builder = Rule._compile_builder.compile_builder
    rules = list(app.url_map.iter_rules())
    assert len(rules) > 50
    for rule in rules:
        for append_unknown in (False, True):
            shared = Rule._compile_builder(rule, append_unknown)
            assert shared.__code__ == compile_builder(rule, append_unknown).__code__, rule


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # the app only builds URLs
@given(values=st.dictionaries(
    st.sampled_from(["month", "from", "to", "type", "after", "target", "a~b", "x y"]),
    st.one_of(st.none(), st.text(max_size=12),
              st.text(alphabet="0123456789-_.~Tabc", max_size=12)), max_size=4))
def test_a_query_url_is_flasks_whatever_its_text(app, values):
    """Text urlencode leaves as it is takes template_url's short way; any other goes
    through urlencode: both give Flask's URL."""
    with app.test_request_context("/"):
        assert template_url("expenses.report", **values) == url_for("expenses.report", **values)


def page_token(client, url="/"):
    html = client.get(url).get_data(as_text=True)
    return re.search(r'"X-CSRFToken": "([^"]+)"', html).group(1)


def test_pages_sign_the_sessions_csrf_secret_as_flask_wtf_does(app, client, auth, signed_in,
                                                              monkeypatch):
    """web.csrf_token signs through a serializer made once, not one a token: its token is
    generate_csrf's to the byte at the same second, a new second signs anew (a page never
    carries the same token for long), Flask-WTF accepts it, a forged one is refused."""
    from flask import g
    from flask_wtf.csrf import generate_csrf
    from itsdangerous import TimestampSigner

    from portal.core import web

    now = [int(time.time()) + 10]  # after the session cookie's own timestamp
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda _signer: now[0])
    token = page_token(client)
    name = app.config["SESSION_COOKIE_NAME"]
    with app.test_request_context("/", headers={"Cookie": f"{name}="
                                                          f"{client.get_cookie(name).value}"}):
        app.preprocess_request()
        assert web.csrf_token() == token
        g.pop("csrf_token")
        assert generate_csrf() == token
    now[0] += 1
    later = page_token(client)
    assert later != token and page_token(client) == later
    assert client.post("/language", data={"lang": "en", "next": "/",
                                          "csrf_token": token}).status_code == 303
    # One signature character changed where it carries six bits of the signature: the last
    # one carries four, and a forgery there that kept them passed once in a thousand runs.
    forged = later[:-3] + ("A" if later[-3] != "A" else "B") + later[-2:]
    assert client.post("/language", data={"lang": "en", "next": "/",
                                          "csrf_token": forged}).status_code == 400
    auth.logout()
    auth.login()
    assert page_token(client) != later


def test_the_session_cookie_is_flasks_own_to_the_byte(app, monkeypatch):
    """The portal keeps its session cookie's serializer (auth.SessionCookie) but signs as
    Flask's stock cookie does: a cookie of either reads in the other, so a deploy signs
    nobody out."""
    from flask.sessions import SecureCookieSessionInterface
    from itsdangerous import TimestampSigner

    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda _signer: 1_800_000_000)
    ours = app.session_interface.get_signing_serializer(app)
    stock = SecureCookieSessionInterface().get_signing_serializer(app)
    data = {"_user_id": "token-of-the-test", "csrf_token": "f" * 40, "_fresh": True}
    assert ours.dumps(data) == stock.dumps(data)
    assert ours.loads(stock.dumps(data)) == data == stock.loads(ours.dumps(data))


def test_flasks_answer_for_a_function_is_kept(app, monkeypatch):
    """Portal.ensure_sync asks Flask once per function and keeps the answer, at most KEPT
    of them; an async function is Flask's to refuse (no asgiref here), every time."""
    from flask import Flask

    from portal import Portal

    asked = []
    real = Flask.ensure_sync
    monkeypatch.setattr(Flask, "ensure_sync", lambda self, func: asked.append(func) or
                        real(self, func))
    app._synced.clear()

    def hook():
        return None

    assert app.ensure_sync(hook) is hook and app.ensure_sync(hook) is hook
    assert asked == [hook]
    for _ in range(Portal.KEPT + 5):
        app.ensure_sync(lambda: None)  # new each time, as after_this_request's are
    assert len(app._synced) <= Portal.KEPT

    async def view():
        return "never"

    for _ in range(2):
        with pytest.raises(RuntimeError, match="async"):
            app.ensure_sync(view)
    assert view not in app._synced


@pytest.mark.parametrize("method,checked,status", [
    ("GET", 0, 200), ("HEAD", 0, 200), ("OPTIONS", 0, 200), ("POST", 1, 400),
    ("PUT", 1, 405), ("PATCH", 1, 405), ("DELETE", 1, 405)])  # /login takes no PUT...
def test_every_method_that_writes_is_checked_for_its_csrf_token(app, client, monkeypatch,
                                                                 method, checked, status):
    """The portal's own hook calls Flask-WTF's check, exemptions applied, for the methods
    Flask-WTF checks by default, and only for them: a POST without its token is refused."""
    from portal import csrf

    calls = []
    real = csrf.protect
    monkeypatch.setattr(csrf, "protect", lambda **kwargs: calls.append(kwargs) or real(**kwargs))
    client.get("/login")  # the session is there: only the token is missing
    calls.clear()
    response = client.open("/login", method=method)
    assert calls == [{"apply_exemptions": True}] * checked
    assert response.status_code == status



def test_a_cookie_of_a_retired_key_still_reads_as_flasks_does(app, monkeypatch):
    """With SECRET_KEY_FALLBACKS the kept serializer signs with the new key and reads a
    cookie of the old one, as Flask's stock cookie does, byte for byte."""
    from flask.sessions import SecureCookieSessionInterface
    from itsdangerous import BadSignature, TimestampSigner

    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda _signer: 1_800_000_000)
    data = {"_user_id": "token-of-the-test", "csrf_token": "f" * 40}
    old = app.session_interface.get_signing_serializer(app).dumps(data)
    monkeypatch.setitem(app.config, "SECRET_KEY_FALLBACKS", [app.secret_key])
    monkeypatch.setattr(app, "secret_key", "the-new-key-of-the-test")
    ours = app.session_interface.get_signing_serializer(app)
    stock = SecureCookieSessionInterface().get_signing_serializer(app)
    assert ours.loads(old) == data == stock.loads(old)
    assert ours.dumps(data) == stock.dumps(data) != old
    with pytest.raises(BadSignature):
        ours.loads(old[:-2] + ("A" if old[-2] != "A" else "B") + old[-1])


def test_a_serializer_makes_its_signer_and_its_key_once(monkeypatch):
    """A kept serializer signs and reads as itsdangerous's own, with one signer a salt and
    each secret's key derived once."""
    from itsdangerous import Signer, URLSafeTimedSerializer

    from portal.core.signing import KeptSignersSerializer

    derived = []
    real = Signer.derive_key
    monkeypatch.setattr(Signer, "derive_key", lambda signer, secret_key=None: derived.append(
        secret_key) or real(signer, secret_key))
    kept = KeptSignersSerializer(["old-key", "new-key"], salt="a-salt")
    assert kept.make_signer() is kept.make_signer()
    assert kept.make_signer("another") is not kept.make_signer()
    token = kept.dumps({"n": 1})
    assert kept.loads(token) == {"n": 1} and kept.dumps({"n": 1}) == token
    # Signing asks for the current key, reading for each key by name: once each.
    assert sorted(derived, key=str) == [None, b"new-key"]
    old = URLSafeTimedSerializer("old-key", salt="a-salt").dumps(2)
    derived.clear()
    assert kept.loads(old) == kept.loads(old) == 2
    assert derived == [b"old-key"]
    assert URLSafeTimedSerializer(["old-key", "new-key"], salt="a-salt").loads(token) == {
        "n": 1}
