"""Secure by default: outside demo mode every cookie is Secure and HSTS is sent unless the
operator sets PORTAL_SECURE_COOKIES=0 (plain-HTTP testing), which the portal warns of at
every start; demo mode (`make run` on plain HTTP) leaves them off unless asked."""
import logging

import pytest

from portal import create_app
from tests.helpers import PASSWORD, BrowserClient

HSTS = "Strict-Transport-Security"
WARNING = "PORTAL_SECURE_COOKIES=0"


@pytest.fixture
def make_app(app, monkeypatch):
    """Another app on the test's database, with `environment` as PORTAL_* variables."""
    def make(environment=None, **config):
        monkeypatch.delenv("PORTAL_SECURE_COOKIES", raising=False)
        for name, value in (environment or {}).items():
            monkeypatch.setenv(name, value)
        given = {key: app.config[key] for key in (
            "TESTING", "SECRET_KEY", "DATABASE_URL", "CLOCK", "SMS_GATEWAY",
            "PASSWORD_HASH_PARAMS")}
        given.pop("SECURE_COOKIES", None)
        made = create_app({**given, **config})
        made.test_client_class = BrowserClient
        return made
    return make


def signed_in_cookies(node):
    client = node.test_client()
    client.post("/language", data={"lang": "uk", "next": "/login"})
    response = client.post("/login", data={"login": "0671234567", "password": PASSWORD})
    assert response.status_code == 303
    return client, response.headers.getlist("Set-Cookie")


def test_outside_demo_mode_cookies_are_secure_and_hsts_is_sent(make_app, subscriber, caplog):
    with caplog.at_level(logging.WARNING):
        node = make_app(DEMO=False)
    assert WARNING not in caplog.text
    client, cookies = signed_in_cookies(node)
    assert cookies and all("; Secure" in cookie for cookie in cookies)
    assert client.get("/login").headers[HSTS].startswith("max-age=")
    language = client.post("/language", data={"lang": "ru", "next": "/"})
    assert all("; Secure" in c for c in language.headers.getlist("Set-Cookie"))


def test_secure_cookies_0_turns_them_off_and_is_warned_of(make_app, subscriber, caplog):
    with caplog.at_level(logging.WARNING):
        node = make_app({"PORTAL_SECURE_COOKIES": "0"}, DEMO=False)
    assert WARNING in caplog.text
    client, cookies = signed_in_cookies(node)
    assert cookies and not any("Secure" in cookie for cookie in cookies)
    assert HSTS not in client.get("/login").headers


def test_demo_mode_serves_plain_http_unless_asked(make_app, subscriber, caplog):
    with caplog.at_level(logging.WARNING):
        node = make_app(DEMO=True)
    assert WARNING not in caplog.text
    assert HSTS not in node.test_client().get("/login").headers
    assert HSTS in make_app({"PORTAL_SECURE_COOKIES": "1"}, DEMO=True).test_client().get(
        "/login").headers
