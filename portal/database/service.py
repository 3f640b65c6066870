"""The portal's database: `init_db` creates or migrates the schema and applies the
catalogue; `copy_database` copies every table into another, empty database (the move from
SQLite to PostgreSQL on the VPS; see deploy/README.md).

The copy's target gets the schema `init-db` makes, then every row, table by table in
foreign-key order, in one transaction: a failed copy leaves the target as empty as it
was."""
from pathlib import Path

import click
from flask import current_app
from peewee import AutoField, BigAutoField, PostgresqlDatabase

import models
from models import partitions
from models.schema import migrate
from ..core import catalogue, clock

ROOT = Path(__file__).resolve().parents[2]
MIGRATIONS = ROOT / "migrations"


def init_db():
    """Create missing tables and indexes, apply pending migrations (SchemaDrift if the
    result differs from the models), apply the catalogue."""
    fresh, applied = migrate(models.all_models(), MIGRATIONS, clock.today,
                             current_app.config["USAGE_RETENTION_MONTHS"])
    counts = catalogue.apply(catalogue.load())
    return fresh, applied, counts

BATCH = 2000


def copy_database(source, target, echo=lambda line: None):
    """Copy every model's rows from `source` into `target` (both peewee Databases);
    returns {table: rows}. The target must hold no subscriber yet."""
    tables = models.all_models()
    models.db.initialize(target)
    try:
        with target.connection_context():
            init_db()  # the schema as the code has it, migrations recorded as applied
            if models.Subscription.select().count():
                raise click.ClickException("the target database holds subscribers already: "
                                           "copy only into an empty database")
            counts = {}
            with target.atomic():
                for model in reversed(tables):  # init-db's catalogue rows go first
                    model.delete().execute(target)
                for model in tables:
                    counts[model._meta.table_name] = _copy_table(model, source, target)
                    echo(f"{model._meta.table_name}: {counts[model._meta.table_name]}")
                if isinstance(target, PostgresqlDatabase):
                    _reset_sequences(tables, target)
                    # Records older than the partitions init-db made went to the default
                    # partitions: each month gets its own now (models/partitions.py).
                    partitions.maintain(clock.today(), retention=None)
    finally:
        models.db.initialize(source)
    return counts


def usage_partitions(today, ahead, retention):
    """The daily upkeep of the usage tables' monthly partitions on PostgreSQL
    (models/partitions.py `maintain`); None on SQLite, which has none."""
    if models.is_sqlite():
        return None
    return partitions.maintain(today, ahead, retention)


def _copy_table(model, source, target):
    fields = list(model._meta.sorted_fields)
    rows = model.select(*fields).order_by(*model._meta.get_primary_keys()).tuples()
    batch, copied = [], 0
    for row in rows.execute(source).iterator():
        batch.append(row)
        if len(batch) == BATCH:
            model.insert_many(batch, fields=fields).execute(target)
            copied += len(batch)
            batch.clear()
    if batch:
        model.insert_many(batch, fields=fields).execute(target)
        copied += len(batch)
    return copied


def _reset_sequences(tables, target):
    """PostgreSQL's serial counters start after the copied ids."""
    for model in tables:
        primary = model._meta.primary_key
        if isinstance(primary, (AutoField, BigAutoField)):
            table, column = model._meta.table_name, primary.column_name
            target.execute_sql(
                f"SELECT setval(pg_get_serial_sequence('\"{table}\"', '{column}'), "
                f"COALESCE(MAX(\"{column}\"), 1), MAX(\"{column}\") IS NOT NULL) "
                f"FROM \"{table}\"")
