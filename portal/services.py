"""Services and tariffs of the current number: the lists, connecting and disconnecting a
service, switching the tariff after a confirmation. Each change is a done request in the
archive, and its fee goes through the ledger in the same transaction."""
import secrets

from flask import Blueprint, flash, url_for
from flask_babel import gettext as _, get_locale
from flask_login import login_required
from peewee import IntegrityError
from wtforms import HiddenField

import models
from models import Service, ServiceConnection, ServiceRequest, Subscription, Tariff
from rules import services as rules
from . import clock
from .auth import current_subscription_or_404
from .moves import checked_key as moves_key
from .requests import RequestForm, charge, refusal_message, rules_subscriber
from .web import CONFLICT, or_404, render, see_other, submitted

bp = Blueprint("services", __name__)


def _offer(item, fee):
    return rules.Offer(code=item.code, kind=item.kind, fee=fee,
                       payment=getattr(item, "payment", ""))


# Services ------------------------------------------------------------------------------------

def services_context(alert=None):
    subscription = current_subscription_or_404()
    connected = ServiceConnection.codes(subscription)
    offered = list(Service.for_kind(subscription.kind))
    return {"subscription": subscription, "alert": alert, "locale": str(get_locale()),
            "connected": [s for s in offered if s.code in connected],
            "available": [s for s in offered if s.code not in connected]}


@bp.get("/services")
@login_required
def services_page():
    return render("services.html", "services", **services_context())


@bp.get("/services/<code>")
@login_required
def service_page(code):
    service = or_404(Service.get_or_none(Service.code == code))
    subscription = current_subscription_or_404()
    connected = service.code in ServiceConnection.codes(subscription)
    return render("service.html", subscription=subscription, service=service,
                  connected=connected, locale=str(get_locale()))


class ConnectForm(RequestForm):
    key = HiddenField()  # the review's one-time key: a replayed confirmation charges once


def _refusal(subscription, service, connect):
    connected = ServiceConnection.codes(subscription)
    subscriber = rules_subscriber(subscription)
    if connect:
        return rules.can_connect(subscriber, _offer(service, service.connect_fee), connected)
    return rules.can_disconnect(subscriber, _offer(service, 0), connected)


def _refused(service, refusal, connect, subscription):
    message = refusal_message(refusal, "connect" if connect else "disconnect", subscription)
    return render("services.html", "services", status=CONFLICT, **services_context(
        alert=f"{service.name(str(get_locale()))}: {message}"))


def _change_service(service, subscription, connect, key=None):
    """Connect or disconnect, in one transaction under the number's lock: the request in
    the archive, the fee through the ledger. A connection's `key` (from its review) makes
    a replay find the request it made instead of charging again."""
    now = clock.now()
    try:
        with models.locking_transaction():
            locked = Subscription.locked(subscription.id)
            if key and ServiceRequest.get_or_none(ServiceRequest.key == key):
                return None  # confirmed already (a replay, or a copy sent at the same moment)
            refusal = _refusal(locked, service, connect)
            if refusal is not None:
                return refusal
            fee = service.connect_fee if connect else 0
            done = ServiceRequest.create(
                subscription=locked, kind=rules.SERVICE_CONNECT if connect
                else rules.SERVICE_DISCONNECT, subject=service.code, state=rules.DONE,
                fee=fee, created_at=now, finished_at=now, key=key)
            if connect:
                charge(locked, "service_fee", fee, done, now, service.name_uk)
                ServiceConnection.create(subscription=locked, service=service, connected_at=now)
            else:
                ServiceConnection.delete().where(
                    (ServiceConnection.subscription == locked)
                    & (ServiceConnection.service == service)).execute()
    except IntegrityError:  # the same key confirmed at the same moment elsewhere
        if not (key and ServiceRequest.get_or_none(ServiceRequest.key == key)):
            raise
    return None


