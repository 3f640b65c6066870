"""The one database of the portal, chosen by URL at start-up."""
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


def open_database(url, root):
    """A peewee Database for `url`; a relative SQLite path is taken from `root`."""
    if url.startswith("sqlite:///") and not url.startswith("sqlite:////"):
        path = Path(root) / url[len("sqlite:///"):]
        path.parent.mkdir(parents=True, exist_ok=True)
        url = "sqlite:///" + str(path)
    if url.startswith("sqlite:"):
        return connect(url, pragmas=SQLITE_PRAGMAS)
    if url.startswith(("postgresql://", "postgres://")):
        # Pooled: a new PostgreSQL connection costs about 5 ms, more than a whole page, and
        # each request would otherwise open one. A sync worker keeps one connection; idle
        # ones are renewed after five minutes.
        scheme, rest = url.split("://", 1)
        return connect(f"{scheme}+pool://{rest}", max_connections=32, stale_timeout=300)
    return connect(url)


def is_sqlite():
    return isinstance(db.obj, SqliteDatabase)


def locking_transaction():
    """A transaction that takes the write lock at once on SQLite (BEGIN IMMEDIATE), so a
    read-check-write of a balance cannot interleave; on PostgreSQL, lock rows with
    `.for_update()` inside it."""
    return db.atomic("IMMEDIATE") if is_sqlite() else db.atomic()


class BaseModel(Model):
    class Meta:
        database = db
        legacy_table_names = False
