"""Home Internet bonuses: moving them to a mobile number (views.py), the accrual, the
lapse, the move's booking and the bonuses a number shows (service.py), and the timers'
commands (commands.py)."""
from . import commands, history_views, views  # noqa: F401 (history_views: its page joins views.bp)


def init_app(app):
    app.register_blueprint(views.bp)
    app.cli.add_command(commands.accrue_bonuses_command)
    app.cli.add_command(commands.lapse_bonuses_command)
