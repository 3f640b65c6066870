"""One JSON line per request and per command run (python-json-logger), on standard error:
gunicorn and systemd hand it to the journal.

A request's line: time (UTC), request_id (nginx's X-Request-ID, or one of ours; returned
in the answer's X-Request-ID), method, route (the URL rule, never the address with its
values), status, duration_ms, profile_id (the cabinet's internal id, when signed in).
A command's line: run_id, command, outcome, duration_ms. Every other line logged while a
request or a command runs carries its id. Never a phone number, code, token or card: the
fields above hold none, and digits in any message or traceback are masked."""
import functools
import logging
import re
import sys
import time
import uuid
from contextvars import ContextVar

import click
from flask import g, request
from flask.logging import default_handler
from pythonjsonlogger.json import JsonFormatter

from ..core import metrics

log = logging.getLogger("portal.ops")
# The request's or the command's id, for every line logged meanwhile.
_context = ContextVar("log_context", default=None)
# nginx's $request_id is 32 hex digits; a load balancer's may be a UUID. Anything else
# (too long, odd characters) is replaced, so a client cannot write into the log.
_GIVEN_ID = re.compile(r"[A-Za-z0-9._-]{8,64}\Z")
# Four or more digits, also split by spaces, dashes, dots or brackets (+380 67 123-45-67):
# a phone number, a code, a card number. Ids and durations are fields, never text.
_DIGITS = re.compile(r"\+?\d(?:[\s().-]{0,2}\d){3,}")


def mask(text):
    return _DIGITS.sub("[digits]", text)


class _Context(logging.Filter):
    """Adds the request's or run's id to every line and masks digits in its message."""

    def filter(self, record):
        for key, value in (_context.get() or {}).items():
            if not hasattr(record, key):
                setattr(record, key, value)
        record.msg, record.args = mask(record.getMessage()), None
        return True


class _Formatter(JsonFormatter):
    converter = time.gmtime

    def formatException(self, ei):  # noqa: N802 (logging's name)
        return mask(super().formatException(ei))

    def formatStack(self, stack_info):  # noqa: N802
        return mask(super().formatStack(stack_info))


class _Stderr(logging.StreamHandler):
    """Standard error as it is when a line is written (tests swap it), not at start."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value):
        pass


def handler():
    """The portal's log handler: JSON lines, ids added, digits masked."""
    made = _Stderr()
    made.setFormatter(_Formatter("{asctime}{levelname}{name}{message}", style="{",
                                 datefmt="%Y-%m-%dT%H:%M:%SZ",
                                 rename_fields={"asctime": "time", "levelname": "level",
                                                "name": "logger"}))
    made.addFilter(_Context())
    return made


def install():
    """Before an app logs anything, once a process: every `portal.*` logger writes JSON
    lines (INFO and up) through this handler alone. The app's own logger is "portal" too,
    and Flask gives it a text handler the first time the app logs unless one is there
    already (a start-up warning came first under gunicorn): every line then went out a
    second time, as text, its digits unmasked."""
    portal = logging.getLogger("portal")
    portal.removeHandler(default_handler)
    if not any(isinstance(each, _Stderr) for each in portal.handlers):
        portal.addHandler(handler())
        portal.setLevel(logging.INFO)
        portal.propagate = False


# Requests ------------------------------------------------------------------------------

# Both run for every request: each takes the objects behind Flask's proxies once (see
# portal.core.i18n.current_locale).

def _start():
    store = g._get_current_object()
    # From the environ: werkzeug's headers answer a missing one by raising a KeyError.
    given = request._get_current_object().environ.get("HTTP_X_REQUEST_ID", "")
    store.request_id = given if _GIVEN_ID.match(given) else uuid.uuid4().hex
    store.request_started = time.perf_counter()
    _context.set({"request_id": store.request_id})


def _finish(response):
    store, asked = g._get_current_object(), request._get_current_object()
    seconds = time.perf_counter() - store.request_started
    route = asked.url_rule.rule if asked.url_rule else "unmatched"
    response.headers["X-Request-ID"] = store.request_id
    metrics.request_served(route, asked.method, response.status_code, seconds)
    # The signed-in user only if this request loaded it: a probe stays without a session.
    user = store.get("_login_user")
    log.info("request", extra={
        "method": asked.method, "route": route, "status": response.status_code,
        "duration_ms": round(seconds * 1000, 1),
        "profile_id": user.id if user is not None and user.is_authenticated else None})
    return response


def _forget(_exc):
    _context.set(None)


# Commands ------------------------------------------------------------------------------

def _logged(name, callback):
    @functools.wraps(callback)
    def run(*args, **kwargs):
        run_id = uuid.uuid4().hex
        token = _context.set({"run_id": run_id})
        started, outcome = time.perf_counter(), "failed"
        try:
            result = callback(*args, **kwargs)
            outcome = "ok"
            return result
        except (SystemExit, click.exceptions.Exit) as stop:
            code = stop.code if isinstance(stop, SystemExit) else stop.exit_code
            outcome = "ok" if code in (0, None) else "failed"
            raise
        finally:
            log.info("command", extra={"command": name, "outcome": outcome,
                                       "duration_ms": round((time.perf_counter() - started)
                                                            * 1000, 1)})
            _context.reset(token)
    return run


def init_app(app):
    # First before every other hook, last after them: the duration is the whole request's.
    app.before_request_funcs.setdefault(None, []).insert(0, _start)
    app.after_request_funcs.setdefault(None, []).insert(0, _finish)
    app.teardown_request(_forget)
    for name, command in app.cli.commands.items():
        if command.callback is not None and not getattr(command.callback, "logged", False):
            command.callback = _logged(name, command.callback)
            command.callback.logged = True
