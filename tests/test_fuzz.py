"""The fuzzer: hypothesis draws requests to every route of the URL map, signed out, as a
subscriber and as staff, and no answer may be a 5xx.

Each request is a route (its rule, and a method it takes or any other), values for its path
variables by converter (`int`, `string`, `path`: numbers of any size, text from the whole
of Unicode, bytes that are not UTF-8), the names of every form field of the portal with
values from the same strategies and the odd ones ("²", "1e309", a megabyte...), headers
(htmx's, a language, a bearer token, a range, a forwarded address), and a body of any
content type (a form, multipart with files, JSON, text, bytes). A 5xx fails the run and
names the request that made it; hypothesis shrinks it to the simplest such request.

`make test` runs FUZZ_EXAMPLES (default 150, a few seconds); `make fuzz` runs many more."""
import json
import os
from io import BytesIO
from urllib.parse import quote, quote_from_bytes

import pytest
from flask import got_request_exception
from hypothesis import HealthCheck, given, settings, strategies as st
from wtforms.fields.core import UnboundField

import models
from portal.core.forms import BaseForm
from tests.helpers import PASSWORD, STAFF_PASSWORD, START

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "150"))
METHODS = ("GET", "POST", "HEAD", "OPTIONS", "PUT", "DELETE", "PATCH", "PROPFIND", "TRACE")

# Text from the whole of Unicode (surrogates cannot be encoded), and the values that broke
# portals before: digits of other scripts, numbers no column holds, controls, directions.
UNICODE = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)
ODD = st.sampled_from([
    "²", "٣", "１２", "¹²³", "1e309", "NaN", "-0", "+1", " 1", "0x10", str(2**63), str(2**70),
    str(-2**70), "9" * 400, "\x00", "\u202e", "\ufeff", "\r\n", "../../etc/passwd", "%00",
    "<script>", "' OR 1=1 --", "0671234567", "+380671234567", "10000001", "2026-02-30",
    "2026-13", "-1", "", " ", "a" * 5000])
NUMBERS = st.integers(-2**80, 2**80).map(str)
VALUE = st.one_of(UNICODE, ODD, NUMBERS)
RAW = st.binary(max_size=40)  # bytes, UTF-8 or not, percent-encoded as they come


def _field_names():
    """Every field name of every form of the portal (the names views look up)."""
    names, forms = {"csrf_token", "next", "page", "v", "x"}, [BaseForm]
    while forms:
        form = forms.pop()
        forms.extend(form.__subclasses__())
        names.update(name for name in dir(form)
                     if isinstance(getattr(form, name, None), UnboundField))
    return sorted(names)


FIELDS = _field_names()


def path_value(converter):
    """A value for a path variable: what its converter takes, and what it does not."""
    fitting = {"IdConverter": NUMBERS, "IntegerConverter": NUMBERS}.get(converter, UNICODE)
    return st.one_of(fitting.map(lambda text: quote(text, safe="")),
                     ODD.map(lambda text: quote(text, safe="")),
                     RAW.map(quote_from_bytes))


@st.composite
def requests(draw, routes):
    rule, methods = routes[draw(st.integers(0, len(routes) - 1))]
    path = rule.rule
    for name, converter in rule._converters.items():
        value = draw(path_value(type(converter).__name__))
        path = _replace(path, name, value)
    method = draw(st.one_of(st.sampled_from(sorted(methods)), st.sampled_from(METHODS)))
    fields = draw(st.lists(st.tuples(st.sampled_from(FIELDS), VALUE), max_size=6))
    query = draw(st.lists(st.tuples(st.one_of(st.sampled_from(FIELDS), UNICODE), VALUE),
                          max_size=3))
    headers = draw(st.dictionaries(st.sampled_from([
        "HX-Request", "HX-Boosted", "HX-History-Restore-Request", "Accept-Language",
        "Authorization", "Range", "If-Modified-Since", "X-Forwarded-For", "Accept",
        "If-None-Match"]), st.one_of(ODD, UNICODE).map(header_text), max_size=3))
    body = draw(st.sampled_from(["form", "form", "multipart", "json", "text", "bytes", "none"]))
    raw = draw(st.binary(max_size=200))
    return {"method": method, "path": path, "fields": fields, "query": query,
            "headers": headers, "body": body, "raw": raw}


