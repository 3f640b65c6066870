"""What every page shares: database connection per request, fragment-or-page rendering,
post/redirect/get, security headers, fields with their errors, error pages."""
import hashlib
import json
import os
import re
from functools import lru_cache
from pathlib import Path
from urllib.parse import unquote, urlencode, urlsplit

from flask import (
    abort,
    current_app,
    flash,
    g,
    get_flashed_messages,
    has_request_context,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import CSRFError, generate_csrf
from htmx_flask import make_response as htmx_response
from jinja2_fragments import render_block
from markupsafe import Markup, escape
from peewee import OperationalError
from werkzeug.datastructures import iter_multi_items
from werkzeug.exceptions import BadRequest, HTTPException, ServiceUnavailable
from wtforms import HiddenField, StringField

import models
from .forms import BaseForm
from .i18n import LANGUAGE_COOKIE, LOCALES, current_locale
from .signing import KeptSignersSerializer
from .templating import page_environment

# The statuses of refusals, one each: htmx is configured (base.html) to swap 4xx answers.
INVALID_FORM = 422  # a field was rejected
CONFLICT = 409  # the state of things refuses it (a balance, a limit, a state)
TOO_MANY = 429  # throttled: the message says when to try again
GATEWAY_DOWN = 503  # the SMS gateway or the database is busy: try again in a minute
BUSY_SIGNS = ("database is locked", "deadlock detected", "could not serialize")

CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "object-src 'none'",
))


def is_fragment_request():
    """htmx asked for a part of the page: not a boosted navigation, not a history restore."""
    htmx = request.htmx
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


def render(template, block=None, status=200, **context):
    """The whole page, or only `block` of it when htmx asks for that region."""
    environment = page_environment()
    if block and is_fragment_request():
        current_app.update_template_context(context)
        html = render_block(environment, template, block, **context)
    else:
        html = render_template(environment.get_template(template), **context)
    # The type named: werkzeug would look for a Content-Type among no headers, which it
    # answers by building and raising a BadRequestKeyError.
    return current_app.response_class(html, status, mimetype="text/html")


def render_part(template, block, **context):
    """`block` of `template` alone, as HTML to keep and put into pages later, rendered
    with `context` and no context processor's values (the user, the CSRF token). The
    templates' globals can still read the request (csrf(), current_subscription(), the
    session): a kept block must call none of them, and a test holds the kept block to the
    names it reads and to no filter, test, include or import."""
    return Markup(render_block(page_environment(), template, block, **context))


@lru_cache(maxsize=None)
def _static_hash(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12]


def static_url(filename):
    """A static URL that changes with the file's content, so it can be cached for a year."""
    path = Path(current_app.static_folder) / filename
    return template_url("static", filename=filename, v=_static_hash(str(path)))


# werkzeug's characters left as they are in a query (werkzeug.urls._urlencode).
_QUERY_SAFE = "!$'()*,/:;?@"
# Text that urlencode leaves as it is, whatever its safe characters.
_AS_IS = re.compile(r"[A-Za-z0-9_.~-]*\Z").match


def template_url(endpoint, **values):
    """Templates' url_for, without werkzeug's general URL builder where it is not needed:
    the URL of an endpoint whose one rule takes no arguments is built once per app and
    script root, and its values (a report's month, a top-up's number) become its query
    exactly as werkzeug makes one; static files' URLs are kept too (a file's content does
    not change under a running app). Anything else goes to Flask's url_for."""
    if not has_request_context():
        return url_for(endpoint, **values)
    if endpoint == "static":
        built = current_app.extensions.setdefault("template_urls", {})
        key = (request.script_root, endpoint, *sorted(values.items()))
        found = built.get(key)
        if found is None:
            found = built[key] = url_for(endpoint, **values)
        return found
    base = _plain_url(endpoint)
    if base is None or any(key[:1] == "_" for key in values):  # url_for's own options
        return url_for(endpoint, **values)
    if all(type(value) is str and _AS_IS(value) and _AS_IS(key) for key, value in values.items()):
        # Months, days, types and cursors: urlencode would leave every character as it is.
        query = "&".join(f"{key}={value}" for key, value in values.items())
    else:
        query = urlencode([(key, value) for key, value in iter_multi_items(values)
                           if value is not None], safe=_QUERY_SAFE)
    return f"{base}?{query}" if query else base


