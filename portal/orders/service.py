"""Requests a subscriber makes of the network (a temporary SIM block or its end, pausing
and resuming a number or a Home Internet account): made, done by `flask process-requests`
30 minutes later (at once in demo mode) or rejected, and said in the user's words for the
archive, the dashboard and the staff console."""
from flask_babel import format_datetime, gettext as _
from peewee import JOIN

import models
from models import Service, ServiceRequest, Subscription, Tariff
from rules import services as services_rules
from rules.dates import local_day
from ..core import states
from ..core.formatting import uah
from ..core.i18n import current_locale

ARCHIVE_PAGE = 50



def rules_subscriber(subscription):
    return services_rules.Subscriber(kind=subscription.kind, status=subscription.status,
                            payment=subscription.payment, balance=subscription.balance,
                            tariff=subscription.tariff_id, sim_blocked=subscription.sim_blocked)


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
    "offer": lambda r, action, sub: _("This offer is not available for this number now."),
}


def refusal_message(refusal, action, subscription=None):
    """A refusal in the user's language. `action` says what was refused: 'connect',
    'disconnect', 'switch', 'sim_block', 'sim_unblock', 'pause', 'resume'; a refusal by
    state says what to do about it when `subscription` (as it is now) is given."""
    return REFUSALS[refusal.code](refusal, action, subscription)


def describe(row):
    """What a request asked for, in the user's language."""
    locale = current_locale()
    kind = row.kind
    if kind in (services_rules.SERVICE_CONNECT, services_rules.SERVICE_DISCONNECT):
        name = row.service.name(locale) if row.service.code else row.subject
        if kind == services_rules.SERVICE_CONNECT:
            return _("Connect the service “%(name)s”", name=name)
        return _("Disconnect the service “%(name)s”", name=name)
    if kind == services_rules.TARIFF_SWITCH:
        new = row.tariff.name(locale) if row.tariff.code else row.subject
        old = row.old_tariff.name(locale) if row.old_tariff.code else row.previous
        return _("Switch the tariff from “%(old)s” to “%(new)s”", old=old, new=new)
    return describe_kind(kind)


def describe_kind(kind):
    return {services_rules.SIM_BLOCK: _("Temporary SIM card block"),
            services_rules.SIM_UNBLOCK: _("End of the SIM card block"),
            services_rules.PAUSE: _("Pause the service"),
            services_rules.RESUME: _("Resume the service")}[kind]


def state_label(state):
    return {services_rules.PENDING: _("Pending"), services_rules.DONE: _("Done"),
            services_rules.REJECTED: _("Rejected")}.get(state, state)


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
    return refusal_message(services_rules.Refusal(code, state=state), row.kind)


def process(request_id, now):
    """Do one pending deferred request, or reject it if it no longer can be done.
    Returns the new state, or None if it was not pending any more."""
    with models.locking_transaction():
        row = models.for_update(ServiceRequest.select().where(
            (ServiceRequest.id == request_id) & (ServiceRequest.state == services_rules.PENDING))).first()
        if row is None:
            return None
        subscription = Subscription.locked(row.subscription_id)
        pending = ServiceRequest.pending_kinds(subscription)
        pending.remove(row.kind)  # this request itself
        refusal = services_rules.check_deferred(row.kind, rules_subscriber(subscription), pending)
        state = services_rules.REJECTED if refusal else services_rules.DONE
        assert services_rules.can_transition(row.state, state)
        if refusal is None:
            new_status = services_rules.status_after(row.kind, subscription.status)
            Subscription.update(
                status=new_status, updated_at=now,
                sim_blocked=services_rules.sim_blocked_after(row.kind, subscription.sim_blocked)).where(
                Subscription.id == subscription.id).execute()
            if new_status != subscription.status:
                models.ServiceInterruption.track(subscription.id, new_status, local_day(now))
        ServiceRequest.update(state=state, finished_at=now, reason=_reason(refusal)).where(
            ServiceRequest.id == row.id).execute()
        return state


def process_due(now, demo=False):
    """Every pending request that is due (all of them in demo mode): {state: count}."""
    counts = {services_rules.DONE: 0, services_rules.REJECTED: 0}
    for request_id in [row.id for row in ServiceRequest.due(now, demo)]:
        state = process(request_id, now)
        if state:
            counts[state] += 1
    return counts


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


def with_catalogue(*fields):
    """Requests (with `fields` besides) joined to their number and to the service and tariffs
    they name, all that describe() reads, in one query."""
    OldTariff = Tariff.alias()
    return (
        ServiceRequest.select(ServiceRequest, *fields, Service, Tariff, OldTariff)
        .join(Subscription).switch(ServiceRequest)
        .join(Service, JOIN.LEFT_OUTER, on=(ServiceRequest.subject == Service.code),
              attr="service").switch(ServiceRequest)
        .join(Tariff, JOIN.LEFT_OUTER, on=(ServiceRequest.subject == Tariff.code),
              attr="tariff").switch(ServiceRequest)
        .join(OldTariff, JOIN.LEFT_OUTER, on=(ServiceRequest.previous == OldTariff.code),
              attr="old_tariff"))


def service_requests(profile_id, narrow):
    rows = narrow(with_catalogue(Subscription.number).where(Subscription.in_cabinet(profile_id)),
                  ServiceRequest.created_at, ServiceRequest.id)
    return [{"id": row.id, "number": row.subscription.number, "title": describe(row),
             "state": row.state, "state_label": state_label(row.state),
             "created_at": row.created_at, "finished_at": row.finished_at,
             "due_at": row.due_at, "fee": row.fee, "reason": rejection_reason(row)}
            for row in rows]


def requests_panel(subscription):
    """The requests still waiting, on the dashboard."""
    pending = ServiceRequest.pending_kinds(subscription)
    if not pending:
        return None
    return {"pending": [describe_kind(kind) for kind in pending]}


def deferred_refusal(subscription, kind):
    """Why a deferred request of `kind` may not be made now (asked before its
    confirmation; `make_deferred` asks again under the lock), or None."""
    return services_rules.check_deferred(kind, rules_subscriber(subscription),
                                         ServiceRequest.pending_kinds(subscription))


def make_deferred(subscription_id, kind, now):
    """A pending request of `kind` for the subscription, checked under its lock: (the
    request, None), or (the subscription as it is, the refusal)."""
    with models.locking_transaction():
        locked = Subscription.locked(subscription_id)
        refusal = deferred_refusal(locked, kind)
        if refusal is not None:
            return locked, refusal
        return ServiceRequest.create(subscription=locked, kind=kind, state=services_rules.PENDING,
                                     created_at=now, due_at=services_rules.due_at(now)), None
