"""Services and promotions the number on show may take (/offers), each connected through
the same review step as a service (views.py): a promotion connects its service at its
price, its terms checked again when confirmed."""
import secrets

from flask import url_for
from flask_babel import gettext as _
from flask_login import login_required

from models import Service, ServiceConnection
from rules import offers as offers_rules
from ..core import catalogue, clock
from ..core.auth import current_subscription_or_404
from ..core.i18n import current_locale
from ..core.moves import checked_key
from ..core.web import CONFLICT, flashed_notice, or_404, render, see_other, submitted
from ..orders import service as orders_service
from . import service
from .views import ConnectForm, bp


def offers_context(alert=None):
    subscription = current_subscription_or_404()
    connected = ServiceConnection.codes(subscription)
    services = [s for s in Service.for_kind(subscription.kind) if s.code not in connected]
    promotions = offers_rules.available(catalogue.promotions(), subscription.kind,
                                        subscription.tariff_id, clock.today(), connected)
    return {"subscription": subscription, "alert": alert, "notice": flashed_notice(),
            "locale": current_locale(), "services": services, "promotions": promotions,
            "service_names": {s.code: s for s in Service.for_kind(subscription.kind)}}


@bp.get("/offers")
@login_required
def offers_page():
    return render("offers.html", "offers", **offers_context())


@bp.post("/offers/<code>/connect")
@login_required
def connect_offer(code):
    """The review (the promotion's price, the balance after), whose own form, carrying a
    one-time key, connects the promotion's service at that price."""
    promotion = or_404(service.promotion(code))
    offered = or_404(Service.get_or_none(Service.code == promotion.connects))
    form = submitted(ConnectForm())
    subscription = current_subscription_or_404(form.number.data)
    locale = current_locale()
    if form.key.data:
        refusal = service.change_service(offered, subscription.id, True, clock.now(),
                                         checked_key(form.key.data), promotion=promotion)
    else:
        refusal = service.service_refusal(subscription, offered, True, promotion,
                                          clock.today())
    if refusal:
        message = orders_service.refusal_message(refusal, "connect", subscription)
        return render("offers.html", "offers", status=CONFLICT, **offers_context(
            alert=f"{promotion.name(locale)}: {message}"))
    if form.key.data:
        return see_other(url_for("services.offers_page"), notice=_(
            "The promotion “%(name)s” is connected.", name=promotion.name(locale)))
    form.key.data = secrets.token_hex(16)
    return render("service_connect.html", "review", subscription=subscription, service=offered,
                  promotion=promotion, form=form, locale=locale,
                  balance_after=subscription.balance - promotion.price)