def _plain_url(endpoint):
    """The URL of `endpoint` under the request's script root when its one rule takes no
    arguments (then values can only be its query), else None."""
    # The proxies' objects asked once (see i18n.current_locale): a page builds ten links.
    plain = current_app._get_current_object().extensions.setdefault("plain_urls", {})
    key = (request._get_current_object().script_root, endpoint)
    if key not in plain:
        try:
            rules = list(current_app.url_map.iter_rules(endpoint))
        except KeyError:  # no such endpoint (or a blueprint's '.name'): url_for says so
            rules = ()
        plain[key] = url_for(endpoint) if (len(rules) == 1 and not rules[0].arguments
                                           and not rules[0].defaults) else None
    return plain[key]


def _static_cache(response):
    """A static file is cached for a year only under the hash of the content served: during
    a rolling upgrade an old node asked for a new file's URL answers with its old content,
    which must not be kept under the new name."""
    filename = request.view_args.get("filename", "") if request.view_args else ""
    path = os.path.join(current_app.static_folder, filename)
    wanted = request.args.get("v")
    # os.path.isfile, not Path.is_file: a name too long for the file system is no file
    # (Path.is_file raises OSError for it).
    if not wanted or not os.path.isfile(path) or wanted != _static_hash(path):
        response.headers["Cache-Control"] = "no-cache"
    return response


def _close_file_with(response):
    """Flask-Compress gives a streamed static file a gzip body of its own and never closes
    the file it read from: it is closed with the answer instead (closing twice is safe)."""
    body = response.response
    if response.is_streamed and hasattr(body, "close"):
        response.call_on_close(body.close)


def revalidate_static(response):
    """A static file's If-None-Match weighed against the ETag it is served with: gzip's
    ('…:gzip', made by Flask-Compress after send_file weighed the plain one), so a browser
    revalidating a gzipped file gets its 304. Runs after Flask-Compress (see create_app)."""
    asked = request._get_current_object()  # every request: see i18n.current_locale
    if asked.endpoint == "static":
        response.make_conditional(asked)
    return response


def bare(view):
    """Mark `view` as one that needs neither the request's database connection nor the
    session: the load balancer's and Prometheus's probes (portal/ops), which must answer
    while the database is gone and read nothing of the visitor."""
    view.bare = True
    return view


def is_bare():
    view = current_app._get_current_object().view_functions.get(
        request._get_current_object().endpoint)  # (see i18n.current_locale)
    return getattr(view, "bare", False)


def _connect():
    if not is_bare():
        models.db.connect(reuse_if_open=True)


def _close(exc):
    # A SQLite connection stays open in its worker from one request to the next: opening
    # one and setting its pragmas costs more than a whole sign-in page (see `make bench`).
    # Nothing is left open with it: peewee runs in autocommit and atomic() always ends.
    # A PostgreSQL connection goes back to its pool (models.base.open_database).
    if models.is_sqlite() and not models.db.in_transaction():
        return
    if not models.db.is_closed():
        models.db.close()


