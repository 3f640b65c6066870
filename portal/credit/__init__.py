"""Self-service credit: the page and its press (views.py), granting, settling and the
dashboard's panel (service.py; repayment follows money paid in: portal/core/money_events.py),
and `settle-credits` (commands.py)."""
from ..core import catalogue
from . import commands, views


def init_app(app):
    app.register_blueprint(views.bp)
    app.cli.add_command(commands.settle_credits_command)
    app.config.setdefault("CREDIT_TIERS", catalogue.credit_tiers(catalogue.load()))
