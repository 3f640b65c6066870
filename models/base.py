"""The one database of the portal, chosen by URL at start-up."""
import os
import weakref
from datetime import datetime, timezone
from pathlib import Path

from peewee import DatabaseProxy, DateTimeField, IndexMetadata, Model, SqliteDatabase, unqesc
from playhouse.db_url import parse
from playhouse.pool import PooledPostgresqlDatabase

from rules.dates import instant

db = DatabaseProxy()

SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "busy_timeout": 5000,  # ms: wait for a writer instead of failing at once
    "synchronous": "normal",  # safe with WAL; a power cut loses at most the last commits
    "cache_size": -16000,  # 16 MB page cache
}


def _create_private(path):
    """The database file (SQLite gives its -wal and -shm files the same mode) and a folder
    made for it are readable by their owner only: they hold balances and sessions."""
    if not path.parent.exists():
        path.parent.mkdir(mode=0o700, parents=True)
    if not path.exists():
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))


class PreparedMismatch(AssertionError):
    """A prepared query's SQL or parameters are not what peewee builds for it now."""


class PreparedSQL:
    """Queries of a fixed shape, compiled to SQL once per database and shape.

    Peewee builds a query's SQL text anew at every execution: for the queries every signed-in
    page runs (the session, the switcher's numbers) that is about a third of a page's time.
    `prepared(query, shape, params)` marks a query whose SQL depends only on `shape` (a
    name, plus whatever changes the text, such as the length of an IN list) and whose
    parameters, in order, are `params`; its first execution compiles it, the next ones
    reuse the text. Rows come back through peewee as usual (models, joins, attributes).
    With `verify` on (the tests) every execution compiles it again and checks that the text
    and parameters are the cached ones, so a wrong shape or parameter list fails loudly."""

    verify = False

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.prepared_sql = {}

    def execute(self, query, **context_options):
        marked = getattr(query, "prepared_as", None)
        if marked is None or marked[2]() is not query or marked[3] != _paging(query):
            # Unmarked; a copy made of a marked query (a where, FOR UPDATE, a LIMIT added
            # later); or a marked one paged in place (first()): its SQL is not the shape's.
            return super().execute(query, **context_options)
        shape, params, *_ = marked
        sql = self.prepared_sql.get(shape)
        if sql is None or PreparedSQL.verify:
            compiled, compiled_params = self.get_sql_context(**context_options).sql(query).query()
            if (sql is not None and compiled != sql) or list(compiled_params) != list(params):
                raise PreparedMismatch(f"{shape}: {compiled} {compiled_params} != {sql} {params}")
            self.prepared_sql[shape] = sql = compiled
        return self.execute_sql(sql, params)


def prepared(query, shape, *params):
    """`query` run from SQL compiled once per `shape` (see PreparedSQL); mark a query last,
    after every where/join/order/limit: a copy made of it afterwards runs unprepared."""
    marked = query.clone()  # a query that already ran keeps its rows; this one runs anew
    params = tuple(map(_database_value, params))
    # The mark names the query it was put on: a copy peewee makes later (where, order,
    # for_update, first) carries the mark but is not that query, and compiles as usual.
    marked.prepared_as = (shape, params, weakref.ref(marked), _paging(marked))
    return marked


def _database_value(param):
    """A parameter as peewee would write it: an instant as UTC without a zone (MomentField)."""
    return as_stored(param) if isinstance(param, datetime) else param


def as_stored(moment):
    """An instant (a naive one: Kyiv wall time) as the database keeps it: UTC, no zone."""
    return instant(moment).replace(tzinfo=None)


def prepared_rows(shape, build, *params):
    """The driver's rows (tuples, no model built) of the fixed-shape query `build()` makes,
    run with `params` from SQL compiled once per `shape`: once the SQL is known, not even
    the query is built again. For the queries every signed-in page runs, whose rows
    `built` turns into models; under `verify` (the tests) the query is built and checked
    at every call, as `prepared` checks it."""
    sql = db.obj.prepared_sql.get(shape)
    if sql is None or PreparedSQL.verify:
        return db.execute(prepared(build(), shape, *params)).fetchall()
    return db.execute_sql(sql, tuple(map(_database_value, params))).fetchall()


def built(model, fields, values):
    """A `model` instance of a row's `fields` as the driver gave their `values`, built as
    peewee builds one (each field's python_value, nothing marked dirty) without its
    per-query column resolution, which costs more than the query on a small row."""
    instance = model(__no_default__=1)
    data = instance.__data__
    for field, value in zip(fields, values, strict=True):
        data[field.name] = field.python_value(value)
    return instance


def _paging(query):
    """What peewee changes in place on a query (first() sets its LIMIT)."""
    return getattr(query, "_limit", None), getattr(query, "_offset", None)


class Sqlite(PreparedSQL, SqliteDatabase):
    pass


