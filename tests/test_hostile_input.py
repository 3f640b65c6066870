"""Hostile input never gets a server error: numbers beyond 64 bits, NUL and other control
characters, bytes that are not UTF-8, very long text, files where text is expected, a JSON
body. The portal refuses them (4xx, with a message in the user's language) before any view
runs, so nothing of such a request is done.

The walk at the end sends them to every route of the URL map, signed out, as a subscriber
(a mobile number and a Home Internet account) and as staff. The names it sends come from
the views themselves (each route is asked once with nothing, and every argument it looks up
is noted) and from the forms and links of the pages (sent with the page's own values but for
one field, so a check on one field cannot hide what a hostile value does to the next)."""
import json
import re
from datetime import date
from html import unescape
from html.parser import HTMLParser
from io import BytesIO
from urllib.parse import parse_qsl, quote_from_bytes, urlsplit

import pytest
from flask import got_request_exception
from werkzeug.datastructures import ImmutableMultiDict

import models
from portal.core.security import hash_password
from rules.money import MoneyError, parse_expiry
from tests.helpers import PASSWORD, START, kyiv, staff_secret, widget_token

STAFF_PASSWORD = "Staff-pass9"

NOT_TEXT = "The address or the form holds characters that are not text."
NOT_TEXT_UK = "В адресі чи формі є символи, які не є текстом."
NO_FILES = "This page takes no files."


def page(response):
    return response.get_data(as_text=True)


def encoded(value):
    return quote_from_bytes(value if isinstance(value, bytes) else value.encode("utf-8"))


def pairs(fields):
    """(name, value) pairs, text or bytes, as a browser encodes a query or a form."""
    return "&".join(f"{encoded(name)}={encoded(value)}" for name, value in fields)


@pytest.mark.parametrize("number", [2**63, 2**70, 99999999999999999999999])
def test_an_id_the_database_cannot_hold_is_no_such_page(client, signed_in, number):
    for path in (f"/support/faults/{number}", f"/staff/chats/{number}",
                 f"/staff/faults/{number}", f"/staff/requests/{number}"):
        assert client.get(path).status_code == 404, path
    assert client.post(f"/support/faults/{number}/confirm").status_code == 404


def test_the_largest_id_the_database_holds_is_looked_up(client, signed_in):
    assert client.get(f"/support/faults/{2**63 - 1}").status_code == 404


@pytest.mark.parametrize("name", ["a" * 256, "a" * 5000, "x/" + "b" * 300, "htmx-" + "c" * 255])
def test_a_static_name_too_long_for_the_file_system_is_no_such_file(app, client, name):
    app.config["PROPAGATE_EXCEPTIONS"] = False  # a failure answers 500, as in production
    assert client.get(f"/static/{name}").status_code == 404
    assert client.get(f"/static/{name}?v=0123456789ab").status_code == 404


@pytest.mark.parametrize("manager", ["²", "٣", "¹²", "1²", "³" * 30, "9" * 40, "-1", " 1"])
def test_a_manager_id_that_is_not_ascii_digits_is_a_bad_request(app, client, signed_in,
                                                               manager):
    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = client.post("/profile/managers/remove", data={"manager": manager})
    assert response.status_code == 400


def test_a_manager_id_of_no_managed_number_is_no_such_page(client, signed_in):
    response = client.post("/profile/managers/remove", data={"manager": "123"})
    assert response.status_code == 404


@pytest.mark.parametrize("expiry", ["١٢/٣٠", "12/٣٠", "１２/３０"])
def test_a_card_expiry_takes_ascii_digits_only(expiry):
    with pytest.raises(MoneyError):
        parse_expiry(expiry, date(2026, 11, 25))


@pytest.mark.parametrize("query", ["after=1180591620717411303424&chat=1&state=open",
                                   "after=-1180591620717411303424"])
def test_an_integer_argument_out_of_range_is_refused(client, signed_in, query):
    response = client.get("/support?" + query, headers={"HX-Request": "true"})
    assert response.status_code == 400
    assert "A number in the address is out of range." in page(response)


@pytest.mark.parametrize("query", ["page=1180591620717411303424", "page=184467440737095517"])
def test_an_audit_page_beyond_any_offset_is_refused(app, client, query):
    make_admin(app)
    assert staff_signs_in(client).status_code == 303
    assert client.get("/staff/audit?page=-3").status_code == 200
    response = client.get("/staff/audit?" + query)
    assert response.status_code == 400
    assert "A number in the address is out of range." in page(response)


