"""The top-up's command: `flask expire-payments`, run every minute by a timer."""
import click
from flask.cli import with_appcontext

import models
from ..core import clock
from . import service


@click.command("expire-payments")
@with_appcontext
def expire_payments_command():
    """Cancel the card payments not confirmed within ten minutes (run every minute)."""
    with models.db.connection_context():
        count = service.expire_payments(clock.now())
    click.echo(f"Payments expired: {count}.")
