"""The dashboard and the switcher of the profile's numbers and accounts."""
from flask import Blueprint, redirect
from flask_login import current_user, login_required
from wtforms import HiddenField

from models import AuthSession
from . import bonuses, clock, credit, expenses, requests, states
from .auth import current_profile, current_subscription, own_subscription, own_subscriptions
from .forms import BaseForm
from .web import local_target, render, submitted

bp = Blueprint("dashboard", __name__)

# The dashboard's panels below the balance, in this order: (template, function
# (subscription) -> the panel's `panel` dict, or None to leave it out).
PANELS = (
    ("panels/expenses.html", expenses.spending_panel),
    ("panels/requests.html", requests.requests_panel),
    ("panels/money.html", bonuses.money_panel),
    ("panels/credit.html", credit.credit_panel),
)


class SelectNumberForm(BaseForm):
    number = HiddenField()
    next = HiddenField()


def dashboard_context():
    subscription = current_subscription()
    panels = []
    if subscription:
        for template, build in PANELS:
            data = build(subscription)
            if data is not None:
                panels.append((template, data))
    bonus_balance = (bonuses.shown_bonuses(subscription, clock.today())[0]
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
    return redirect(local_target(form.next.data), code=303)


def init_app(app):
    app.register_blueprint(bp)
