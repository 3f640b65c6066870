"""The self-service portal: the app factory.

Each area lives in a blueprint module of this package; `create_app` wires them with the
database, the clock, the SMS gateway, the translations and the security headers.
"""
import os
import secrets
from pathlib import Path

from flask import Flask
from flask_babel import Babel
from flask_compress import Compress
from flask_wtf.csrf import CSRFProtect
from htmx_flask import Htmx
from werkzeug.middleware.proxy_fix import ProxyFix

import models
from .clock import ShiftedClock, SystemClock, parse_now

ROOT = Path(__file__).resolve().parent.parent

csrf = CSRFProtect()
compress = Compress()
babel = Babel()


def _secret_key(instance_path):
    """PORTAL_SECRET_KEY, or one generated once and kept in instance/ (mode 600)."""
    if os.environ.get("PORTAL_SECRET_KEY"):
        return os.environ["PORTAL_SECRET_KEY"]
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


def _settings(app):
    demo = os.environ.get("PORTAL_DEMO", "0") == "1"
    return {
        "DATABASE_URL": os.environ.get("PORTAL_DATABASE_URL", "sqlite:///instance/portal.db"),
        "DEMO": demo,
        "NOW": os.environ.get("PORTAL_NOW", "") if demo else "",
        "SMS_BACKEND": os.environ.get("PORTAL_SMS_BACKEND", "outbox"),
        "SMS_URL": os.environ.get("PORTAL_SMS_URL", ""),
        "SMS_TOKEN": os.environ.get("PORTAL_SMS_TOKEN", ""),
        "SESSION_COOKIE_SECURE": os.environ.get("PORTAL_SECURE_COOKIES", "0") == "1",
        "BEHIND_PROXY": os.environ.get("PORTAL_BEHIND_PROXY", "0") == "1",
        **({"PAYMENT_PROVIDER": os.environ["PORTAL_PAYMENT_PROVIDER"]}
           if "PORTAL_PAYMENT_PROVIDER" in os.environ else {}),
    }


def create_app(config=None):
    app = Flask(__name__, root_path=str(ROOT), static_folder="static",
                template_folder="templates", instance_path=str(ROOT / "instance"))
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session it belongs to
        BABEL_DEFAULT_LOCALE="uk",
        BABEL_DEFAULT_TIMEZONE="UTC",  # our times are already Kyiv local: print them as they are
        BABEL_TRANSLATION_DIRECTORIES=str(ROOT / "translations"),
        COMPRESS_MIMETYPES=["text/html", "text/css", "text/csv", "text/javascript",
                            "application/javascript", "application/json", "image/svg+xml",
                            "application/pdf"],  # report PDFs shrink by about a tenth
        COMPRESS_ALGORITHM=["gzip"],
        COMPRESS_ALGORITHM_STREAMING=["gzip"],  # static files are streamed: gzip them too
        SEND_FILE_MAX_AGE_DEFAULT=365 * 24 * 3600,  # static URLs carry a content hash
        PASSWORD_HASH_PARAMS={},  # argon2 defaults; tests pass cheaper ones
    )
    app.config.update(_settings(app))
    app.config.update(config or {})
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _secret_key(app.instance_path)
    app.config["REMEMBER_COOKIE_SECURE"] = app.config["SESSION_COOKIE_SECURE"]
    if app.config.get("BEHIND_PROXY"):
        # nginx sets X-Forwarded-For and -Proto (deploy/nginx): the audit log keeps the
        # subscriber's address, not nginx's.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1)

    if "CLOCK" not in app.config:
        now = app.config.get("NOW")
        app.config["CLOCK"] = ShiftedClock(parse_now(now)) if now else SystemClock()

    models.db.initialize(models.open_database(app.config["DATABASE_URL"], ROOT))

    from . import guards, i18n, web
    i18n.compile_catalogs()
    i18n.init_app(app, babel)
    guards.init_app(app)
    csrf.init_app(app)
    compress.init_app(app)
    Htmx(app)
    web.init_app(app)

    from . import sms
    sms.init_app(app)

    from . import auth, cli, dashboard, demo
    auth.init_app(app)
    app.register_blueprint(dashboard.bp)
    app.register_blueprint(demo.bp)
    cli.init_app(app)

    from . import staff, support
    app.register_blueprint(support.bp)
    staff.init_app(app)
    from . import copydb
    copydb.init_app(app)
    from . import expenses, usage
    expenses.init_app(app)
    usage.init_app(app)
    from . import requests, services
    requests.init_app(app)
    services.init_app(app)

    from . import free_sms, profile, shops
    app.register_blueprint(free_sms.bp)
    app.register_blueprint(profile.bp)
    app.register_blueprint(shops.bp)

    from . import acquiring, topup
    acquiring.init_app(app)
    app.register_blueprint(topup.bp)
    from . import money
    money.init_app(app)
    return app


def clock():
    """The app's clock (for code running inside a request or an app context)."""
    from flask import current_app
    return current_app.config["CLOCK"]