class PooledPostgresql(PreparedSQL, PooledPostgresqlDatabase):
    def get_indexes(self, table, schema=None):
        """Peewee's own query for the indexes, but reading a partitioned table's too
        (relkind 'p': the usage tables, models/partitions.py), not plain tables' only, so
        the schema check sees them."""
        cursor = self.execute_sql("""
            SELECT i.relname, idxs.indexdef, idx.indisunique, ARRAY(
                SELECT pg_get_indexdef(idx.indexrelid, k + 1, TRUE)
                FROM generate_subscripts(idx.indkey, 1) AS k ORDER BY k)
            FROM pg_catalog.pg_class AS t
            INNER JOIN pg_catalog.pg_namespace AS n ON t.relnamespace = n.oid
            INNER JOIN pg_catalog.pg_index AS idx ON t.oid = idx.indrelid
            INNER JOIN pg_catalog.pg_class AS i ON idx.indexrelid = i.oid
            INNER JOIN pg_catalog.pg_indexes AS idxs ON (idxs.tablename = t.relname
                AND idxs.indexname = i.relname AND idxs.schemaname = n.nspname)
            WHERE t.relname = %s AND t.relkind IN ('r', 'p')
                AND n.nspname = COALESCE(%s, current_schema())
            ORDER BY idx.indisunique DESC, i.relname""", (table, schema))
        return [IndexMetadata(name, sql.rstrip(" ;"), [unqesc(column) for column in columns],
                              unique, table) for name, sql, unique, columns in cursor.fetchall()]


def open_database(url, root):
    """A peewee Database for `url`; a relative SQLite path is taken from `root`."""
    if url.startswith("sqlite:///") and not url.startswith("sqlite:////"):
        url = "sqlite:///" + str(Path(root) / url[len("sqlite:///"):])
    if url.startswith("sqlite:///"):
        _create_private(Path(url[len("sqlite:///"):]))
    if url.startswith("sqlite:"):
        # Every transaction begins as a writer (BEGIN IMMEDIATE): one that began as a reader
        # and then writes cannot wait for the lock, and fails ("database is locked").
        return Sqlite(**parse(url), pragmas=SQLITE_PRAGMAS, lock_type="IMMEDIATE")
    if url.startswith(("postgresql://", "postgres://")):
        # Pooled: a new PostgreSQL connection costs about 5 ms, more than a whole page, and
        # each request would otherwise open one. A sync worker keeps one connection; idle
        # ones are renewed after five minutes; a request finding all 32 in use waits for one.
        return PooledPostgresql(**parse(url), max_connections=32, stale_timeout=300,
                                timeout=10)
    raise ValueError(f"PORTAL_DATABASE_URL: not an SQLite or PostgreSQL URL: {url}")


def is_sqlite():
    return isinstance(db.obj, SqliteDatabase)


def locking_transaction():
    """A transaction for a read-check-write (a balance, a count): on SQLite it holds the
    write lock from its start (as every transaction does, see open_database); on
    PostgreSQL, lock what it reads with `for_update()` or `lock_name()` inside it."""
    return db.atomic()


def for_update(query):
    """`query` locking the rows it selects on PostgreSQL (SELECT … FOR UPDATE), inside a
    `locking_transaction()`; on SQLite that transaction's BEGIN IMMEDIATE already holds the
    whole database (peewee refuses FOR UPDATE there)."""
    return query if is_sqlite() else query.for_update()


def lock_name(name):
    """Inside a `locking_transaction()`, make every other transaction that locks the same
    `name` wait for this one: PostgreSQL's transaction-level advisory lock, taken by any
    server on the database (on SQLite, BEGIN IMMEDIATE already holds the whole database).
    For a count and its increase that have no row of their own to lock."""
    if not is_sqlite():
        db.execute_sql("SELECT pg_advisory_xact_lock(hashtext(%s))", (name,))


class MomentField(DateTimeField):
    """An instant: kept as UTC without a zone (the column type of a DateTimeField on both
    databases), read back as an aware UTC datetime. A naive value written or compared is
    Kyiv wall time (rules.dates), so `Model.at >= datetime.combine(day, time.min)` means
    from Kyiv's midnight."""

    def db_value(self, value):
        if value is None or not hasattr(value, "tzinfo"):
            return super().db_value(value)  # None, or a string from a raw query
        return as_stored(value)

    def python_value(self, value):
        if type(value) is str:  # SQLite's text, read at once: peewee reads it the same way
            # (fromisoformat) after rewriting it, through four calls: 1.5 µs against 1.0
            try:
                moment = datetime.fromisoformat(value)
            except ValueError:
                moment = None
            if moment is not None and moment.tzinfo is None:
                return _as_utc(moment)
        value = super().python_value(value)
        return _as_utc(value) if hasattr(value, "tzinfo") else value


def _as_utc(stored):
    """The instant a stored (naive UTC) datetime means. Not by `replace(tzinfo=…)`, which
    parses its keywords anew at every call (0.7 µs against 0.15): a report page reads
    fifty."""
    return datetime.combine(stored, stored.time(), timezone.utc)


_MOMENT = MomentField()  # reads an aggregate's text or datetime as the field would


def read_moment(value):
    """An instant from an SQL aggregate over a MomentField (MAX, MIN): SQLite hands its text,
    PostgreSQL a datetime; None stays None."""
    return _MOMENT.python_value(value)


class BaseModel(Model):
    class Meta:
        database = db
        legacy_table_names = False

    @classmethod
    def locked(cls, row_id):
        """The row re-read inside a `locking_transaction()`, locked until it ends."""
        return for_update(cls.select().where(cls._meta.primary_key == row_id)).get()
