"""`flask demo-data [--reset] [--if-empty]`: the demo data set, safe to run again."""
import sys

import click
from flask.cli import with_appcontext

import models
from ..core import clock
from ..core.formatting import moment
from ..database.service import init_db
from .data import DEMO_PASSWORD
from .loading import is_empty, load_demo_data
from .usage import usage_after_state


@click.command("demo-data")
@with_appcontext
@click.option("--reset", is_flag=True, help="Delete all data first (between classes).")
@click.option("--if-empty", is_flag=True, help="Load only into an empty database.")
def demo_data_command(reset, if_empty):
    """Load the demo data set; safe to run again."""
    with models.db.connection_context():
        init_db()
        clock.now()  # fixes the demo's timeline (PORTAL_NOW) for every process
        if if_empty and not is_empty():
            click.echo("The database holds subscribers already; demo data not loaded.")
            return
        created, updated = load_demo_data(reset=reset)
        inconsistent = usage_after_state(clock.now())
    for number, state, began, first in inconsistent:
        click.echo(f"{number} is {state} since {moment(began)} but has usage at "
                   f"{moment(first)}", err=True)
    if inconsistent:
        click.echo("The demo data contradicts the states (portal/demo/usage.py).", err=True)
        sys.exit(1)
    click.echo(f"Demo data loaded: {created} subscriptions created, {updated} updated. "
               f"Demo password: {DEMO_PASSWORD}")
