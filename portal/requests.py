"""The archive of requests, and the requests done some time later by the network: a
temporary SIM block and its end, pausing and resuming a number or a Home Internet account.

Every change a subscriber makes (services, tariffs, blocks, pauses) is a ServiceRequest.
Deferred ones wait in `pending` until `flask process-requests` does them, 30 minutes after
they were made (at once in demo mode). The archive also lists the profile's own changes
and its Home Internet faults."""
from datetime import timedelta

import click
from flask import Blueprint, abort, current_app, flash, request, url_for
from flask_babel import format_datetime, get_locale, gettext as _
from flask_login import current_user, login_required
from peewee import JOIN
from wtforms import HiddenField

import models
from models import Service, ServiceConnection, ServiceRequest, Subscription, Tariff
from rules import services as rules, states as rules_states
from rules.expenses import format_cursor, parse_cursor
from . import clock, money_events, profile, sms, states, support
from .auth import current_subscription, current_subscription_or_404
from .forms import BaseForm
from .formatting import uah
from .web import CONFLICT, render, see_other, submitted

bp = Blueprint("requests", __name__)
ARCHIVE_PAGE = 50


class RequestForm(BaseForm):
    number = HiddenField()  # the number the request is for: the page it was sent from


def rules_subscriber(subscription):
    return rules.Subscriber(kind=subscription.kind, status=subscription.status,
                            payment=subscription.payment, balance=subscription.balance,
                            tariff=subscription.tariff_id, sim_blocked=subscription.sim_blocked)


def charge(subscription, kind, fee, service_request, now, counterpart):
    """The fee of a request (a money event, `kind` 'service_fee' or 'tariff_fee'), in the
    caller's transaction; its usage record is a 'service', so the charge shows among the
    number's expenses like the billing's own (named in Ukrainian, as the operator's usage
    feed names them). A free request charges nothing."""
    if fee > 0:
        money_events.debited(subscription, fee, money_events.Cause(kind, "service", counterpart),
                             now, service_request.reference)


# Messages ------------------------------------------------------------------------------------

ALREADY = {
    "connect": lambda: _("This service is connected already."),
    "switch": lambda: _("You are on this tariff already."),
    "sim_block": lambda: _("The SIM card is blocked already."),
    "pause": lambda: _("The service is paused already."),
}
REFUSALS = {
    "balance": lambda r, action, sub: _(
        "Not enough money: it costs %(fee)s and the balance is %(balance)s. Top up by "
        "%(missing)s and try again.", fee=uah(r.fee), balance=uah(r.balance),
        missing=uah(r.missing)),
    "too_soon": lambda r, action, sub: _(
        "The tariff can be switched once a day. The next switch is possible from %(time)s.",
        time=format_datetime(r.allowed_at, "dd.MM.yyyy HH:mm")),
    "state": lambda r, action, sub: (
        states.OWN[r.state](sub) if sub is not None
        else _("It was not possible while the number was in the state “%(state)s”.",
               state=states.LABELS[r.state])),
    "already": lambda r, action, sub: ALREADY[action](),
    "wrong_kind": lambda r, action, sub: (
        _("This tariff is for another kind of subscription.") if action == "switch"
        else _("This is not available for this number.")),
    "wrong_payment": lambda r, action, sub: _(
        "This tariff is for another payment type (prepaid or contract)."),
    "not_connected": lambda r, action, sub: _("This service is not connected."),
    "not_blocked": lambda r, action, sub: _("The SIM card is not blocked."),
    "not_paused": lambda r, action, sub: _("The service is not paused."),
    "pending": lambda r, action, sub: _("A request like this one is already waiting to be "
                                        "done."),
}


def refusal_message(refusal, action, subscription=None):
    """A refusal in the user's language. `action` says what was refused: 'connect',
    'disconnect', 'switch', 'sim_block', 'sim_unblock', 'pause', 'resume'; a refusal by
    state says what to do about it when `subscription` (as it is now) is given."""
    return REFUSALS[refusal.code](refusal, action, subscription)


