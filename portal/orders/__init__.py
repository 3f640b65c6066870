"""Requests a subscriber makes of the network (a temporary SIM block and its end, pausing
and resuming): the archive page and the buttons (views.py), making, doing and describing
them (service.py), and `process-requests` (commands.py). (Named `orders` so that no module
of ours shadows the `requests` library; the URLs stay /requests.)"""
from . import commands, views


def init_app(app):
    app.register_blueprint(views.bp)
    app.cli.add_command(commands.process_requests_command)
