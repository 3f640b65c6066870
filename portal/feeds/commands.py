"""The feeds' commands: `import-subscribers FILE.csv` and `import-usage FILE.csv`, each
reporting every problem of a refused file by its line, as the contract says."""
import sys
import time as timer
from pathlib import Path

import click
from flask.cli import with_appcontext

import models
from ..core import clock, sms
from . import welcome
from .service import FeedError, import_subscriber_file, import_usage_file


def import_feed(file, do_import, shown=200):
    """Run an all-or-nothing feed import the way the contract says: every problem with
    its line number (the first `shown` of them), exit 1 when the file is refused, 2 when
    there is no file. Returns what `do_import()` returns."""
    if not Path(file).is_file():
        click.echo(f"{file}: no such file", err=True)
        sys.exit(2)
    try:
        with models.db.connection_context():
            return do_import()
    except FeedError as error:
        for line, message in error.problems[:shown]:
            click.echo(f"{file}:{line}: {message}", err=True)
        if len(error.problems) > shown:
            click.echo(f"… and {len(error.problems) - shown} more.", err=True)
        click.echo(f"Nothing imported: {len(error.problems)} problem(s).", err=True)
    except UnicodeDecodeError:
        click.echo(f"{file}: not UTF-8 text; nothing imported.", err=True)
    sys.exit(1)


@click.command("import-subscribers")
@with_appcontext
@click.argument("file", type=click.Path(dir_okay=False))
def import_subscribers_command(file):
    """Upsert subscribers from the operator's CSV feed: all rows or none. New numbers whose
    cabinet never existed get the welcome SMS (portal/feeds/welcome.py)."""
    queue = welcome.Queue(clock.now())

    def run():
        created, updated = import_subscriber_file(file, clock, on_created=queue)
        return created, updated, welcome.send_due()  # once the import has committed

    created, updated, sent = import_feed(file, run)
    click.echo(f"Imported {created + updated} subscriptions: {created} created, "
               f"{updated} updated. Welcome SMS: {queue.queued} queued, {sent} sent.")


@click.command("import-usage")
@with_appcontext
@click.argument("file", type=click.Path(dir_okay=False))
def import_usage_command(file):
    """Append usage and charge records from the operator's CSV feed: all rows or none."""
    started = timer.perf_counter()

    def run():
        imported = import_usage_file(file, clock)
        sms.deliver_queued()  # the low-balance alerts, once the import has committed
        return imported

    count = import_feed(file, run)
    seconds = timer.perf_counter() - started
    click.echo(f"Imported {count} usage records in {seconds:.1f} s.")