def _done(service, connect):
    name = service.name(str(get_locale()))
    flash(_("The service “%(name)s” is connected.", name=name) if connect
          else _("The service “%(name)s” is disconnected.", name=name))
    return see_other(url_for("services.services_page"))


@bp.post("/services/<code>/connect")
@login_required
def connect(code):
    """First the review (the price, what is charged now, the balance after), whose own
    form, carrying a one-time key, connects."""
    service = or_404(Service.get_or_none(Service.code == code))
    form = submitted(ConnectForm())
    subscription = current_subscription_or_404(form.number.data)
    if form.key.data:
        key = moves_key(form.key.data)
        refusal = _change_service(service, subscription, True, key)
        if refusal:
            return _refused(service, refusal, True, subscription)
        return _done(service, True)
    refusal = _refusal(subscription, service, True)
    if refusal:
        return _refused(service, refusal, True, subscription)
    form.key.data = secrets.token_hex(16)
    return render("service_connect.html", "review", subscription=subscription,
                  service=service, form=form, locale=str(get_locale()),
                  balance_after=subscription.balance - service.connect_fee)


@bp.post("/services/<code>/disconnect")
@login_required
def disconnect(code):
    service = or_404(Service.get_or_none(Service.code == code))
    subscription = current_subscription_or_404(submitted(RequestForm()).number.data)
    refusal = _change_service(service, subscription, False)
    if refusal:
        return _refused(service, refusal, False, subscription)
    return _done(service, False)


# Tariffs -------------------------------------------------------------------------------------

def _switch_refusal(subscription, tariff, now):
    return rules.can_switch_tariff(rules_subscriber(subscription), _offer(tariff, tariff.switch_fee),
                                   ServiceRequest.last_switch_at(subscription), now)


@bp.get("/tariffs")
@login_required
def tariffs_page():
    subscription = current_subscription_or_404()
    tariffs = (Tariff.select().where(Tariff.kind == subscription.kind)
               .order_by(Tariff.position, Tariff.code))
    return render("tariffs.html", subscription=subscription, tariffs=list(tariffs),
                  locale=str(get_locale()))


def _review(tariff, subscription, alert=None, status=200):
    refusal = _switch_refusal(subscription, tariff, clock.now())
    return render("tariff_switch.html", "review", status=status, subscription=subscription,
                  tariff=tariff, locale=str(get_locale()),
                  alert=alert or (refusal_message(refusal, "switch", subscription)
                                  if refusal else None),
                  allowed=refusal is None)


@bp.get("/tariffs/<code>/switch")
@login_required
def switch_review(code):
    """The confirmation step: what the switch costs, and the button that does it."""
    return _review(or_404(Tariff.get_or_none(Tariff.code == code)), current_subscription_or_404())


@bp.post("/tariffs/<code>/switch")
@login_required
def switch(code):
    tariff = or_404(Tariff.get_or_none(Tariff.code == code))
    subscription = current_subscription_or_404(submitted(RequestForm()).number.data)
    now = clock.now()
    with models.locking_transaction():
        locked = Subscription.locked(subscription.id)
        refusal = _switch_refusal(locked, tariff, now)
        if refusal is None:
            done = ServiceRequest.create(
                subscription=locked, kind=rules.TARIFF_SWITCH, subject=tariff.code,
                previous=locked.tariff_id, state=rules.DONE, fee=tariff.switch_fee,
                created_at=now, finished_at=now)
            charge(locked, "tariff_fee", tariff.switch_fee, done, now,
                   f"Перехід на тариф «{tariff.name_uk}»")
            Subscription.update(tariff=tariff, updated_at=now).where(
                Subscription.id == locked.id).execute()
    if refusal:
        return _review(tariff, subscription, alert=refusal_message(refusal, "switch", locked),
                       status=CONFLICT)
    flash(_("Your tariff is now “%(name)s”.", name=tariff.name(str(get_locale()))))
    return see_other(url_for("services.tariffs_page"))


def init_app(app):
    app.register_blueprint(bp)
