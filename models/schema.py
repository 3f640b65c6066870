"""Creating and migrating the schema, and noticing when it has drifted from the models.

`init-db` runs on every node as it starts: the work is done under one database-wide lock
(an advisory lock on PostgreSQL, the write lock on SQLite), so nodes started together wait
for each other instead of creating the same table twice."""
from contextlib import contextmanager

from playhouse.migrations import Runner
from playhouse.schema_diff import diff_models

from rules.dates import add_months
from . import partitions
from .base import db, is_sqlite

MIGRATION_LOCK = 7_380_460  # any number of ours: the advisory lock's key


class SchemaDrift(RuntimeError):
    """The database and the models differ: `differences` lists how."""

    def __init__(self, differences):
        super().__init__("; ".join(differences))
        self.differences = differences


@contextmanager
def migration_lock():
    if is_sqlite():
        with db.atomic("IMMEDIATE"):
            yield
        return
    db.execute_sql("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK,))
    try:
        yield
    finally:
        db.execute_sql("SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK,))


def migrate(models, directory, today, retention=partitions.RETENTION):
    """Create the missing tables and indexes, apply the pending scripts of `directory`, then
    check the result against the models. Returns (fresh, names of the scripts applied).

    On PostgreSQL the usage tables are made partitioned by month (models/partitions.py),
    with partitions for the `retention` months before `today()`'s and a few after; a database
    that has them already gets the months ahead it lacks (when no import holds the table:
    else the daily `usage-partitions` makes them). `today` is asked once the other tables
    exist (a demo copy's clock reads one of them)."""
    with migration_lock():
        missing = [model for model in models if not model.table_exists()]
        fresh = len(missing) == len(models)
        partitioned = [] if is_sqlite() else [model for model in missing
                                              if model in partitions.PARTITIONED]
        # New tables come with their indexes; what changes in a table that exists (a column,
        # an index) is a migration script's to do, checked below.
        db.create_tables([model for model in missing if model not in partitioned])
        with db.atomic():
            for model in partitioned:
                partitions.create_table(model, partitions.window(today(), retention))
        # A fresh schema already is what the scripts lead to: record them as applied.
        applied = Runner(db.obj, directory=str(directory)).up(fake=fresh)
        if not is_sqlite() and not fresh:
            try:
                this = today().replace(day=1)
                partitions.ensure(partitions.months(this, add_months(
                    this, partitions.AHEAD)))
            except partitions.Busy:
                pass  # an import holds the table: the default partition takes its rows
        found = differences(models)
        if found:
            raise SchemaDrift(found)
    return fresh, ([] if fresh else applied)


def differences(models):
    """How the tables differ from the models, as peewee's own schema diff sees it (a table,
    a column or an index one has and the other lacks, an index unique in one and not the
    other), and what it does not compare: a column that takes NULL in one and not in the
    other. A model change without its migration script shows here."""
    diff = diff_models(db, models)
    found = [f"{model._meta.table_name}: in the models, not in the database"
             for model in diff.create_tables]
    found += [f"{field.model._meta.table_name}.{field.column_name}: in the models, not in the "
              "database" for field in diff.add_columns]
    found += [f"{table}.{column}: in the database, not in the models"
              for table, column in diff.drop_columns]
    found += [f"index {_index_name(index)}: in the models, not in the database"
              for index in diff.add_indexes if not _is_primary_key(index)]
    found += [f"index {_index_name(index)}: in the database, not in the models"
              for index in diff.drop_indexes]
    return sorted(found + _nullability(models, diff) + _unpartitioned(models, diff))


def _is_primary_key(index):
    """A plain index of the models whose columns the table's primary key has, in order: the
    key's own index answers it (the partitioned usage_record's key is the report's index)."""
    return (index.columns is not None and not index.unique
            and tuple(db.get_primary_keys(index.table)) == tuple(index.columns))


def _unpartitioned(models, diff):
    """PostgreSQL's usage tables are partitioned by month: one that is not lacks its
    migration (0015)."""
    if is_sqlite():
        return []
    return [f"{model._meta.table_name}: not partitioned by month in the database, "
            "partitioned in the models" for model in models
            if model in partitions.PARTITIONED and model not in diff.create_tables
            and not partitions.is_partitioned(model)]


def _index_name(index):
    """An index as the operator finds it: by name, or by table and columns (peewee pairs
    plain indexes by what they cover, whatever their names)."""
    if index.name:
        return index.name
    unique = " unique" if index.unique else ""
    return f"on {index.table} ({', '.join(index.columns)}){unique}"


def _nullability(models, diff):
    """Columns both sides have whose NULL differs (peewee's diff leaves types and NULL out)."""
    found, missing = [], {model._meta.table_name for model in diff.create_tables}
    for model in models:
        table = model._meta.table_name
        if table in missing:
            continue
        columns = {column.name: column for column in db.get_columns(table)}
        for field in model._meta.sorted_fields:
            column = columns.get(field.column_name)
            if column is not None and not field.primary_key and column.null != field.null:
                found.append(f"{table}.{field.column_name}: NULL is "
                             f"{'allowed' if column.null else 'refused'} in the database, "
                             f"{'allowed' if field.null else 'refused'} in the models")
    return found
