"""The dashboard and the switcher of the profile's numbers and accounts."""
from flask import Blueprint
from flask_login import current_user, login_required
from wtforms import HiddenField

from models import AuthSession
from ..bonuses import service as bonuses_service
from ..core import catalogue, clock, states
from ..core.auth import current_profile, current_subscription, own_subscription, own_subscriptions
from ..core.forms import BaseForm
from ..core.web import local_target, render, see_other, submitted
from ..credit import service as credit_service
from ..expenses import service as expenses_service
from ..orders import service as orders_service

bp = Blueprint("dashboard", __name__)

# The dashboard's panels below the balance, in this order: (name, which templates/
# dashboard.html writes out, function (subscription) -> the panel's `panel` dict, or None to
# leave it out).
PANELS = (
    ("expenses", expenses_service.spending_panel),
    ("requests", orders_service.requests_panel),
    ("money", bonuses_service.money_panel),
    ("credit", credit_service.credit_panel),
    ("offers", catalogue.offers_panel),
)


class SelectNumberForm(BaseForm):
    number = HiddenField()
    next = HiddenField()


def dashboard_context():
    subscription = current_subscription()
    panels = []
    if subscription:
        for name, build in PANELS:
            data = build(subscription)
            if data is not None:
                panels.append((name, data))
    bonus_balance = (bonuses_service.shown_bonuses(subscription, clock.today())[0]
                     if subscription else 0)
    return {"subscription": subscription, "numbers": own_subscriptions(),
            "profile": current_profile(), "panels": panels, "bonus_balance": bonus_balance,
            "state_label": states.LABELS[subscription.state] if subscription else "",
            "next_step": states.next_step(subscription) if subscription else None}


@bp.get("/")
@login_required
def index():
    return render("dashboard.html", **dashboard_context())


@bp.post("/numbers/select")
@login_required
def select_number():
    """Which of the profile's numbers and accounts the pages show; never anyone else's."""
    form = submitted(SelectNumberForm())
    subscription = own_subscription(form.number.data or "")
    AuthSession.update(selected=subscription).where(
        AuthSession.token == current_user.auth_session.token).execute()
    return see_other(local_target(form.next.data))
