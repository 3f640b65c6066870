"""The one database of the portal, chosen by URL at start-up."""
import os
from pathlib import Path

from peewee import DatabaseProxy, Model, SqliteDatabase
from playhouse.db_url import connect

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


def open_database(url, root):
    """A peewee Database for `url`; a relative SQLite path is taken from `root`."""
    if url.startswith("sqlite:///") and not url.startswith("sqlite:////"):
        url = "sqlite:///" + str(Path(root) / url[len("sqlite:///"):])
    if url.startswith("sqlite:///"):
        _create_private(Path(url[len("sqlite:///"):]))
    if url.startswith("sqlite:"):
        # Every transaction begins as a writer (BEGIN IMMEDIATE): one that began as a reader
        # and then writes cannot wait for the lock, and fails ("database is locked").
        return connect(url, pragmas=SQLITE_PRAGMAS, lock_type="IMMEDIATE")
    if url.startswith(("postgresql://", "postgres://")):
        # Pooled: a new PostgreSQL connection costs about 5 ms, more than a whole page, and
        # each request would otherwise open one. A sync worker keeps one connection; idle
        # ones are renewed after five minutes; a request finding all 32 in use waits for one.
        scheme, rest = url.split("://", 1)
        return connect(f"{scheme}+pool://{rest}", max_connections=32, stale_timeout=300,
                       timeout=10)
    return connect(url)


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


class BaseModel(Model):
    class Meta:
        database = db
        legacy_table_names = False

    @classmethod
    def locked(cls, row_id):
        """The row re-read inside a `locking_transaction()`, locked until it ends."""
        return for_update(cls.select().where(cls._meta.primary_key == row_id)).get()
