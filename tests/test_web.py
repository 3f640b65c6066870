"""Shared page helpers."""
import re

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


def test_a_sessions_csrf_token_is_signed_once_and_still_checked(app, client, auth, signed_in,
                                                               monkeypatch):
    """Without a time limit on tokens a worker signs a session's CSRF secret once and pages
    carry that token (web.csrf_token): Flask-WTF checks it as a new one, every form of the
    page (the language switch) has the same, a new session gets a token of its own."""
    from portal.core import web

    signed = []
    monkeypatch.setattr(web, "generate_csrf", lambda sign=web.generate_csrf: (
        signed.append(1), sign())[1])
    first = page_token(client)
    html = client.get("/expenses").get_data(as_text=True)
    assert page_token(client) == first and f'name="csrf_token" value="{first}"' in html
    assert len(signed) == 1
    answer = client.post("/language", data={"lang": "en", "next": "/",
                                            "csrf_token": first})
    assert answer.status_code == 303
    assert client.post("/language", data={"lang": "en", "next": "/",
                                          "csrf_token": first[:-2] + "xx"}).status_code == 400

    auth.logout()
    auth.login()
    assert page_token(client) != first

    # With a time limit a token ages: every page signs anew.
    app.config["WTF_CSRF_TIME_LIMIT"] = 3600
    signed.clear()
    page_token(client), page_token(client)
    assert len(signed) == 2