def describe(row):
    """What a request asked for, in the user's language."""
    locale = str(get_locale())
    kind = row.kind
    if kind in (rules.SERVICE_CONNECT, rules.SERVICE_DISCONNECT):
        name = row.service.name(locale) if row.service.code else row.subject
        if kind == rules.SERVICE_CONNECT:
            return _("Connect the service “%(name)s”", name=name)
        return _("Disconnect the service “%(name)s”", name=name)
    if kind == rules.TARIFF_SWITCH:
        new = row.tariff.name(locale) if row.tariff.code else row.subject
        old = row.old_tariff.name(locale) if row.old_tariff.code else row.previous
        return _("Switch the tariff from “%(old)s” to “%(new)s”", old=old, new=new)
    return describe_kind(kind)


def describe_kind(kind):
    return {rules.SIM_BLOCK: _("Temporary SIM card block"),
            rules.SIM_UNBLOCK: _("End of the SIM card block"),
            rules.PAUSE: _("Pause the service"),
            rules.RESUME: _("Resume the service")}[kind]


def state_label(state):
    return {rules.PENDING: _("Pending"), rules.DONE: _("Done"),
            rules.REJECTED: _("Rejected")}.get(state, state)


def _reason(refusal):
    """A refusal as kept on a rejected request: its code, and the state that refused it."""
    if refusal is None:
        return ""
    return f"state:{refusal.state}" if refusal.code == "state" else refusal.code


def rejection_reason(row):
    """Why a rejected request was refused, in the user's language ('' when it was not)."""
    if not row.reason:
        return ""
    code, _sep, state = row.reason.partition(":")
    if code == "status":  # kept so before the states were one model
        code = "state"
    return refusal_message(rules.Refusal(code, state=state), row.kind)


# Processing ------------------------------------------------------------------------------

def process(request_id, now):
    """Do one pending deferred request, or reject it if it no longer can be done.
    Returns the new state, or None if it was not pending any more."""
    with models.locking_transaction():
        row = models.for_update(ServiceRequest.select().where(
            (ServiceRequest.id == request_id) & (ServiceRequest.state == rules.PENDING))).first()
        if row is None:
            return None
        subscription = Subscription.locked(row.subscription_id)
        pending = ServiceRequest.pending_kinds(subscription)
        pending.remove(row.kind)  # this request itself
        refusal = rules.check_deferred(row.kind, rules_subscriber(subscription), pending)
        state = rules.REJECTED if refusal else rules.DONE
        assert rules.can_transition(row.state, state)
        if refusal is None:
            new_status = rules.status_after(row.kind, subscription.status)
            Subscription.update(
                status=new_status, updated_at=now,
                sim_blocked=rules.sim_blocked_after(row.kind, subscription.sim_blocked)).where(
                Subscription.id == subscription.id).execute()
            if new_status != subscription.status:
                models.ServiceInterruption.track(subscription.id, new_status, now.date())
        ServiceRequest.update(state=state, finished_at=now, reason=_reason(refusal)).where(
            ServiceRequest.id == row.id).execute()
        return state


def process_due(now, demo=False):
    """Every pending request that is due (all of them in demo mode): {state: count}."""
    counts = {rules.DONE: 0, rules.REJECTED: 0}
    for request_id in [row.id for row in ServiceRequest.due(now, demo)]:
        state = process(request_id, now)
        if state:
            counts[state] += 1
    return counts


