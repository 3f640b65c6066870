"""Services and tariffs of the current number: the lists, connecting and disconnecting a
service, switching the tariff after a confirmation. Each change is a done request in the
archive, and its fee is a money event in the same transaction (service.py)."""
import secrets

from flask import Blueprint, url_for
from flask_babel import gettext as _
from flask_login import login_required
from wtforms import HiddenField

from models import Service, ServiceConnection, Tariff
from rules import money as money_rules
from ..core import clock
from ..core.auth import current_subscription_or_404
from ..core.confirmation import ConfirmNumberForm, ask_first, confirmed
from ..core.formatting import phone, uah
from ..core.forms import NumberForm
from ..core.i18n import current_locale
from ..core.moves import checked_key
from ..core.web import CONFLICT, flashed_notice, or_404, render, see_other, submitted
from ..orders import service as orders_service
from . import service

bp = Blueprint("services", __name__)


# Services ------------------------------------------------------------------------------------

def services_context(alert=None):
    subscription = current_subscription_or_404()
    connected = ServiceConnection.codes(subscription)
    offered = list(Service.for_kind(subscription.kind))
    return {"subscription": subscription, "alert": alert, "locale": current_locale(),
            "notice": flashed_notice(),
            "connected": [s for s in offered if s.code in connected],
            "available": [s for s in offered if s.code not in connected]}


@bp.get("/services")
@login_required
def services_page():
    return render("services.html", "services", **services_context())


@bp.get("/services/<code>")
@login_required
def service_page(code):
    offered = or_404(Service.get_or_none(Service.code == code))
    subscription = current_subscription_or_404()
    connected = offered.code in ServiceConnection.codes(subscription)
    return render("service.html", subscription=subscription, service=offered,
                  connected=connected, locale=current_locale())


class ConnectForm(NumberForm):
    key = HiddenField()  # the review's one-time key: a replayed confirmation charges once


def _refused(offered, refusal, connect, subscription):
    message = orders_service.refusal_message(refusal, "connect" if connect else "disconnect",
                                             subscription)
    return render("services.html", "services", status=CONFLICT, **services_context(
        alert=f"{offered.name(current_locale())}: {message}"))


def _done(offered, connect):
    name = offered.name(current_locale())
    return see_other(url_for("services.services_page"), notice=_(
        "The service “%(name)s” is connected.", name=name) if connect
        else _("The service “%(name)s” is disconnected.", name=name))


@bp.post("/services/<code>/connect")
@login_required
def connect(code):
    """First the review (the price, what is charged now, the balance after), whose own
    form, carrying a one-time key, connects."""
    offered = or_404(Service.get_or_none(Service.code == code))
    form = submitted(ConnectForm())
    subscription = current_subscription_or_404(form.number.data)
    if form.key.data:
        refusal = service.change_service(offered, subscription.id, True, clock.now(),
                                         checked_key(form.key.data))
        if refusal:
            return _refused(offered, refusal, True, subscription)
        return _done(offered, True)
    refusal = service.service_refusal(subscription, offered, True)
    if refusal:
        return _refused(offered, refusal, True, subscription)
    form.key.data = secrets.token_hex(16)
    return render("service_connect.html", "review", subscription=subscription,
                  service=offered, form=form, locale=current_locale(),
                  balance_after=subscription.balance - offered.connect_fee)


@bp.post("/services/<code>/disconnect")
@login_required
def disconnect(code):
    offered = or_404(Service.get_or_none(Service.code == code))
    form = submitted(ConfirmNumberForm())
    subscription = current_subscription_or_404(form.number.data)
    if (offered.connect_fee or offered.monthly_fee) and not confirmed(form):
        refusal = service.service_refusal(subscription, offered, False)
        if refusal:
            return _refused(offered, refusal, False, subscription)
        name = offered.name(current_locale())
        return ask_first(
            form, _("Disconnect “%(name)s”?", name=name),
            _("The service stops for %(number)s.", number=phone(subscription.number)),
            _("Yes, disconnect"), url_for("services.services_page"),
            warning=_("Connecting it again costs %(fee)s.", fee=uah(offered.connect_fee))
            if offered.connect_fee else None)
    refusal = service.change_service(offered, subscription.id, False, clock.now())
    if refusal:
        return _refused(offered, refusal, False, subscription)
    return _done(offered, False)


# Tariffs -------------------------------------------------------------------------------------


@bp.get("/tariffs")
@login_required
def tariffs_page():
    subscription = current_subscription_or_404()
    tariffs = (Tariff.select().where(Tariff.kind == subscription.kind)
               .order_by(Tariff.position, Tariff.code))
    return render("tariffs.html", subscription=subscription, tariffs=list(tariffs),
                  locale=current_locale(), notice=flashed_notice())


def _review(tariff, subscription, alert=None, status=200):
    refusal = service.switch_refusal(subscription, tariff, clock.now())
    return render("tariff_switch.html", "review", status=status, subscription=subscription,
                  tariff=tariff, locale=current_locale(),
                  alert=alert or (orders_service.refusal_message(refusal, "switch", subscription)
                                  if refusal else None),
                  allowed=refusal is None, ends_bonuses=ends_home_internet_bonuses(
                      subscription, tariff))


def ends_home_internet_bonuses(subscription, tariff):
    """A mobile number moving into the "Free" family can no longer take Home Internet
    bonuses (rules.money.check_bonus_target): the review says so before the switch."""
    return (subscription.is_mobile and tariff.family == money_rules.FREE_FAMILY
            and subscription.tariff.family != money_rules.FREE_FAMILY)


@bp.get("/tariffs/<code>/switch")
@login_required
def switch_review(code):
    """The confirmation step: what the switch costs, and the button that does it."""
    return _review(or_404(Tariff.get_or_none(Tariff.code == code)), current_subscription_or_404())


@bp.post("/tariffs/<code>/switch")
@login_required
def switch(code):
    tariff = or_404(Tariff.get_or_none(Tariff.code == code))
    subscription = current_subscription_or_404(submitted(NumberForm()).number.data)
    locked, refusal = service.switch_tariff(subscription.id, tariff, clock.now())
    if refusal:
        return _review(tariff, subscription,
                       alert=orders_service.refusal_message(refusal, "switch", locked),
                       status=CONFLICT)
    return see_other(url_for("services.tariffs_page"), notice=_(
        "Your tariff is now “%(name)s”.", name=tariff.name(current_locale())))
