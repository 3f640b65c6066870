"""The requests' command: `flask process-requests`, run every minute by a timer."""
import click
from flask import current_app
from flask.cli import with_appcontext

import models
from rules import services as services_rules
from ..core import clock, sms
from . import service


@click.command("process-requests")
@with_appcontext
def process_requests_command():
    """Do the pending requests that are due (30 minutes after they were made; all of them
    at once in demo mode)."""
    with models.db.connection_context():
        counts = service.process_due(clock.now(), demo=current_app.config["DEMO"])
        sms.deliver_queued()
    click.echo(f"Requests processed: {counts[services_rules.DONE]} done, "
               f"{counts[services_rules.REJECTED]} rejected.")
