"""The operator's CSV feeds (subscribers and usage), imported whole or not at all
(service.py), and their commands (commands.py)."""
from . import commands


def init_app(app):
    app.cli.add_command(commands.import_subscribers_command)
    app.cli.add_command(commands.import_usage_command)