def request_deferred(kind):
    """Make a deferred request (SIM block or its end, a pause or a resume) for the number
    the form names; done at once in demo mode."""
    subscription = current_subscription_or_404(submitted(RequestForm()).number.data)
    now = clock.now()
    with models.locking_transaction():
        locked = Subscription.locked(subscription.id)
        refusal = rules.check_deferred(kind, rules_subscriber(locked),
                                       ServiceRequest.pending_kinds(locked))
        if refusal is None:
            created = ServiceRequest.create(subscription=locked, kind=kind, state=rules.PENDING,
                                            created_at=now, due_at=rules.due_at(now))
    if refusal:
        return archive_page(alert=refusal_message(refusal, kind, locked), status=CONFLICT)
    if current_app.config["DEMO"]:
        state = process(created.id, now)
        flash(_("Your request is done.") if state == rules.DONE
              else _("Your request could not be done."))
    else:
        flash(_("Your request is accepted. It will be done by %(time)s.",
                time=format_datetime(created.due_at, "HH:mm")))
    return see_other(url_for("requests.archive"))


# The archive -------------------------------------------------------------------------------

def older_than(cursor, index):
    """How source number `index` narrows its query to one page of the archive after
    `cursor` (moment, source, id): newest first, a tie on the moment going by source, then
    by id, so a page boundary never skips or repeats a request."""
    def narrow(query, at, ident):
        if cursor is not None:
            moment, source, last_id = cursor
            if index < source:
                query = query.where(at <= moment)
            elif index == source:
                query = query.where((at < moment) | ((at == moment) & (ident < last_id)))
            else:
                query = query.where(at < moment)
        return query.order_by(at.desc(), ident.desc()).limit(ARCHIVE_PAGE + 1)
    return narrow


def service_requests(profile_id, narrow):
    OldTariff = Tariff.alias()
    rows = narrow(
        ServiceRequest.select(ServiceRequest, Subscription.number, Service, Tariff, OldTariff)
        .join(Subscription).switch(ServiceRequest)
        .join(Service, JOIN.LEFT_OUTER, on=(ServiceRequest.subject == Service.code),
              attr="service").switch(ServiceRequest)
        .join(Tariff, JOIN.LEFT_OUTER, on=(ServiceRequest.subject == Tariff.code),
              attr="tariff").switch(ServiceRequest)
        .join(OldTariff, JOIN.LEFT_OUTER, on=(ServiceRequest.previous == OldTariff.code),
              attr="old_tariff")
        .where(Subscription.in_cabinet(profile_id)), ServiceRequest.created_at, ServiceRequest.id)
    return [{"id": row.id, "number": row.subscription.number, "title": describe(row),
             "state": row.state, "state_label": state_label(row.state),
             "created_at": row.created_at, "finished_at": row.finished_at,
             "due_at": row.due_at, "fee": row.fee, "reason": rejection_reason(row)}
            for row in rows]


# What the archive lists, in this order when two happened at the same moment: functions
# (profile id, narrow) -> list of dicts {"id", "number", "title", "state", "state_label",
# "created_at", "finished_at", "url"}, `state` one of pending/done/rejected, `finished_at`
# and `url` may be None; `narrow(query, moment field, id field)` cuts a query to one page.
ARCHIVE_SOURCES = (service_requests, profile.archived_changes, support.fault_requests)


def archive_context(alert=None):
    subscription = current_subscription()
    cursor = None
    if request.args.get("older"):
        cursor = parse_cursor(request.args["older"], numbers=2)
        if cursor is None:
            abort(400)
    items = []
    for index, source in enumerate(ARCHIVE_SOURCES):
        items.extend({**item, "source": index}
                     for item in source(current_user.id, older_than(cursor, index)))
    items.sort(key=lambda item: (item["created_at"], item["source"], item["id"]), reverse=True)
    more = len(items) > ARCHIVE_PAGE
    items = items[:ARCHIVE_PAGE]
    last = items[-1] if more else None
    pending = ServiceRequest.pending_kinds(subscription) if subscription else []
    return {"subscription": subscription, "items": items, "pending": pending,
            "actions": request_actions(subscription) if subscription else [],
            "state_label": states.LABELS[subscription.state] if subscription else "",
            "alert": alert, "paged": cursor is not None,
            "older": format_cursor(last["created_at"], last["source"], last["id"])
            if last else None}


def ask_url(kind):
    return url_for("requests.ask", action=kind.replace("_", "-"))