def multipart(*parts):
    """A multipart body of (name, value, filename or None) parts, names and values bytes."""
    body = b""
    for name, value, filename in parts:
        disposition = b'form-data; name="' + name + b'"' + (
            b'; filename="' + filename.encode() + b'"' if filename else b"")
        body += b"--wall\r\nContent-Disposition: " + disposition + b"\r\n\r\n" + value + b"\r\n"
    return body + b"--wall--\r\n"


def post_message(client, transport, name, value):
    """POST /support/messages with one field (name, value as bytes) in the query, the
    urlencoded form or a multipart form."""
    token = client.csrf_token().encode()
    if transport == "query":
        return client.open("/support/messages", method="POST", query_string=pairs([(name, value)]),
                           data=b"csrf_token=" + token,
                           content_type="application/x-www-form-urlencoded")
    if transport == "urlencoded":
        return client.open("/support/messages", method="POST",
                           data=f"{pairs([(name, value)])}&csrf_token=".encode() + token,
                           content_type="application/x-www-form-urlencoded")
    return client.open("/support/messages", method="POST", content_type=(
        "multipart/form-data; boundary=wall"), data=multipart(
        (name, value, None), (b"csrf_token", token, None)))


NOT_TEXT_FIELDS = [  # NUL and bytes that are not UTF-8, in values and names
    ("query", b"text", b"a\x00b"), ("query", b"text", b"\xff\xfe"), ("query", b"a\x00", b"1"),
    ("query", b"\xed\xa0\x80", b"1"), ("urlencoded", b"text", b"a\x00b"),
    ("urlencoded", b"text", b"\xc3\x28"), ("urlencoded", b"te\xffxt", b"1"),
    ("multipart", b"text", b"a\x00b"), ("multipart", b"text", b"\xff\xfe"),
    ("multipart", b"\x00", b"1"),
]


@pytest.mark.parametrize("transport,name,value", NOT_TEXT_FIELDS)
def test_text_that_is_not_text_is_refused_and_nothing_done(app, client, signed_in, transport,
                                                           name, value):
    response = post_message(client, transport, name, value)
    assert response.status_code == 400
    assert NOT_TEXT in page(response)
    with app.app_context():
        assert models.ChatMessage.select().count() == 0


def test_the_refusal_is_in_the_users_language(app, client, signed_in):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "uk"
    response = post_message(client, "urlencoded", b"text", b"a\x00b")
    assert response.status_code == 400 and NOT_TEXT_UK in page(response)


@pytest.mark.parametrize("value", [b"Hello\r\nsecond line", "Привіт ✓ — 5 €".encode()])
def test_line_ends_and_any_language_are_text(app, client, signed_in, value):
    for transport in ("urlencoded", "multipart"):
        assert post_message(client, transport, b"text", value).status_code == 303


@pytest.mark.parametrize("path", ["/services/%00", "/services/a%00b/connect", "/topup/%00",
                                  "/tariffs/%00/switch"])
def test_a_path_that_is_not_text_is_no_such_page(client, signed_in, path):
    method = "POST" if path.endswith("connect") else "GET"
    assert client.open(path, method=method).status_code == 404


def test_a_file_where_a_form_takes_text_is_refused_and_nothing_done(app, client, signed_in):
    response = post_message(client, "multipart", b"text", b"Hello")
    assert response.status_code == 303  # the same field as text is taken
    response = client.open("/support/messages", method="POST", content_type=(
        "multipart/form-data; boundary=wall"), data=multipart(
        (b"text", b"Hello again", "hello.txt"), (b"csrf_token", client.csrf_token().encode(), None)))
    assert response.status_code == 400 and NO_FILES in page(response)
    with app.app_context():
        assert models.ChatMessage.select().count() == 1


