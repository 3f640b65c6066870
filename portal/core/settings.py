"""The portal's settings: defaults, then the PORTAL_* environment (README, "Settings"),
then what `create_app` is given (tests, a real payment provider's adapter)."""
import os
import secrets
from pathlib import Path

from rules import budget as budget_rules
from .clock import DemoClock, SystemClock, parse_now

DEFAULTS = {
    "DATABASE_URL": "sqlite:///instance/portal.db",
    "DEMO": False,
    "NOW": "",
    "SMS_BACKEND": "outbox",
    "SMS_URL": "",
    "SMS_TOKEN": "",
    "KANNEL_URL": "",  # smsbox's sendsms: http://127.0.0.1:13013/cgi-bin/sendsms
    "KANNEL_USER": "",
    "KANNEL_PASSWORD": "",
    "SMS_SENDER": "",  # the alphanumeric sender the SMS centre lets us use
    "PUBLIC_URL": "",  # the portal's address as the outside sees it (delivery reports, LiqPay)
    "SMS_PER_ADDRESS": budget_rules.Limits.per_address_short,
    "SMS_PER_ADDRESS_DAY": budget_rules.Limits.per_address_day,
    "SMS_DAILY_TOTAL": budget_rules.Limits.portal_day,
    # Wrong passwords from one client address, across accounts, in an hour; past them that
    # address signs in by SMS code only (carrier NAT puts thousands behind one address).
    "PASSWORD_FAILS_PER_ADDRESS": 200,
    "SECURE_COOKIES": None,  # unset: on outside demo mode (make run serves plain HTTP)
    "BEHIND_PROXY": False,
    # The operator's caps on a number's automatic top-ups in a calendar month.
    "AUTOPAY_MONTHLY_COUNT": 3,
    "AUTOPAY_MONTHLY_UAH": 3000,
    "METRICS_TOKEN": "",  # unset: /metrics answers 404
    # PostgreSQL: months of usage kept attached (models/partitions.py): the guide's reports
    # go back three years; `usage-partitions` detaches older months for the archive.
    "USAGE_RETENTION_MONTHS": 36,
}
FLASK_DEFAULTS = {
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session it belongs to
    "BABEL_DEFAULT_LOCALE": "uk",
    "BABEL_DEFAULT_TIMEZONE": "Europe/Kyiv",  # instants are UTC; people read Kyiv time
    "COMPRESS_MIMETYPES": ["text/html", "text/css", "text/csv", "text/javascript",
                           "application/javascript", "application/json", "image/svg+xml",
                           "application/pdf",  # report PDFs shrink by about a tenth
                           "application/manifest+json"],
    # Flask-Compress leaves alone what is under 500 bytes; the service worker's loader
    # (static/app.js, about 200) still comes out smaller, and every asset is gzipped.
    "COMPRESS_MIN_SIZE": 150,
    "COMPRESS_ALGORITHM": ["gzip"],
    "COMPRESS_ALGORITHM_STREAMING": ["gzip"],  # static files are streamed: gzip them too
    # Pages carry no ETag: weighing their conditional requests after gzip cost a dashboard
    # 1.6% of its time under gunicorn and added a Date header to gunicorn's own. A static
    # file's, whose ETag gzip changes, is weighed by web.revalidate_static.
    "COMPRESS_EVALUATE_CONDITIONAL_REQUEST": False,
    "SEND_FILE_MAX_AGE_DEFAULT": 365 * 24 * 3600,  # static URLs carry a content hash
    "PASSWORD_HASH_PARAMS": {},  # argon2 defaults; tests pass cheaper ones
    "TEMPLATE_CACHE": None,  # compile templates per app; tests pass a shared jinja2 cache
    "MAX_CONTENT_LENGTH": 1024 * 1024,  # no form of ours is near a megabyte
}


class SettingsError(RuntimeError):
    """A setting the portal cannot start with."""


def _secret_key(instance_path):
    """In demo mode, a key generated once and kept in instance/ (mode 600). Elsewhere the
    portal refuses to start without PORTAL_SECRET_KEY: each node making its own would
    refuse the others' cookies, forms and codes."""
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


def _flag(value):
    return value is True or str(value).strip().lower() in ("1", "true", "yes")


def load(app, given):
    """Fill app.config; `given` (create_app's argument) wins over the environment."""
    app.config.update(FLASK_DEFAULTS)
    app.config.update(DEFAULTS)
    # Values are taken as the text they are (a numeric secret key stays text).
    app.config.from_prefixed_env("PORTAL", loads=str)
    app.config.update(given or {})
    config = app.config
    if config["SECURE_COOKIES"] is None or str(config["SECURE_COOKIES"]).strip() == "":
        config["SECURE_COOKIES"] = not _flag(config["DEMO"])
    for name in ("DEMO", "SECURE_COOKIES", "BEHIND_PROXY"):
        config[name] = _flag(config[name])
    if not config["DEMO"] and not config["SECURE_COOKIES"]:
        # Said at every start: a real site serving plain HTTP gives its cookies away.
        app.logger.warning("PORTAL_SECURE_COOKIES=0: cookies are not Secure and no HSTS is "
                           "sent; use it only to test over plain HTTP, never on a real site")
    if not config["DEMO"]:
        config["NOW"] = ""  # a real site can never be moved in time
    config["SESSION_COOKIE_SECURE"] = config["SECURE_COOKIES"]
    config["REMEMBER_COOKIE_SECURE"] = config["SESSION_COOKIE_SECURE"]
    config["PASSWORD_FAILS_PER_ADDRESS"] = int(config["PASSWORD_FAILS_PER_ADDRESS"])
    config["USAGE_RETENTION_MONTHS"] = int(config["USAGE_RETENTION_MONTHS"])
    config.setdefault("SMS_LIMITS", budget_rules.Limits(
        per_address_short=int(config["SMS_PER_ADDRESS"]),
        per_address_day=int(config["SMS_PER_ADDRESS_DAY"]),
        portal_day=int(config["SMS_DAILY_TOTAL"])))
    if not config.get("SECRET_KEY"):
        if not config["DEMO"]:
            raise SettingsError("PORTAL_SECRET_KEY is not set: every node of the portal needs "
                                "the same secret key (deploy/README.md)")
        config["SECRET_KEY"] = _secret_key(app.instance_path)
    if "CLOCK" not in config:
        now = str(config["NOW"] or "")
        config["CLOCK"] = DemoClock(parse_now(now)) if now else SystemClock()
