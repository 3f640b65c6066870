"""The self-service portal: the app factory.

`create_app` reads the settings, opens the database, and wires the shared core and then
each area, in the order of AREAS: each area is a package whose `init_app(app)` registers
its pages (views.py) and its commands (commands.py); its operations are its service.py,
which other areas use (CONTRIBUTING.md, "portal/")."""
from pathlib import Path

from flask import Flask, current_app, request
from flask_babel import Babel
from flask_compress import Compress
from flask_wtf.csrf import CSRFProtect
from htmx_flask import Htmx
from werkzeug.middleware.proxy_fix import ProxyFix

import models
from . import (
    api,
    bonuses,
    credit,
    dashboard,
    database,
    demo,
    expenses,
    feeds,
    free_sms,
    legal,
    ops,
    orders,
    profile,
    services,
    shops,
    signin,
    staff,
    support,
    topup,
    transfers,
    widget,
)
from .core import (
    auth,
    catalogue,
    compression,
    formatting,
    guards,
    i18n,
    settings,
    sms,
    templating,
    web,
)

ROOT = Path(__file__).resolve().parent.parent

# The core's pieces first (pages, money printing, SMS, the signed-in session, the catalogue),
# then the areas; ops last (it logs every command the others registered).
AREAS = (web, formatting, sms, auth, catalogue, signin, dashboard, database, feeds, expenses,
         orders, services, free_sms, profile, shops, support, staff, topup, transfers, bonuses,
         credit, legal, widget, api, demo, ops)

csrf = CSRFProtect()
compress = Compress()
babel = Babel()


class Portal(Flask):
    """Flask, keeping `ensure_sync`'s answer for each function. Flask asks it of every
    hook and of the view at every request (inspect.iscoroutinefunction, some twenty times
    a request, 2% of a signed-in redirect's work), and a function's answer never changes.
    `ensure_sync` is Flask's documented place to change how views and hooks are called."""

    KEPT = 1024  # functions; emptied when full (after_this_request's are new each time)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._synced = {}

    def ensure_sync(self, func):
        try:
            return self._synced[func]
        except KeyError:
            if len(self._synced) >= self.KEPT:
                self._synced.clear()
            synced = self._synced[func] = super().ensure_sync(func)
            return synced
        except TypeError:  # a callable that cannot be a key: asked each time
            return super().ensure_sync(func)


def _check_csrf():
    """Flask-WTF's CSRF check of every request that writes (WTF_CSRF_METHODS), its exempt
    views left out, as its own hook does. That hook asks which view a request goes to and
    whether it is exempt before it looks at the method: 2% of a report's work for every
    page opened. A hook of one's own calling `protect(apply_exemptions=True)` is
    Flask-WTF's documented alternative."""
    config = current_app._get_current_object().config
    if config["WTF_CSRF_ENABLED"] and request._get_current_object().method in config[
            "WTF_CSRF_METHODS"]:
        csrf.protect(apply_exemptions=True)


def create_app(config=None):
    ops.logs.install()  # first: reading the settings may already log
    app = Portal(__name__, root_path=str(ROOT), static_folder="static",
                template_folder="templates", instance_path=str(ROOT / "instance"))
    templating.init_app(app)
    settings.load(app, config)
    if app.config["TEMPLATE_CACHE"] is not None:
        # Compiled templates kept across apps (a jinja2 BytecodeCache): the tests give one per
        # session, so each test's app does not compile every template again.
        app.jinja_options = {**app.jinja_options, "bytecode_cache": app.config["TEMPLATE_CACHE"]}
    if app.config["BEHIND_PROXY"]:
        # nginx sets X-Forwarded-For and -Proto (deploy/nginx): the audit log keeps the
        # subscriber's address, not nginx's.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1)
    models.db.initialize(models.open_database(app.config["DATABASE_URL"], ROOT))
    i18n.check_catalogs()
    i18n.init_app(app, babel)
    guards.init_app(app)  # before CSRF: it reads the raw request first
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False  # checked by _check_csrf instead
    csrf.init_app(app)
    app.before_request(_check_csrf)
    # Flask runs after-request hooks last-registered first: this one, registered before
    # Flask-Compress's, sees the static file's final (gzip) ETag.
    app.after_request(web.revalidate_static)
    compress.init_app(app)
    compression.use_zlib_ng()
    Htmx(app)
    for area in AREAS:
        area.init_app(app)
    web.share_macros(app)
    return app