def test_a_get_with_a_body_is_read_too(client, signed_in):
    # A page's plain GET is let through unread; one that carries a body is not.
    assert client.get("/").status_code == 200
    response = client.open("/", method="GET", content_type="multipart/form-data; boundary=wall",
                           data=multipart((b"text", b"Hello", "hello.txt")))
    assert response.status_code == 400 and NO_FILES in page(response)
    response = client.open("/", method="GET", content_type="application/x-www-form-urlencoded",
                           data=b"text=a%00b")
    assert response.status_code == 400 and NOT_TEXT in page(response)
    # Chunked, with no Content-Length: a body all the same (gunicorn marks it terminated).
    response = client.open("/", method="GET", input_stream=BytesIO(b"text=a%00b"), headers={
        "Transfer-Encoding": "chunked", "Content-Type": "application/x-www-form-urlencoded"},
        environ_overrides={"wsgi.input_terminated": True})
    assert response.status_code == 400 and NOT_TEXT in page(response)


def test_a_json_body_is_not_a_form(app, client, signed_in):
    for body in ({"text": "Hello"}, {"text": 5}, [1], "x"):
        response = client.post("/support/messages", csrf=False, json=body,
                               headers={"X-CSRFToken": client.csrf_token()})
        assert response.status_code == 422, body
    with app.app_context():
        assert models.ChatMessage.select().count() == 0


def test_a_form_reads_no_files(app):
    """Behind the request check, a form still takes only what was posted as text."""
    from portal.signin.views import LoginForm
    with app.test_request_context("/login", method="POST", data={
            "login": (BytesIO(b"0671234567"), "login.txt"), "password": "x"}):
        form = LoginForm(meta={"csrf": False})
        assert not form.validate() and form.login.data in (None, "")
        assert form.password.data == "x"


# The walk --------------------------------------------------------------------------------

# Path variables as they stand in the URL (percent-encoded bytes: NUL, not UTF-8, a newline).
PATH_VALUES = (str(2**70), str(-2**70), str(2**63), "99999999999999999999999", "%00",
               "%FF%FE", "%0A", "x" * 3000)
# Query and form values: text goes UTF-8 and percent-encoded as a browser sends it; bytes go
# as they are (not UTF-8).
LONG = "x" * 10_000
VALUES = (str(2**70), str(-2**70), "\x00", "/\r\n/evil.com", "1e999", LONG, b"\xff\xfe")
# Each name alone gets these (the rest come in every name at once).
EACH_NAME_VALUES = (str(2**70), "\x00", "/\r\n/evil.com", LONG)


def make_admin(app):
    with app.app_context():
        models.db.connect(reuse_if_open=True)
        models.StaffUser.create(
            totp_secret=staff_secret(), login="olena", role="admin", password_hash=hash_password(
            STAFF_PASSWORD), created_at=START, password_changed_at=START)


def staff_signs_in(client):
    return client.post("/staff", data={"login": "olena", "password": STAFF_PASSWORD})


class Recorded(ImmutableMultiDict):
    """Query and form arguments that note each name a view looks up."""

    asked = set()

    def __contains__(self, key):
        Recorded.asked.add(key)
        return super().__contains__(key)

    def __getitem__(self, key):
        Recorded.asked.add(key)
        return super().__getitem__(key)

    def getlist(self, key, type=None):
        Recorded.asked.add(key)
        return super().getlist(key, type)


class PageForms(HTMLParser):
    """The forms of a page and its links with a query: (method, path, query, fields, htmx)
    with the values the page gives each field. A POST form's action keeps its query; a GET
    form sends its fields in place of it, as browsers do."""

    def __init__(self, path):
        super().__init__()
        self.path, self.found, self.fields, self.select = path, [], None, None

    def handle_starttag(self, tag, attrs):
        attrs = {key: unescape(value or "") for key, value in attrs}
        for key in ("href", "data-hx-get"):
            if attrs.get(key, "").startswith("/") and "?" in attrs[key]:
                url = urlsplit(attrs[key])
                self.found.append(("GET", url.path, [], parse_qsl(url.query, True),
                                   key == "data-hx-get"))
        name = attrs.get("name")
        if tag == "form":
            method = attrs.get("method", "get").upper()
            action = urlsplit(attrs.get("action") or self.path)
            self.fields = []
            query = parse_qsl(action.query, True) if method == "POST" else []
            self.found.append((method, action.path, query, self.fields, False))
        elif tag == "option" and self.select is not None:
            self.select.append(attrs.get("value", ""))
            self.select = None
        elif self.fields is not None and name and name not in {f[0] for f in self.fields}:
            if tag == "select":  # takes its first option's value
                self.select = [name]
                self.fields.append(self.select)
            elif attrs.get("type") not in ("checkbox", "radio") or "checked" in attrs:
                self.fields.append([name, attrs.get("value", "")])

    def handle_endtag(self, tag):
        if tag == "form":
            self.fields = None

    def distinct(self):
        """One of each form and link (by where it goes and the names it sends)."""
        found = {}
        for method, path, query, fields, htmx in self.found:
            fields = [tuple(field) for field in fields if len(field) == 2]
            names = tuple(name for name, _value in query + fields)
            found[method, path, names] = (query, fields, htmx)
        return found