# Headers of every answer that no view sets: added as they are, in one go (werkzeug's
# assignment checks each one against those already there, and the hook runs for every
# request).
_SECURITY_HEADERS = (("X-Content-Type-Options", "nosniff"), ("X-Frame-Options", "DENY"),
                     ("Referrer-Policy", "same-origin"),
                     ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"))


def _security_headers(response):
    headers = response.headers
    # The names already there, read in one pass: werkzeug answers a name it lacks by
    # raising a BadRequestKeyError it builds first, a fiftieth of a signed-in redirect's
    # work for three names.
    present = {name.lower() for name, _value in headers}
    headers.extend(_SECURITY_HEADERS)
    if "content-security-policy" not in present:  # the top-up page sets its own
        headers.add("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    if "vary" in present:
        response.vary.add("HX-Request")
    else:
        headers.add("Vary", "HX-Request")
    if request._get_current_object().endpoint == "static":  # (see i18n.current_locale)
        _static_cache(response)
        _close_file_with(response)
    elif "cache-control" not in present:
        # Pages show balances and personal data: never keep them in shared caches.
        headers.add("Cache-Control", "no-store")
    if current_app._get_current_object().config["SESSION_COOKIE_SECURE"]:
        headers.add("Strict-Transport-Security", "max-age=31536000")
    return response


def csrf_token():
    """The request's CSRF token, signed as Flask-WTF signs it (a new timestamp and
    signature every second, so no page carries the same token for long) and kept in `g`
    where Flask-WTF looks first. Flask-WTF's generate_csrf makes a new serializer for
    every token and reads the config and the session again at every call (a page has a
    form in its menu, two language switches and its own); the serializer is made once for
    each signing key here. A session without a secret gets it from generate_csrf."""
    app = current_app._get_current_object()  # asked once (see i18n.current_locale)
    config = app.config
    field = config["WTF_CSRF_FIELD_NAME"]  # Flask-WTF's name in g and in the session
    store = g._get_current_object()
    token = store.get(field)
    if token is not None:
        return token
    secret = session.get(field)
    if secret is None:
        return generate_csrf()
    key = config.get("WTF_CSRF_SECRET_KEY", app.secret_key)
    token = _csrf_serializer(key).dumps(secret)
    setattr(store, field, token)
    return token


def _csrf_serializer(key):
    """Flask-WTF's token serializer for signing `key`, made once (tests/test_web.py holds
    its tokens to generate_csrf's)."""
    made = current_app.extensions.get("csrf_serializer")
    if made is None or made[0] != key:
        made = current_app.extensions["csrf_serializer"] = (
            key, KeptSignersSerializer(key, salt="wtf-csrf-token"))
    return made[1]


def csrf():
    """The hidden field of a form's CSRF token."""
    return Markup('<input type="hidden" name="csrf_token" value="%s">') % csrf_token()


# The languages of the switch, each named in itself.
LANGUAGE_NAMES = (("uk", "Українська"), ("en", "English"), ("ru", "Русский"))


def language_switch(label_id):
    """The languages as buttons of one form, back to this page after the switch. Every page
    has two: the form's fixed parts are written once per language, script root and label,
    and only the CSRF field and the address go between them (a macro cost a twentieth of a
    dashboard)."""
    asked = request._get_current_object()  # asked once (see i18n.current_locale)
    key = (current_locale(), asked.script_root, label_id)
    forms = current_app._get_current_object().extensions.setdefault("language_switches", {})
    parts = forms.get(key)
    if parts is None:
        parts = forms[key] = _language_form(*key)
    back = asked.full_path.rstrip("?") if asked.method == "GET" else "/"
    before_csrf, before_back, after_back = parts
    return Markup(f"{before_csrf}{csrf()}{before_back}{escape(back)}{after_back}")


def _language_form(locale, script_root, label_id):
    """The switch's form around its CSRF field and its address: the three fixed parts, as
    HTML (`script_root` is the request's: the form's URL is built under it)."""
    label = escape(label_id)
    current = ' aria-current="true"'
    buttons = "".join(
        f'\n  <button type="submit" name="lang" value="{code}" lang="{code}" '
        f'aria-describedby="{label}"{current if code == locale else ""}>{name}</button>'
        for code, name in LANGUAGE_NAMES)
    return (f'<form method="post" action="{escape(template_url("set_language"))}" '
            'class="languages">\n  ', '\n  <input type="hidden" name="next" value="',
            f'">\n  <span id="{label}">{escape(_("Language"))}:</span>{buttons}\n</form>')


# The macros every page calls by name, globals of the templates: a block that htmx asks for is
# rendered alone and sees no import of its page. (A macro that needs the request takes it as
# an argument: one imported `with context` is a new module of its whole file at every use.)
SHARED_MACROS = {
    "_macros.html": ("show_alert", "show_notice", "card", "region_form", "password_rules",
                     "move_form", "review_form", "number_field", "listing"),
    "_service_macros.html": ("fees", "service_list"),
    "_support_macros.html": ("message_list", "radio_group"),
}


def share_macros(app):
    """Make SHARED_MACROS globals. Called after every area's init_app: a macro sees the
    globals there are when its file is loaded (`money`, `csrf_token`, `_`...)."""
    for name, macros in SHARED_MACROS.items():
        module = app.jinja_env.get_template(name).module
        app.jinja_env.globals.update({macro: getattr(module, macro) for macro in macros})


class Refused(BadRequest):
    """A request the portal will not read; its description says why, to the reader (in
    the reader's language). Raised before any view runs (guards.py) or by a view."""


# Every HTTP error's page: its title and what the reader can do, in the reader's language.
# A status not listed takes its class's (4xx: 400's, 5xx: 500's).
ERROR_TEXTS = {
    400: (_l("The request cannot be read"), _l("Please go back, reload the page and try again.")),
    401: (_l("Sign in first"), _l("This page needs you signed in.")),
    403: (_l("Not open to you"), _l("This page is not open to your account.")),
    404: (_l("Page not found"), _l("There is no such page.")),
    405: (_l("Not allowed"), _l("This address does not take that request.")),
    409: (_l("Not possible right now"),
          _l("Things have changed since the page was shown. Please reload it and try again.")),
    413: (_l("Too much sent"),
          _l("No form of ours sends this much. Please go back and send the form as the page "
             "shows it.")),
    422: (_l("Please check what you sent"),
          _l("Some of it could not be accepted. Please go back, reload the page and try "
             "again.")),
    429: (_l("Too many requests"), _l("Please wait a minute and try again.")),
    431: (_l("Your browser sent too much"),
          _l("Its cookies for this site have grown too large. Please sign out, or clear this "
             "site's cookies, and try again.")),
    500: (_l("Something went wrong"), _l("Nothing was changed. Please try again in a minute.")),
    503: (_l("Busy right now"), _l("Nothing was changed. Please try again in a minute.")),
}
# The API's answers are JSON whatever the status (its messages in English: programs read
# them); everything else under this prefix is the API's too (no page lives there).
API_PREFIX = "/api/"
# Headers of an error that say what to do next: kept on the page and in the JSON alike.
_KEPT_HEADERS = ("Allow", "Retry-After", "WWW-Authenticate")


def _error_page(status, title, message):
    return render("error.html", status=status, title=title, message=message)


def is_api_request():
    return request.path.startswith(API_PREFIX)


def api_error(status, message, headers=None):
    """The API's error: `{"error": message}` with `status`."""
    response = current_app.response_class(
        json.dumps({"error": message}, ensure_ascii=False), status=status,
        mimetype="application/json")
    response.headers.update(headers or {})
    return response


def http_error(error):
    """THE handler of every HTTP error (werkzeug's, abort(), CSRF, a refused request, an
    unhandled exception's 500): JSON under the API, else a page in the reader's language
    with the site's layout. Allow (405), Retry-After and WWW-Authenticate are kept."""
    status = error.code or 500
    headers = {name: value for name, value in error.get_headers() if name in _KEPT_HEADERS}
    if is_api_request():
        # werkzeug's descriptions are English; a refusal's own (guards) says what it is.
        message = error.description if status < 500 else "The server could not answer."
        return api_error(status, str(message), headers)
    if isinstance(error, CSRFError) and (
            current_app.config["SESSION_COOKIE_NAME"] not in request.cookies):
        # No session came back at all: the browser refuses cookies (Dillo does by default),
        # and "reload the page" would loop for ever.
        return render("cookies_refused.html", status=400, host=request.host)
    if isinstance(error, CSRFError):
        title, message = _("The form has expired"), _(
            "Please go back, reload the page and send the form again.")
    else:
        title, message = ERROR_TEXTS.get(status) or ERROR_TEXTS[500 if status >= 500 else 400]
        if isinstance(error, Refused):
            message = error.description
    response = _error_page(status, str(title), str(message))
    response.headers.update(headers)
    return response


def init_app(app):
    app.before_request(_connect)
    app.teardown_request(_close)
    app.after_request(_security_headers)
    app.add_url_rule("/language", "set_language", set_language, methods=["POST"])
    app.jinja_env.globals.update(static_url=static_url, url_for=template_url,
                                 form_field=form_field, csrf_token=csrf_token, csrf=csrf,
                                 language_switch=language_switch,
                                 demo_mode=app.config["DEMO"])
    app.register_error_handler(HTTPException, http_error)

    @app.errorhandler(OperationalError)
    def database_busy(error):
        """SQLite's writer waited its busy timeout, or PostgreSQL broke a deadlock: nothing
        was written (the transaction rolled back), and trying again works."""
        if not any(sign in str(error) for sign in BUSY_SIGNS):
            raise error
        return http_error(ServiceUnavailable(retry_after=10))

    @app.context_processor
    def page_globals():
        # csrf_token: ours, over the one Flask-WTF's own context processor gives pages
        return {"locale": current_locale(), "escape": escape, "csrf_token": csrf_token}


def form_field(field, id=None, hint=None, label=None, **attrs):
    """A labelled field with its hint and errors tied to it (aria-describedby), marked
    aria-invalid when rejected. Extra keyword arguments become attributes of the input."""
    field_id = id or field.id
    described = []
    parts = []
    if hint:
        described.append(f"{field_id}-hint")
    if field.errors:
        described.append(f"{field_id}-error")
        attrs["aria_invalid"] = "true"
    if described:
        attrs["aria_describedby"] = " ".join(described)
    if field.flags.required and field.type != "BooleanField":
        attrs.setdefault("required", True)
    # htmx's attributes as the valid data-hx-* (htmx reads both; the HTML checker only
    # those): hx_post= becomes data-hx-post.
    attrs = {"data-" + key.replace("_", "-") if key.startswith("hx_") else key: value
             for key, value in attrs.items() if value is not None}
    label_html = field.label(text=label, for_=field_id) if label else field.label(for_=field_id)
    widget = field(id=field_id, **attrs)
    if field.type == "BooleanField":
        parts.append(Markup('<div class="field check">{}{}').format(widget, label_html))
    else:
        parts.append(Markup('<div class="field">{}').format(label_html))
        if hint:
            parts.append(Markup('<p class="hint" id="{}-hint">{}</p>').format(field_id, hint))
        parts.append(widget)
    if field.errors:
        parts.append(Markup('<p class="error" id="{}-error">{}</p>').format(
            field_id, " ".join(str(error) for error in field.errors)))
    parts.append(Markup("</div>"))
    return Markup("").join(parts)


def or_404(row):
    """`row`, or a 404 when there is none: an id or a code that is not there (or not the
    cabinet's) is no such page, never a hint of what exists."""
    if row is None:
        abort(404)
    return row


def submitted(form):
    """A form whose fields are all hidden (an action's button) as it came: one that fails
    to validate was not sent by our page (400)."""
    if not form.validate():
        abort(400)
    return form


def see_other(location, notice=None):
    """Post/redirect/get: a 303 for browsers; for htmx, which would follow a redirect inside
    its request and swap the next page into a fragment, the same move as HX-Redirect.
    `notice` says what was just done, on the page shown next (flashed: kept in the session
    and shown once, never carried in the URL; the page reads it with `flashed_notice`)."""
    if notice:
        flash(str(notice))
    if is_fragment_request():
        return htmx_response("", 200, redirect=location)
    return redirect(location, code=303)


def flashed_notice():
    """The notice of the action that redirected here (`see_other`), or None."""
    return " ".join(get_flashed_messages()) or None


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")  # C0 and C1 controls


def local_target(target, default="/"):
    """`target` when it is a path of this site, else `default`. Browsers drop tabs and
    newlines from a URL and take a backslash for a slash (a tab between two slashes makes
    '//evil.com', another site), and a target may come encoded more than once: every
    decoding of it must be a plain path."""
    if not target or not target.startswith("/"):
        return default
    text = target
    while True:
        if _CONTROL.search(text) or "\\" in text or text.startswith("//"):
            return default
        parts = urlsplit(text)
        if parts.scheme or parts.netloc:
            return default
        decoded = unquote(text)
        if decoded == text:
            return target
        text = decoded


class LanguageForm(BaseForm):
    lang = StringField()
    next = HiddenField()


def set_language():
    """The footer's language switch: remembered in a cookie for a year, and on the cabinet
    of whoever is signed in (its SMS are written in it)."""
    form = LanguageForm()
    form.validate()
    response = see_other(local_target(form.next.data))
    if form.lang.data in LOCALES:
        remember_language(response, form.lang.data)
        if current_user.is_authenticated:
            models.Profile.update(language=form.lang.data).where(
                models.Profile.id == current_user.id).execute()
    return response


def remember_language(response, language):
    response.set_cookie(LANGUAGE_COOKIE, language, max_age=365 * 24 * 3600, samesite="Lax",
                        httponly=True, secure=current_app.config["SESSION_COOKIE_SECURE"])
