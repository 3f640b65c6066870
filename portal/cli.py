"""Operators' commands: `flask --app portal init-db | import-subscribers`, and how every
feed import reports its problems."""
import sys
from pathlib import Path

import click

import models
from models.schema import SchemaDrift, migrate
from . import catalogue, clock
from .subscribers import FeedError, import_subscriber_file

ROOT = Path(__file__).resolve().parent.parent
MIGRATIONS = ROOT / "migrations"
DEMO_DIR = ROOT / "demo"
DEMO_PASSWORD = "Demo-2026"


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


def init_db():
    """Create missing tables and indexes, apply pending migrations (SchemaDrift if the
    result differs from the models), apply the catalogue."""
    fresh, applied = migrate(models.all_models(), MIGRATIONS)
    counts = catalogue.apply(catalogue.load())
    return fresh, applied, counts


def init_app(app):
    @app.cli.command("init-db")
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

    @app.cli.command("import-subscribers")
    @click.argument("file", type=click.Path(dir_okay=False))
    def import_subscribers_command(file):
        """Upsert subscribers from the operator's CSV feed: all rows or none."""
        created, updated = import_feed(file, lambda: import_subscriber_file(file, clock))
        click.echo(f"Imported {created + updated} subscriptions: {created} created, "
                   f"{updated} updated.")
