"""Times were kept as naive Kyiv wall time, which repeats an hour every October; they are
kept in UTC now (models.base.MomentField). Every timestamp column of the portal's tables is
converted. A wall time that names two instants (the hour repeated in October) or none (the
hour skipped in March) is read as winter time (+02:00), as PostgreSQL reads it, on both
databases. Dates (a day, a month) stay as they are: they are Kyiv's calendar days."""
from datetime import datetime
from zoneinfo import ZoneInfo

from peewee import PostgresqlDatabase

KYIV = ZoneInfo("Europe/Kyiv")
UTC = ZoneInfo("UTC")
MIGRATIONS_TABLE = "schema_migration"  # the runner's own history, not the portal's data
BATCH = 5000


def _timestamp_columns(db):
    if isinstance(db, PostgresqlDatabase):  # tables and partitioned parents, not partitions
        yield from db.execute_sql(
            "SELECT c.relname, a.attname FROM pg_attribute a "
            "JOIN pg_class c ON c.oid = a.attrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') "
            "AND NOT c.relispartition AND a.attnum > 0 AND NOT a.attisdropped "
            "AND a.atttypid = 'timestamp'::regtype AND c.relname <> %s",
            (MIGRATIONS_TABLE,)).fetchall()
        return
    for table in db.get_tables():
        if table == MIGRATIONS_TABLE:
            continue
        for column in db.get_columns(table):
            if column.data_type.lower() in ("datetime", "timestamp without time zone"):
                yield table, column.name


def _to_utc(text):
    """SQLite keeps a timestamp as text ('2026-10-25 03:30:00[.123456]')."""
    wall = datetime.fromisoformat(text)
    moment = min((wall.replace(tzinfo=KYIV, fold=fold) for fold in (0, 1)),
                 key=lambda candidate: candidate.utcoffset())  # in doubt, winter time
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ")


def up(migrator, db):
    for table, column in _timestamp_columns(db):
        if isinstance(db, PostgresqlDatabase):  # in one statement
            db.execute_sql(f'UPDATE "{table}" SET "{column}" = '
                           f"(\"{column}\" AT TIME ZONE 'Europe/Kyiv') AT TIME ZONE 'UTC' "
                           f'WHERE "{column}" IS NOT NULL')
            continue
        # SQLite knows no time zones: row by row (by rowid: a value converted must not be
        # matched again as another row's old value), in batches.
        rows = db.execute_sql(
            f'SELECT rowid, "{column}" FROM "{table}" WHERE "{column}" IS NOT NULL').fetchall()
        for start in range(0, len(rows), BATCH):
            db.cursor().executemany(
                f'UPDATE "{table}" SET "{column}" = ? WHERE rowid = ?',
                [(_to_utc(value), rowid) for rowid, value in rows[start:start + BATCH]])
