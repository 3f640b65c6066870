"""Operators' commands: `flask --app portal init-db | demo-data | import-subscribers`."""
import sys
from pathlib import Path

import click
from flask import current_app
from playhouse.migrations import Runner

import models
from . import catalogue, security
from .demo import DEMO_LOADERS
from .subscribers import FeedError, import_subscriber_file

ROOT = Path(__file__).resolve().parent.parent
MIGRATIONS = ROOT / "migrations"
DEMO_DIR = ROOT / "demo"
DEMO_PASSWORD = "Demo-2026"
# Demo profiles that have been through the first sign-in; the rest show registration.
DEMO_CONFIRMED = ("olena", "romashka", "andrii", "iryna", "mariia", "taras")


def _clock():
    return current_app.config["CLOCK"]


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
    """Create missing tables and indexes, apply pending migrations, apply the catalogue."""
    database = models.db.obj
    all_models = models.all_models()
    fresh = not any(model.table_exists() for model in all_models)
    database.create_tables(all_models, safe=True)
    runner = Runner(database, directory=str(MIGRATIONS))
    applied = runner.up(fake=fresh)  # a fresh schema already is what the scripts lead to
    counts = catalogue.apply(catalogue.load())
    return fresh, applied, counts


def load_demo_data(reset=False):
    clock = _clock()
    if reset:
        with models.db.atomic():
            for model in reversed(models.all_models()):
                model.delete().execute()
        catalogue.apply(catalogue.load())
    created, updated = import_subscriber_file(DEMO_DIR / "subscribers.csv", clock)
    password_hash = security.hash_password(DEMO_PASSWORD)
    now = clock.now()
    with models.db.atomic():
        models.Profile.update(password_hash=password_hash, confirmed_at=now).where(
            models.Profile.key.in_(DEMO_CONFIRMED)).execute()
        for loader in DEMO_LOADERS:
            loader(clock)
    return created, updated


def is_empty():
    return not models.Subscription.table_exists() or models.Subscription.select().count() == 0


def init_app(app):
    @app.cli.command("init-db")
    def init_db_command():
        """Create or migrate the schema and apply the catalogue; safe to run again."""
        with models.db.connection_context():
            fresh, applied, counts = init_db()
        state = "created" if fresh else "up to date"
        click.echo(f"Schema {state}; migrations applied: {len(applied) if not fresh else 0}; "
                   + ", ".join(f"{name}: {count}" for name, count in counts.items()))

    @app.cli.command("demo-data")
    @click.option("--reset", is_flag=True, help="Delete all data first (between classes).")
    @click.option("--if-empty", is_flag=True, help="Load only into an empty database.")
    def demo_data_command(reset, if_empty):
        """Load the demo data set; safe to run again."""
        with models.db.connection_context():
            init_db()
            if if_empty and not is_empty():
                click.echo("The database holds subscribers already; demo data not loaded.")
                return
            created, updated = load_demo_data(reset=reset)
        click.echo(f"Demo data loaded: {created} subscriptions created, {updated} updated. "
                   f"Demo password: {DEMO_PASSWORD}")

    @app.cli.command("import-subscribers")
    @click.argument("file", type=click.Path(dir_okay=False))
    def import_subscribers_command(file):
        """Upsert subscribers from the operator's CSV feed: all rows or none."""
        created, updated = import_feed(file, lambda: import_subscriber_file(file, _clock()))
        click.echo(f"Imported {created + updated} subscriptions: {created} created, "
                   f"{updated} updated.")
