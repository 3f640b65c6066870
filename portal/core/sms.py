"""Every SMS the portal sends goes through `send`: an outbox row written in the caller's
transaction, handed to the gateway once that transaction has committed.

- A rolled-back change sends nothing; a slow gateway never holds a database lock.
- Every SMS is inside a budget (portal/core/sms_budget.py, docs/sms-budgets.md), shared by
  every worker and server through the database: codes that anyone can make the portal
  send without paying (`kind`: sign-in codes, temporary passwords, top-up codes, codes to
  add a number, welcome SMS) per number, address and portal; notices (receipts, transfer
  notices, alerts) per recipient, the rest folded into one summary SMS; a free SMS by its
  sender's daily cap (rules.sms).
- A code or a temporary password (`secret`) is delivered from memory once and kept masked
  outside demo mode (demo mode keeps every text for /demo/sms).
- Each SMS is written in the language of the cabinet that holds the number (`language_of`).

Backends: `outbox` (the row is the delivery: demo and training copies), `kannel` (the
operator's Kannel gateway, whose delivery reports come back to `GET /sms/dlr`: kannel.py)
and `http` (JSON posted to an SMS aggregator). What the gateway refuses, or does not answer,
is tried again by `flask send-sms` (a timer) with growing pauses; a message no attempt got
through in an hour is marked failed, and the staff console shows it (the cabinet's SMS).
"""
import json
import logging
import urllib.error
import urllib.parse
import urllib.request
from contextlib import contextmanager
from datetime import timedelta

import click
from flask import current_app, g, has_request_context
from flask_babel import (
    format_datetime,
    format_time,
    gettext as _,
    ngettext,
)

import models
from models import HeldNotice, Profile, SmsMessage, Subscription
from rules import budget as budget_rules, sms as sms_rules
from . import clock, kannel, metrics, sms_budget
from .i18n import current_locale, in_language
from .web import GATEWAY_DOWN, TOO_MANY

log = logging.getLogger(__name__)
MASK = "••••••"
# The pauses after each failed attempt: the last attempt comes an hour after the first.
RETRY_PAUSES = (timedelta(minutes=1), timedelta(minutes=2), timedelta(minutes=4),
                timedelta(minutes=8), timedelta(minutes=15), timedelta(minutes=30))
# How long one delivery attempt holds a message before the job may take it again: longer
# than the gateway's timeout. A new message is the request's to deliver for this long.
LEASE = timedelta(minutes=1)
GIVE_UP_AFTER = timedelta(hours=1)
BudgetRefused = budget_rules.BudgetRefused


class SmsError(RuntimeError):
    """The gateway did not take the message."""


class OutboxGateway:
    name = "outbox"

    def deliver(self, to, text):
        """Stored only: the outbox is the delivery."""


