"""The credit's command: `flask settle-credits`, run daily by a timer."""
import click
from flask.cli import with_appcontext

import models
from ..core import clock, sms
from ..core.formatting import plain
from . import service


@click.command("settle-credits")
@with_appcontext
@clock.DATE_OPTION
def settle_credits_command(day):
    """Charge the self-service credits whose 7 days are over (run daily); running it again
    charges nothing twice."""
    today, now = clock.command_clock(day.date() if day else None)
    with models.db.connection_context():
        count, total = service.settle(today, now)
        sms.deliver_queued()
    click.echo(f"Credits settled: {count}, {plain(total)} UAH.")