def fill(rule, value):
    """The rule's path with every variable set to `value` (as it stands in the URL)."""
    return re.sub(r"<[^>]+>", value, rule.rule)


class Walk:
    """One browser walking the URL map: what it sends, every 5xx it gets, the forms and
    links of the pages it has seen."""

    def __init__(self, app, clock, who, sign_in, errors):
        self.client, self.clock, self.who, self.sign_in = app.test_client(), clock, who, sign_in
        self.errors, self.sent, self.failures = errors, 0, []
        self.seen, self.covered = set(), set()

    def send(self, method, path, query=(), form=None, **kwargs):
        """`query` and `form`: (name, value) pairs; `form` None sends no body."""
        if form is not None:
            kwargs.update(data=pairs([("csrf_token", self.client.csrf_token()), *form]),
                          content_type="application/x-www-form-urlencoded")
        response = self.client.open(path, method=method, query_string=pairs(query), **kwargs)
        self.sent += 1
        if response.status_code >= 500:
            self.failures.append(f"{self.who} {method} {path[:60]} query={str(query)[:60]} "
                                 f"form={str(form)[:60]} {kwargs.get('content_type', '')}: "
                                 f"{response.status_code} {self.errors[-1:]!r:.150}")
        self.errors.clear()
        return response

    def rule(self, rule, method):
        """Ask the route once with nothing, then with hostile values in every name it
        looked up, in its path variables, as files and as JSON."""
        self.sign_in(self)
        path = fill(rule, "1")
        takes_form = method != "GET"
        Recorded.asked = set()
        response = self.send(method, path, form=[] if takes_form else None)
        asked = sorted(Recorded.asked - {"csrf_token"})
        if method == "GET" and response.mimetype == "text/html":
            self.page_forms(path, response.get_data(as_text=True))
        if not asked and response.status_code in (302, 303, 401, 403):
            # Closed to this browser (it is sent to sign in): every value at once, as names
            # and as values, for what runs before the view; the browsers it is open to do
            # the rest.
            every = [(f"x{index}", value) for index, value in enumerate(VALUES)]
            every += [(value, "1") for value in VALUES]
            self.send(method, path, query=every, form=every if takes_form else None)
            return
        for value in VALUES:  # in every name at once, and as a name nobody looks up
            every = [(name, value) for name in asked] + [(value, "1")]
            self.send(method, path, query=every, form=every if takes_form else None)
        for name in asked:  # alone, unless a page's form or link sent it already
            for value in EACH_NAME_VALUES if (method, path, name) not in self.covered else ():
                self.send(method, path, query=[(name, value)],
                          form=[(name, value)] if takes_form else None)
        for value in PATH_VALUES if rule.arguments else ():
            self.send(method, fill(rule, value), form=[] if takes_form else None)
        if takes_form:
            files = {name: (BytesIO(b"=1+2\x00"), "a.csv") for name in asked or ["file"]}
            self.send(method, path, data={"csrf_token": self.client.csrf_token(), **files},
                      content_type="multipart/form-data")
            for body in ({name: 5 for name in asked}, [1]) if asked else ():
                self.send(method, path, data=json.dumps(body), content_type="application/json",
                          headers={"X-CSRFToken": self.client.csrf_token()})

    def page_forms(self, path, html):
        """Each form and link of a page not seen before, one field hostile at a time, the
        others as the page gives them (at once: what the page shows may change later)."""
        page = PageForms(path)
        page.feed(html)
        for (method, action, names), (query, fields, htmx) in page.distinct().items():
            if (method, action, names) in self.seen:
                continue
            self.seen.add((method, action, names))
            self.covered |= {(method, action, name) for name in names}
            everything = query + fields
            in_url = len(everything) if method == "GET" else len(query)
            for index, (name, _value) in enumerate(everything):
                for value in EACH_NAME_VALUES if name != "csrf_token" else ():
                    changed = everything[:index] + [(name, value)] + everything[index + 1:]
                    body = [field for field in changed[in_url:] if field[0] != "csrf_token"]
                    self.send(method, action, query=changed[:in_url],
                              form=body if method != "GET" else None,
                              headers={"HX-Request": "true"} if htmx else {})