def header_text(text):
    """As a header carries it: the text's UTF-8 bytes read as Latin-1 (what a server sees),
    without line breaks, which no HTTP request can hold in a header."""
    return text.encode("utf-8").decode("latin-1").replace("\r", "").replace("\n", "")[:300]


def _replace(path, name, value):
    start = path.index("<")
    while True:
        end = path.index(">", start)
        if path[start + 1:end].split(":")[-1] == name:
            return path[:start] + value + path[end + 1:]
        start = path.index("<", end)


def encode(pairs):
    return "&".join(f"{quote(str(k), safe='')}={quote(str(v), safe='')}" for k, v in pairs)


class Visitors:
    """Three browsers, each signed in again whenever the fuzzer signed it out or the waits
    its wrong passwords made shut it out."""

    def __init__(self, app, clock):
        self.app, self.clock = app, clock
        self.clients = {}

    def client(self, who):
        client = self.clients.get(who)
        if client is None:
            client = self.clients[who] = self.app.test_client()
        if who != "signed out":
            self._sign_in(client, who)
        return client

    def _sign_in(self, client, who):
        path, login, password = (("/login", "0671234567", PASSWORD) if who == "subscriber"
                                 else ("/staff", "olena", STAFF_PASSWORD))
        probe = client.get("/staff/queue" if who == "staff" else "/profile")
        if probe.status_code == 200:
            return
        for _wait in range(3):
            self.clock.advance(seconds=31)  # a new staff code; the session kept alive
            response = client.post(path, data={"login": login, "password": password})
            if response.status_code == 303:
                return
            self.clock.advance(hours=2)  # waits the fuzzer's wrong passwords made
        raise AssertionError(f"{who} cannot sign in again")


def send(client, request):
    kwargs = {"method": request["method"], "headers": request["headers"],
              "query_string": encode(request["query"])}
    fields = [*request["fields"]]
    if request["method"] not in ("GET", "HEAD") and not any(k == "csrf_token" for k, _ in fields):
        fields.append(("csrf_token", client.csrf_token()))
    body = request["body"]
    if body == "form":
        kwargs.update(data=encode(fields), content_type="application/x-www-form-urlencoded")
    elif body == "multipart":
        data = {}
        for name, value in fields:
            data[name] = (BytesIO(request["raw"]), value[:20] or "a.bin") if len(data) % 2 else value
        kwargs.update(data=data, content_type="multipart/form-data")
    elif body == "json":
        kwargs.update(data=json.dumps(dict(fields)), content_type="application/json")
    elif body == "text":
        kwargs.update(data=encode(fields).encode(), content_type="text/plain; charset=utf-8")
    elif body == "bytes":
        kwargs.update(data=request["raw"], content_type="application/octet-stream")
    return client.open(request["path"], **kwargs)


@pytest.fixture
def fuzz_app(app, factory, make_staff):
    """The app with a subscriber (a mobile number and a Home Internet account) and a staff
    admin; an unhandled exception answers 500, as in production."""
    subscriber = factory.subscriber()
    factory.account(subscriber.profile)
    make_staff("olena", "admin")
    with app.app_context():
        models.db.connect(reuse_if_open=True)
        models.Chat.create(profile=subscriber.profile, subscription=subscriber, opened_at=START,
                           last_message_at=START)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    return app


def routes_of(app):
    return [(rule, rule.methods) for rule in sorted(app.url_map.iter_rules(), key=str)]


def test_no_request_gets_a_5xx(fuzz_app, clock):
    visitors, errors = Visitors(fuzz_app, clock), []
    routes = routes_of(fuzz_app)
    assert len(routes) > 60  # every route of the map, static included

    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(who=st.sampled_from(["signed out", "subscriber", "staff"]), request=requests(routes))
    def no_5xx(who, request):
        client = visitors.client(who)
        errors.clear()
        response = send(client, request)
        assert response.status_code < 500, (
            f"{who}: {request['method']} {request['path'][:200]} -> {response.status_code}\n"
            f"request: {json.dumps(request, default=repr)[:1500]}\n"
            f"error: {errors[-1:]!r:.800}")

    with got_request_exception.connected_to(
            lambda sender, exception: errors.append(exception), fuzz_app):
        no_5xx()
