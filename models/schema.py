"""Creating and migrating the schema, and noticing when it has drifted from the models.

`init-db` runs on every node as it starts: the work is done under one database-wide lock
(an advisory lock on PostgreSQL, the write lock on SQLite), so nodes started together wait
for each other instead of creating the same table twice."""
from contextlib import contextmanager

from playhouse.migrations import Runner

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


def migrate(models, directory):
    """Create the missing tables and indexes, apply the pending scripts of `directory`, then
    check the result against the models. Returns (fresh, names of the scripts applied)."""
    with migration_lock():
        missing = [model for model in models if not model.table_exists()]
        fresh = len(missing) == len(models)
        # New tables come with their indexes; what changes in a table that exists (a column,
        # an index) is a migration script's to do, checked below.
        db.create_tables(missing)
        # A fresh schema already is what the scripts lead to: record them as applied.
        applied = Runner(db.obj, directory=str(directory)).up(fake=fresh)
        found = differences(models)
        if found:
            raise SchemaDrift(found)
    return fresh, ([] if fresh else applied)


def _model_indexes(model):
    indexes = {}
    for index in model._meta.fields_to_index():
        indexes[index._name] = bool(index._unique)
    return indexes


def _database_indexes(table):
    return {index.name: bool(index.unique) for index in db.get_indexes(table)
            if not index.name.endswith("_pkey") and not index.name.startswith("sqlite_autoindex")}


def differences(models):
    """How the tables differ from the models: a column (or an index) one has and the other
    lacks, or a column that takes NULL in one and not in the other. A model column without
    a migration script shows here."""
    found = []
    for model in models:
        table = model._meta.table_name
        columns = {column.name: column for column in db.get_columns(table)}
        fields = {field.column_name: field for field in model._meta.sorted_fields}
        for name in fields.keys() - columns.keys():
            found.append(f"{table}.{name}: in the models, not in the database")
        for name in columns.keys() - fields.keys():
            found.append(f"{table}.{name}: in the database, not in the models")
        for name in fields.keys() & columns.keys():
            field = fields[name]
            if not field.primary_key and columns[name].null != field.null:
                found.append(f"{table}.{name}: NULL is {'allowed' if columns[name].null else 'refused'} "
                             f"in the database, {'allowed' if field.null else 'refused'} in the models")
        wanted, present = _model_indexes(model), _database_indexes(table)
        for name in wanted.keys() - present.keys():
            found.append(f"index {name}: in the models, not in the database")
        for name in present.keys() - wanted.keys():
            found.append(f"index {name}: in the database, not in the models")
        for name in wanted.keys() & present.keys():
            if wanted[name] != present[name]:
                found.append(f"index {name}: unique in one, not in the other")
    return sorted(found)