@pytest.fixture
def cabinet(app, factory):
    """A subscriber's cabinet with a mobile number and a Home Internet account, a chat, a
    fault and a pending request; an admin of the staff console."""
    mobile = factory.subscriber()
    account = factory.account(mobile.profile)
    with app.app_context():
        models.db.connect(reuse_if_open=True)
        chat = models.Chat.create(profile=mobile.profile, subscription=mobile, opened_at=START,
                                  last_message_at=START)
        models.ChatMessage.create(chat=chat, text="Hello", sent_at=START)
        models.Fault.create(subscription=account.id, problem="slow", since=START.date(),
                            created_at=START, updated_at=START)
        models.ServiceRequest.create(subscription=mobile.id, kind="sim_block", state="pending",
                                     created_at=START, due_at=kyiv(2026, 11, 25, 10, 30))
    make_admin(app)
    return mobile


def signs_in(path, login, password):
    """Sign in afresh (a walk may have signed out); wrong passwords the walk sent may have
    made the account wait: the clock runs past the wait."""
    def sign_in(walk):
        response = walk.client.post(path, data={"login": login, "password": password})
        if response.status_code == 422 and path == "/staff":
            walk.clock.advance(seconds=30)  # a staff code signs in once: the next one
            response = walk.client.post(path, data={"login": login, "password": password})
        if response.status_code == 429:
            walk.clock.advance(hours=1, minutes=1)
            response = walk.client.post(path, data={"login": login, "password": password})
        assert response.status_code == 303
    return sign_in


# Each visitor walks a fresh copy of the cabinet, in a test of its own (the three walks
# are a third of the suite's longest test each: apart, the workers share them out).
VISITORS = {"signed out": lambda: lambda walk: None,
            "subscriber": lambda: signs_in("/login", "0671234567", PASSWORD),
            "staff": lambda: signs_in("/staff", "olena", STAFF_PASSWORD)}


@pytest.mark.parametrize("visitor", VISITORS)
def test_no_hostile_input_gets_a_server_error(app, clock, cabinet, visitor):
    app.request_class = type("Recording", (app.request_class,),
                             {"parameter_storage_class": Recorded})
    app.config["PROPAGATE_EXCEPTIONS"] = False  # a failure answers 500, as in production
    errors = []
    walk = Walk(app, clock, visitor, VISITORS[visitor](), errors)
    # Every page first, as it is before the walk changes anything: its forms and links
    # take the hostile values at once, and the routes they go to learn their names.
    routes = sorted(((rule, method) for rule in app.url_map.iter_rules()
                     if rule.endpoint != "static"
                     for method in sorted(rule.methods - {"HEAD", "OPTIONS"})),
                    key=lambda route: route[1] != "GET")
    with got_request_exception.connected_to(
            lambda sender, exception: errors.append(exception), app):
        for rule, method in routes:
            walk.rule(rule, method)
    assert not walk.failures, (f"{len(walk.failures)} of {walk.sent} requests failed:\n"
                               + "\n".join(walk.failures))


def test_the_api_with_a_live_token_gets_no_server_error(app, clock, cabinet):
    """The walk above meets the API without a token (401 before anything is read): here a
    widget with a live token walks the API's routes."""
    app.request_class = type("Recording", (app.request_class,),
                             {"parameter_storage_class": Recorded})
    app.config["PROPAGATE_EXCEPTIONS"] = False
    token = widget_token(app)
    errors = []
    widget = Walk(app, clock, "widget", lambda walk: None, errors)
    widget.client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    assert widget.client.get("/api/v1/balance").status_code == 200
    with got_request_exception.connected_to(
            lambda sender, exception: errors.append(exception), app):
        for rule in app.url_map.iter_rules():
            if rule.endpoint.startswith("api."):
                widget.rule(rule, "GET")
    assert widget.sent > 10 and not widget.failures, widget.failures
