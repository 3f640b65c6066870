"""The operator's CSV feeds (subscribers and usage), imported whole or not at all
(service.py), and their commands (commands.py)."""
from . import commands, welcome


def init_app(app):
    app.extensions.setdefault("send_sms_jobs", []).append(welcome.send_due)
    app.cli.add_command(commands.import_subscribers_command)
    app.cli.add_command(commands.import_usage_command)
