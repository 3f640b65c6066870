"""The dashboard and the switcher of the profile's numbers and accounts."""
from flask import Blueprint, redirect, request
from flask_login import current_user

from models import AuthSession
from .auth import (current_subscription, own_subscription, own_subscriptions,
                   subscriber_required)
from .web import local_target, render

bp = Blueprint("dashboard", __name__)

# Other areas add panels to the dashboard: (template, function(subscription) -> dict or
# None). The dict is the panel's `panel` variable; None leaves the panel out.
DASHBOARD_PANELS = []


def dashboard_panel(template):
    def register(build):
        DASHBOARD_PANELS.append((template, build))
        return build
    return register


def dashboard_context():
    subscription = current_subscription()
    panels = []
    if subscription:
        for template, build in DASHBOARD_PANELS:
            data = build(subscription)
            if data is not None:
                panels.append((template, data))
    return {"subscription": subscription, "numbers": own_subscriptions(),
            "profile": current_user._get_current_object(), "panels": panels}


@bp.get("/")
@subscriber_required
def index():
    return render("dashboard.html", **dashboard_context())


@bp.post("/numbers/select")
@subscriber_required
def select_number():
    """Which of the profile's numbers and accounts the pages show; never anyone else's."""
    subscription = own_subscription(request.form.get("number", ""))
    AuthSession.update(selected=subscription).where(
        AuthSession.token == current_user.auth_session.token).execute()
    return redirect(local_target(request.form.get("next")), code=303)