class HttpGateway:
    name = "http"

    def __init__(self, url, token="", timeout=5):
        self.url, self.token, self.timeout = url, token, timeout

    def deliver(self, to, text):
        body = json.dumps({"to": to, "text": text}).encode()
        headers = {"Content-Type": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        req = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as response:
                if not 200 <= response.status < 300:
                    raise SmsError(f"gateway answered {response.status}")
        except (urllib.error.URLError, OSError) as exc:
            # The text may hold a code: log the recipient only.
            log.warning("SMS to %s failed: %s", to, exc)
            raise SmsError(str(exc)) from exc


# smsbox answers 202 with "0: Accepted for delivery", or "3: Queued for later delivery" when
# the SMS centre is away: either way Kannel has the message in its store and will send it,
# and sending it again would reach the phone twice. Anything else is a refusal.
KANNEL_ACCEPTED = ("0:", "3:")


class KannelGateway:
    """smsbox's HTTP `sendsms` (a GET with the message in its query)."""

    name = "kannel"
    reports_delivery = True  # sms._attempt gives it the message's delivery-report address

    def __init__(self, url, username, password, sender, timeout=10):
        self.url, self.username, self.password = url, username, password
        self.sender, self.timeout = sender, timeout

    def query(self, to, text, report_url=None):
        """The sendsms fields of one message: UCS-2 (coding 2) for a text outside the
        GSM-7 alphabet, else GSM-7 (0); Kannel splits a long text into parts itself."""
        fields = {"username": self.username, "password": self.password, "from": self.sender,
                  "to": to, "text": text, "charset": "UTF-8",
                  "coding": 2 if sms_rules.encoding_of(text) == sms_rules.UCS2 else 0}
        if report_url:
            fields.update({"dlr-mask": kannel.DLR_MASK, "dlr-url": report_url})
        return urllib.parse.urlencode(fields)

    def deliver(self, to, text, report_url=None):
        address = f"{self.url}?{self.query(to, text, report_url)}"
        try:
            with urllib.request.urlopen(address, timeout=self.timeout) as response:
                answer = response.read(200).decode("utf-8", "replace").strip()
                status = response.status
        except urllib.error.HTTPError as refusal:
            answer = refusal.read(200).decode("utf-8", "replace").strip()
            status = refusal.code
        except (urllib.error.URLError, OSError) as exc:
            # The text may hold a code, and the address holds it and the password: log
            # the recipient and the reason only.
            log.warning("SMS to %s: Kannel did not answer: %s", to, getattr(exc, "reason", exc))
            raise SmsError(f"Kannel did not answer: {exc.__class__.__name__}") from exc
        if not (200 <= status < 300 and answer.startswith(KANNEL_ACCEPTED)):
            log.warning("SMS to %s: Kannel answered %s %s", to, status, answer[:80])
            raise SmsError(f"Kannel answered {status} {answer[:80]}")


# Language ------------------------------------------------------------------------------

def language_of_number(number):
    """The language of the cabinet that holds `number`, or None for a number of no cabinet
    (a payer on another network)."""
    return (Profile.select(Profile.language).join(Subscription, on=(
        Subscription.profile == Profile.id)).where(Subscription.number == number).scalar())


@contextmanager
def language_of(number=None, profile=None):
    """Texts and amounts made inside are in the language of the cabinet that holds `number`
    (or of `profile`); for anyone else, the language of the page they are on."""
    language = profile.language if profile is not None else language_of_number(number)
    if language is None:
        language = current_locale() if has_request_context() else "uk"
    with in_language(language):
        yield


# Refusals ------------------------------------------------------------------------------

def refusal_message(refusal):
    """Why no SMS goes now, and when one may."""
    if refusal.code == "pace":
        return _("A code was sent less than a minute ago. You can ask for a new one at "
                 "%(time)s.", time=format_time(refusal.until, "HH:mm:ss"))
    if refusal.code == "open":
        return _("Top-ups from this phone are already waiting for their codes. Confirm them "
                 "or start a new one at %(time)s.", time=format_time(refusal.until, "HH:mm"))
    if refusal.code in ("portal", "strangers"):
        return _("We are sending too many SMS right now. Please try again after %(time)s.",
                 time=format_datetime(refusal.until, "dd.MM HH:mm"))
    return _("Too many SMS to this number or from this network. You can ask for a new one "
             "at %(time)s.", time=format_datetime(refusal.until, "dd.MM HH:mm"))


def not_sent_message():
    return _("We could not send the SMS right now. Please try again in a few minutes.")


# Delivery, as pages show it ---------------------------------------------------------------

def delivery_label(message):
    """How far one outbox message got, in words (the staff console's page of a cabinet's
    SMS)."""
    if message.state == SmsMessage.QUEUED:
        return (_("Not taken by the gateway yet: trying again") if message.attempts
                else _("Waiting to be sent"))
    if message.state == SmsMessage.FAILED:
        return _("Failed: the gateway did not take it")
    return {
        SmsMessage.ACCEPTED: _("Accepted by the SMS centre"),
        SmsMessage.BUFFERED: _("Waiting in the SMS centre: the phone is off or out of reach"),
        SmsMessage.DELIVERED: _("Delivered"),
        SmsMessage.UNDELIVERED: _("Not delivered"),
    }.get(message.delivery, _("Sent, no delivery report yet"))


def code_delivery(to, kind):
    """What the subscriber waiting for a code of `kind` sent to `to` is told: 'delivered',
    'undelivered', or 'waiting' (no final report yet); None when no such SMS is known. At
    most one code of a kind goes to a number a minute (the budget's pace), so the newest
    is the one the page sent."""
    message = SmsMessage.newest_of_kind(to, kind)
    if message is None:
        return None
    if message.delivery == SmsMessage.DELIVERED:
        return "delivered"
    if message.delivery == SmsMessage.UNDELIVERED or message.state == SmsMessage.FAILED:
        return "undelivered"
    return "waiting"


# Sending -------------------------------------------------------------------------------

sent_today_by_portal = sms_budget.sent_today_by_portal
# Kinds of SMS that are not codes: `NOTICE` (receipts, transfer notices, state changes),
# `ALERT` (the low-balance alert), `SUMMARY` (of notices held back) count in the
# recipient's notice budget; `FREE_SMS` (a subscriber's own text) in its sender's cap.
NOTICE, ALERT, SUMMARY, FREE_SMS = "", "alert", "summary", "free-sms"


def send(to, text, kind=NOTICE, secret=()):
    """Queue `text` for `to` ('+380…') in the caller's transaction; it leaves after the
    commit. A code's `kind` (rules.budget.KINDS) puts it through the code budget
    (BudgetRefused); a notice past its recipient's budget is held for the summary SMS and
    None returned. `secret` are the parts (a code, a password) masked in what is kept
    outside demo mode. Returns the SmsMessage."""
    now = clock.now()
    if kind in budget_rules.KINDS:
        try:
            sms_budget.spend_code(kind, to, now)
        except BudgetRefused as refusal:
            metrics.sms_refused(kind, refusal.code)
            raise
    elif kind != FREE_SMS and not sms_budget.spend_notice(
            to, now, alert=kind == ALERT, summary=kind == SUMMARY):
        metrics.sms_held(kind)
        return None
    kept = text
    if secret and not current_app.config["DEMO"]:
        for part in secret:
            kept = kept.replace(part, MASK)
    message = SmsMessage.create(to=to, text=kept, kind=kind, retriable=kept == text,
                                created_at=now, next_attempt_at=now)
    g.setdefault("sms_outbox", []).append((message.id, to, text))
    metrics.sms_queued(kind)
    return message


class NotSent(Exception):
    """A code or a temporary password that did not go out, said in the user's words
    (`message`) with its page's `status`: the budget refused it (`refusal`, a
    BudgetRefused: TOO_MANY) and its transaction rolled back, or the gateway did not take it
    (GATEWAY_DOWN) after `issued` was written."""

    def __init__(self, message, refusal=None, issued=None):
        super().__init__(message)
        self.message, self.refusal, self.issued = message, refusal, issued
        self.status = TOO_MANY if refusal is not None else GATEWAY_DOWN


def send_secret(to, kind, issue, text, language_number=None):
    """The one way a code or a temporary password goes out. `issue()` writes what the
    secret needs (a code's hash, a payment) and returns (the secret, what it wrote); in the
    same transaction `text(secret)` is queued for `to` through the SMS budget of `kind`, in
    the language of the cabinet holding `language_number` (default `to`), the secret masked
    at rest. After the commit it is handed to the gateway at once, so the page can say
    whether it went. Returns what `issue()` wrote; raises NotSent."""
    try:
        with models.locking_transaction():
            secret, issued = issue()
            with language_of(language_number or to):
                message = send(to, text(secret), kind=kind, secret=(secret,))
    except BudgetRefused as refusal:
        raise NotSent(refusal_message(refusal), refusal=refusal) from refusal
    if not deliver(message):
        raise NotSent(not_sent_message(), issued=issued)
    return issued


def _gateway():
    return current_app.extensions["sms_gateway"]


def _retry_at(attempts, created_at, now):
    """When to try again after failed attempt number `attempts + 1`, or None: give up."""
    if attempts >= len(RETRY_PAUSES) or now - created_at >= GIVE_UP_AFTER:
        return None
    return min(now + RETRY_PAUSES[attempts], created_at + GIVE_UP_AFTER)


def _handed(gateway, message_id, to, text):
    """Give the gateway one message; a gateway that reports delivery (Kannel) also gets
    where to report it."""
    if not getattr(gateway, "reports_delivery", False):
        gateway.deliver(to, text)
        return
    config = current_app.config
    gateway.deliver(to, text, report_url=kannel.report_url(
        config["PUBLIC_URL"], message_id, config["SECRET_KEY"]))


def _attempt(message_id, to, text, attempts, created_at, retriable):
    """One delivery attempt of a queued message, if this caller can claim it."""
    now = clock.now()
    if not SmsMessage.claim(message_id, now, LEASE):
        return False
    gateway = _gateway()
    try:
        _handed(gateway, message_id, to, text)
    except SmsError:
        retry = _retry_at(attempts, created_at, now) if retriable else None
        SmsMessage.mark_failed(message_id, retry, now)
        metrics.sms_handed_over(message_id, sent=False)
        return False
    SmsMessage.mark_sent(message_id, gateway.name, now)
    metrics.sms_handed_over(message_id, sent=True)
    return True


def deliver(message):
    """Hand one queued message of this request to the gateway now (after its transaction
    committed); True when the gateway took it. For the pages that must say whether a code
    went out."""
    pending = g.get("sms_outbox", [])
    for item in list(pending):
        if item[0] == message.id:
            pending.remove(item)
            return _deliver_pending(*item)
    return message.state == SmsMessage.SENT


def _deliver_pending(message_id, to, text):
    row = SmsMessage.get_or_none((SmsMessage.id == message_id)
                                 & (SmsMessage.state == SmsMessage.QUEUED))
    if row is None:  # its transaction rolled back, or it is delivered already
        return False
    return _attempt(row.id, to, text, row.attempts, row.created_at, row.retriable)


def deliver_queued():
    """Hand every message this request or command queued to the gateway: called once its
    transactions are over (after each request; at the end of each command)."""
    if models.db.in_transaction():
        return
    pending = g.pop("sms_outbox", [])
    for item in pending:
        _deliver_pending(*item)


def retry_due(now):
    """Messages the gateway refused before, tried again; returns (sent, still failing)."""
    sent = failing = 0
    for row in list(SmsMessage.due(now).limit(1000)):
        if _attempt(row.id, row.to, row.text, row.attempts, row.created_at, row.retriable):
            sent += 1
        else:
            failing += 1
    sms_budget.forget_expired(now)
    return sent, failing


def send_summaries():
    """One SMS to each phone whose notices its budget held back, once the budget has room
    again (run by `send-sms`); returns how many went."""
    sent = 0
    for to in [row.to for row in HeldNotice.select(HeldNotice.to)]:
        with models.locking_transaction():
            held = models.for_update(HeldNotice.select().where(HeldNotice.to == to)).first()
            if held is None:  # another server's job has just told it
                continue
            with language_of(to):
                message = send(to, ngettext(
                    "%(num)d more notice to this number was not sent by SMS this hour: "
                    "see My cabinet.",
                    "%(num)d more notices to this number were not sent by SMS this hour: "
                    "see My cabinet.", held.count), kind=SUMMARY)
            if message is None:  # the hour is still full: they stay held
                continue
            HeldNotice.delete().where(HeldNotice.to == to).execute()
        sent += 1
    deliver_queued()
    return sent


def _after_request(response):
    deliver_queued()
    return response


def _kannel_gateway(config):
    missing = [f"PORTAL_{name}" for name in ("KANNEL_URL", "KANNEL_USER", "KANNEL_PASSWORD",
                                             "SMS_SENDER", "PUBLIC_URL") if not config[name]]
    if missing:
        raise RuntimeError(f"PORTAL_SMS_BACKEND=kannel needs {', '.join(missing)} (docs/sms.md)")
    return KannelGateway(config["KANNEL_URL"], config["KANNEL_USER"],
                         config["KANNEL_PASSWORD"], config["SMS_SENDER"])


def init_app(app):
    backend = app.config["SMS_BACKEND"]
    if "SMS_GATEWAY" in app.config:
        gateway = app.config["SMS_GATEWAY"]
    elif backend == "http":
        if not app.config["SMS_URL"]:
            raise RuntimeError("PORTAL_SMS_BACKEND=http needs PORTAL_SMS_URL")
        gateway = HttpGateway(app.config["SMS_URL"], app.config["SMS_TOKEN"])
    elif backend == "kannel":
        gateway = _kannel_gateway(app.config)
    elif backend == "outbox":
        gateway = OutboxGateway()
    else:
        raise RuntimeError("PORTAL_SMS_BACKEND must be 'outbox', 'kannel' or 'http', not "
                           f"{backend!r}")
    app.extensions["sms_gateway"] = gateway
    kannel.init_app(app)
    app.config.setdefault("SMS_LIMITS", budget_rules.Limits())
    app.after_request(_after_request)

    @app.cli.command("send-sms")
    def send_sms_command():
        """Hand the SMS the gateway refused before to it again (run every minute)."""
        with models.db.connection_context():
            sent, failing = retry_due(clock.now())
            summaries = send_summaries()
            # What areas queue to be sent by this job (the feeds' welcome SMS).
            jobs = [job() for job in current_app.extensions.get("send_sms_jobs", ())]
        click.echo(f"SMS sent: {sent}; still failing: {failing}; summaries of held "
                   f"notices: {summaries}; queued by areas: {sum(jobs)}.")
