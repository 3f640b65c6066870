"""The operators' database commands: `init-db` (create or migrate the schema, apply the
catalogue; safe to run again), `copy-db --to URL` (the move from SQLite to PostgreSQL),
`restore-drill --into URL` (a backup restored and proven, drill.py) and `usage-partitions`
(the usage tables' monthly partitions on PostgreSQL, a daily timer)."""
import sys

import click
from flask import current_app
from flask.cli import with_appcontext

import models
from models import partitions
from models.schema import SchemaDrift
from ..core import clock
from .drill import DrillFailed, drill, summary
from .service import ROOT, copy_database, init_db, usage_partitions


@click.command("init-db")
@with_appcontext
def init_db_command():
    """Create or migrate the schema and apply the catalogue; safe to run again."""
    try:
        with models.db.connection_context():
            fresh, applied, counts = init_db()
    except SchemaDrift as drift:
        for difference in drift.differences:
            click.echo(f"schema: {difference}", err=True)
        click.echo("The database differs from the models: a migration is missing "
                   "(migrations/README.md).", err=True)
        sys.exit(1)
    state = "created" if fresh else "up to date"
    click.echo(f"Schema {state}; migrations applied: {len(applied)}; "
               + ", ".join(f"{name}: {count}" for name, count in counts.items()))


@click.command("copy-db")
@with_appcontext
@click.option("--to", "target_url", required=True,
              help="The empty database to copy into, e.g. postgresql://portal@localhost/portal")
def copy_db_command(target_url):
    """Copy every table into another, empty database (SQLite to PostgreSQL)."""
    source = models.db.obj
    if target_url == current_app.config["DATABASE_URL"]:
        click.echo("The target is the database the portal uses now.", err=True)
        sys.exit(2)
    if not target_url.startswith(("sqlite:///", "postgresql://", "postgres://")):
        click.echo("Cannot open the target database: give a sqlite:/// or "
                   "postgresql:// URL.", err=True)
        sys.exit(2)
    try:
        target = models.open_database(target_url, ROOT)
    except Exception as error:  # an unknown scheme or a malformed URL
        click.echo(f"Cannot open the target database: {error}", err=True)
        sys.exit(2)
    with source.connection_context():
        init_db()  # the source up to date first, so both schemas are the same
        counts = copy_database(source, target, echo=click.echo)
    click.echo(f"Copied {sum(counts.values())} rows in {len(counts)} tables.")


@click.command("restore-drill")
@with_appcontext
@click.option("--into", "target_url", required=True,
              help="An empty database to restore into, e.g. sqlite:////tmp/drill.db or "
                   "postgresql://portal@localhost/portal_drill (made with createdb)")
def restore_drill_command(target_url):
    """Back up this database, restore the copy into an empty one with deploy/restore.sh,
    start the portal on it and prove the balances, ledger and sessions are the same."""
    source_url = current_app.config["DATABASE_URL"]
    if target_url == source_url:
        click.echo("The drill restores into another, empty database: give its URL.", err=True)
        sys.exit(2)
    try:
        with models.db.connection_context():
            found = drill(source_url, target_url, current_app.secret_key, echo=click.echo)
    except DrillFailed as failure:
        click.echo(f"Restore drill FAILED: {failure}", err=True)
        sys.exit(1)
    for line in summary(found):
        click.echo(line)
    click.echo("Restore drill passed: every balance, ledger total, session and table row "
               "is the same in the restored database.")


@click.command("usage-partitions")
@with_appcontext
@clock.DATE_OPTION
@click.option("--ahead", type=click.IntRange(1, 24), default=partitions.AHEAD, show_default=True,
              help="Months after the current one that get their partition now.")
@click.option("--detach-older-than", "retention", type=click.IntRange(1), default=None,
              help="Detach the months that ended more than this many months before the "
                   "current one began (default: PORTAL_USAGE_RETENTION_MONTHS, 36).")
def usage_partitions_command(day, ahead, retention):
    """PostgreSQL: make the usage tables' monthly partitions ahead, move rows the default
    partitions caught into their months', detach the months past the retention (never
    dropped: each is named, to be archived and dropped by the operator). Safe to run again;
    a daily timer runs it. On SQLite there is nothing to do."""
    if retention is None:
        retention = current_app.config["USAGE_RETENTION_MONTHS"]
    try:
        with models.db.connection_context():
            today = clock.command_clock(day.date() if day else None)[0]
            done = usage_partitions(today, ahead, retention)
    except partitions.Busy as busy:
        click.echo(f"A usage table is busy (an import?): {busy}. Nothing is lost: run it "
                   "again later.", err=True)
        sys.exit(1)
    if done is None:
        click.echo("SQLite: the usage tables are not partitioned; nothing to do.")
        return
    for name, moved in done.made:
        click.echo(f"made {name}" + (f" ({moved} rows from the default partition)"
                                     if moved else ""))
    for default, month in done.waiting:
        click.echo(f"{default}: rows of {month:%Y-%m} wait there: a detached table still has "
                   "that month's name; archive and drop it.", err=True)
    for name in done.detached:
        click.echo(f"detached {name}: archive it (pg_dump -t {name}), then DROP TABLE {name}")
    click.echo(f"Usage partitions: {len(done.made)} made, {len(done.detached)} detached.")