def request_actions(subscription):
    """The requests the number's state allows now: (URL, label, hint)."""
    offered = [
        (rules_states.SIM_UNBLOCK, _("End the SIM card block"),
         _("The number works again within 30 minutes.")),
        (rules_states.SIM_BLOCK, _("Block the SIM card for a while"),
         _("If your phone is lost or stolen: calls, SMS and internet stop within 30 minutes. "
           "The number stays yours.")),
        (rules_states.RESUME, _("Resume the service"),
         _("The service is back within 30 minutes.")),
        (rules_states.PAUSE, _("Pause the service"),
         _("No monthly fee while paused, and no bonuses either. Done within 30 minutes.")),
    ]
    return [(ask_url(action), label, hint) for action, label, hint in offered
            if rules_states.refusal(action, subscription.state) is None
            and (subscription.is_mobile or action not in (rules_states.SIM_BLOCK,
                                                          rules_states.SIM_UNBLOCK))]


def archive_page(alert=None, status=200):
    return render("requests.html", "actions", status=status, **archive_context(alert))


@bp.get("/requests")
@login_required
def archive():
    return archive_page()


@bp.post("/requests/sim-block", defaults={"action": "sim-block"})
@bp.post("/requests/sim-unblock", defaults={"action": "sim-unblock"})
@bp.post("/requests/pause", defaults={"action": "pause"})
@bp.post("/requests/resume", defaults={"action": "resume"})
@login_required
def ask(action):
    """A SIM block or its end, a pause or a resume: the URL's action names the request."""
    return request_deferred(action.replace("-", "_"))


def requests_panel(subscription):
    """The requests still waiting, on the dashboard."""
    pending = ServiceRequest.pending_kinds(subscription)
    if not pending:
        return None
    return {"pending": [describe_kind(kind) for kind in pending]}


# Demo data and the command ---------------------------------------------------------------

def load_demo(demo_clock):
    """Demo history: Olena's 'Who called' and an earlier tariff switch, Taras's paused
    Home Internet, Olha's SIM card blocked (a lost phone). Only for numbers that have no
    requests yet, so it is safe to run again."""
    now = demo_clock.now()
    history = {
        "+380671234567": [
            dict(kind=rules.TARIFF_SWITCH, subject="smart", previous="free", days=40),
            dict(kind=rules.SERVICE_CONNECT, subject="who-called", days=12),
        ],
        "10000002": [dict(kind=rules.PAUSE, days=20)],
        "+380972223344": [dict(kind=rules.SIM_BLOCK, days=2)],
    }
    for number, requests in history.items():
        subscription = Subscription.by_number(number)
        if subscription is None or ServiceRequest.select().where(
                ServiceRequest.subscription == subscription).exists():
            continue
        for item in requests:
            at = now - timedelta(days=item.pop("days"))
            done_at = at + rules.PROCESSING_DELAY if item["kind"] in rules.DEFERRED_KINDS else at
            ServiceRequest.create(subscription=subscription, state=rules.DONE, created_at=at,
                                  due_at=done_at if done_at != at else None,
                                  finished_at=done_at, **item)
            if item["kind"] == rules.SERVICE_CONNECT:
                ServiceConnection.get_or_create(subscription=subscription,
                                                service=item["subject"],
                                                defaults={"connected_at": at})
            if item["kind"] == rules.SIM_BLOCK:
                Subscription.update(sim_blocked=True).where(
                    Subscription.id == subscription.id).execute()


def init_app(app):
    app.register_blueprint(bp)

    @app.cli.command("process-requests")
    def process_requests_command():
        """Do the pending requests that are due (30 minutes after they were made; all of
        them at once in demo mode)."""
        with models.db.connection_context():
            counts = process_due(clock.now(), demo=app.config["DEMO"])
            sms.deliver_queued()
        click.echo(f"Requests processed: {counts[rules.DONE]} done, "
                   f"{counts[rules.REJECTED]} rejected.")
