"""The tariff of the number on show (/tariff): what it includes, what is used and left this
month, its fee and the next date it is charged, and the way to switch (the list and the
switch itself: views.py)."""
from flask_babel import gettext as _
from flask_login import login_required

from rules import tariffs as tariffs_rules
from ..core import clock
from ..core.auth import current_subscription_or_404
from ..core.i18n import current_locale
from ..core.web import render
from . import service
from .views import bp


@bp.get("/tariff")
@login_required
def tariff_page():
    subscription = current_subscription_or_404()
    today = clock.today()
    return render("tariff.html", subscription=subscription, tariff=subscription.tariff,
                  locale=current_locale(), allowances=service.tariff_month(subscription, today),
                  next_fee_on=tariffs_rules.next_fee_date(today), month=today,
                  unit_names={tariffs_rules.MINUTES: _("min"), tariffs_rules.SMS: _("SMS"),
                              tariffs_rules.MEGABYTES: _("MB")})
