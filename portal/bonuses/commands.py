"""The bonuses' commands, run by timers: `accrue-bonuses` (monthly, on the 4th) and
`lapse-bonuses` (daily)."""
import click
from flask.cli import with_appcontext

import models
from ..core import clock
from ..core.formatting import amount
from . import service


@click.command("accrue-bonuses")
@with_appcontext
@clock.DATE_OPTION
def accrue_bonuses_command(day):
    """The monthly Home Internet bonus accrual (once per month however often it runs);
    moved bonuses whose 20 days are over lapse too."""
    today, now = clock.command_clock(day.date() if day else None)
    with models.db.connection_context():
        month, count, total = service.accrue(today, now)
        numbers, lapsed = service.lapse(today, now)
    click.echo(f"Accrued {month:%Y-%m}: {count} account(s), {amount(total)} bonuses. "
               f"Lapsed: {numbers} number(s), {amount(lapsed)} bonuses.")


@click.command("lapse-bonuses")
@with_appcontext
@clock.DATE_OPTION
def lapse_bonuses_command(day):
    """Moved bonuses whose 20 days are over lapse (run daily)."""
    today, now = clock.command_clock(day.date() if day else None)
    with models.db.connection_context():
        numbers, lapsed = service.lapse(today, now)
    click.echo(f"Lapsed: {numbers} number(s), {amount(lapsed)} bonuses.")
