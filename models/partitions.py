"""Monthly partitions of the usage tables on PostgreSQL; on SQLite each stays one table.

At an operator's scale the usage records are most of the database: a billion rows a month.
In one table for ever, vacuum and index upkeep would grow with all of it, and letting an
old month go would be a DELETE of a billion rows. Partitioned by month (PostgreSQL's
declarative partitioning, RANGE on the record's moment and on the day's date), each month
is a table with its own index, a report reads only its month's partition (the planner
prunes the others), and a month past the retention is detached in a moment and archived by
the operator.

The layout (`create_table`):
- `usage_record` PARTITION BY RANGE (started_at), primary key (subscription_id,
  started_at, id): a partitioned table's unique keys must hold the partition key, and this
  key is also the index every report reads, so the table keeps one index, not two.
- `usage_day` PARTITION BY RANGE (day), primary key (subscription_id, day, type) as the
  model has it: the days' totals' upsert (ON CONFLICT) names it, and it holds `day`.
- a partition a month, `<table>_YYYY_MM`: Kyiv's month, so a month's report reads one
  partition (for `usage_record` the bounds are the instants Kyiv's months begin, kept in
  UTC like every time: 2026-10-31 22:00 to 2026-11-30 22:00 for November), made ahead by
  init-db and by `usage-partitions` (a daily timer), and a DEFAULT partition,
  `<table>_default`.

Why a DEFAULT partition rather than partitions made on demand by the import: an import
must never fail for a record's month (the billing may send a record older than any
partition), and making a partition takes an ACCESS EXCLUSIVE lock on the parent table:
taken inside an import's transaction, which lasts minutes, it would stop every page that
reads usage until the import commits. The default partition takes such rows at once, and
`usage-partitions` moves them into their month's partition later, in a short transaction
of its own with a lock timeout. While it is empty it costs a query nothing: the planner
prunes it whenever the months asked for have partitions (the EXPLAIN tests hold it)."""
import re
from datetime import date, datetime
from typing import NamedTuple

from peewee import CompositeKey, OperationalError

from rules.dates import add_months, day_start, local_day
from .base import MomentField, as_stored, db, read_moment
from .usage import UsageDay, UsageRecord

# Each partitioned model: (its partition key, its primary key's columns on PostgreSQL).
PARTITIONED = {
    UsageRecord: ("started_at", ("subscription_id", "started_at", "id")),
    UsageDay: ("day", ("subscription_id", "day", "type")),
}
AHEAD = 3  # months made ahead of the current one: a missed daily run or two costs nothing
RETENTION = 36  # months kept attached: the subscriber guide's reports go back three years
# How long a partition's DDL waits for its lock (an import holds the table for minutes):
# past it the step is left for the next run, never queued in front of the readers.
LOCK_TIMEOUT = "3s"


class Busy(RuntimeError):
    """A partition's DDL could not take its lock within LOCK_TIMEOUT."""


def months(first, last):
    """The first days of the months from `first`'s to `last`'s (dates, or instants: their
    Kyiv months), both included."""
    first, last = (local_day(value) if isinstance(value, datetime) else value
                   for value in (first, last))
    month, last, found = date(first.year, first.month, 1), date(last.year, last.month, 1), []
    while month <= last:
        found.append(month)
        month = add_months(month, 1)
    return found


def partition_name(model, month):
    return f"{model._meta.table_name}_{month:%Y_%m}"


def default_name(model):
    return f"{model._meta.table_name}_default"


def window(today, retention=RETENTION, ahead=AHEAD):
    """The months a new database gets partitions for: the retention's and `ahead` more."""
    this = today.replace(day=1)
    return months(add_months(this, -retention), add_months(this, ahead))


def is_partitioned(model):
    """PostgreSQL: the model's table exists and is partitioned."""
    row = db.execute_sql("SELECT relkind FROM pg_class WHERE oid = to_regclass(%s)",
                         (model._meta.table_name,)).fetchone()
    return row is not None and row[0] == "p"


def partitions(model):
    """{first day of the month: partition name} of the monthly partitions attached."""
    rows = db.execute_sql(
        "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i "
        "JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = to_regclass(%s)",
        (model._meta.table_name,)).fetchall()
    found = {}
    for name, bound in rows:
        start = re.match(r"FOR VALUES FROM \('([^']+)'\)", bound)
        if start:
            found[_month_of_edge(model, start.group(1))] = name
    return found


def _moment_keyed(model):
    return isinstance(model._meta.fields[PARTITIONED[model][0]], MomentField)


def _edge(model, month):
    """Where `month` begins in the partition key's terms: Kyiv's midnight of its first day
    as UTC for a moment ('2026-10-31 22:00:00'), the day itself for a date."""
    if _moment_keyed(model):
        return as_stored(day_start(month)).isoformat(sep=" ")
    return month.isoformat()


def _month_of_edge(model, text):
    if _moment_keyed(model):
        return local_day(read_moment(text))
    return date.fromisoformat(text[:10])


def _parent_sql(model):
    """CREATE TABLE of the partitioned parent: peewee's own statement for the model, with
    the primary key PARTITIONED names (a single-column key moved into a table constraint)
    and the PARTITION BY clause."""
    key, primary = PARTITIONED[model]
    sql, params = db.get_sql_context().sql(model._schema._create_table(safe=False)).query()
    wanted = "PRIMARY KEY (" + ", ".join(f'"{column}"' for column in primary) + ")"
    if not isinstance(model._meta.primary_key, CompositeKey):
        assert sql.count(" NOT NULL PRIMARY KEY,") == 1, sql
        sql = sql.replace(" NOT NULL PRIMARY KEY,", " NOT NULL,")[:-1] + f", {wanted})"
    assert wanted in sql, sql
    return sql + f' PARTITION BY RANGE ("{key}")', params


def create_table(model, new_months):
    """Create the model's partitioned table, its default partition, a partition for each
    of `new_months` and the model's indexes other than the primary key's."""
    table, (_, primary) = model._meta.table_name, PARTITIONED[model]
    db.execute_sql(*_parent_sql(model))
    db.execute_sql(f'CREATE TABLE "{default_name(model)}" PARTITION OF "{table}" DEFAULT')
    for month in new_months:
        _create_partition(model, month)
    for index in model._meta.fields_to_index():
        if tuple(part.column_name for part in index._expressions) != primary:
            db.execute_sql(*db.get_sql_context().sql(model._schema._create_index(index))
                           .query())


def _bounds(model, month):
    return f"FROM ('{_edge(model, month)}') TO ('{_edge(model, add_months(month, 1))}')"


def _create_partition(model, month):
    db.execute_sql(f'CREATE TABLE "{partition_name(model, month)}" PARTITION OF '
                   f'"{model._meta.table_name}" FOR VALUES {_bounds(model, month)}')


def _in_month(model, month):
    key = PARTITIONED[model][0]
    return (f'"{key}" >= \'{_edge(model, month)}\' AND '
            f'"{key}" < \'{_edge(model, add_months(month, 1))}\'')


def _locked_step(step):
    """Run one DDL step in a transaction of its own that waits at most LOCK_TIMEOUT for
    its locks (Busy past it); inside a transaction already open, as part of it."""
    try:
        with db.atomic():
            db.execute_sql(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
            return step()
    except OperationalError as error:
        if "lock timeout" in str(error):
            raise Busy(str(error).strip()) from error
        raise


def add_month(model, month):
    """Give `month` its partition: made empty, or, when the default partition holds rows of
    that month, made of them (moved out of the default partition, then attached). Returns
    the rows moved. A detached partition of that month awaiting its archive keeps the name:
    then nothing is done and None returned."""
    table, name, default = model._meta.table_name, partition_name(model, month), \
        default_name(model)
    if db.execute_sql("SELECT to_regclass(%s)", (name,)).fetchone()[0] is not None:
        return None

    def step():
        waiting = db.execute_sql(
            f'SELECT 1 FROM "{default}" WHERE {_in_month(model, month)} LIMIT 1').fetchone()
        if not waiting:
            _create_partition(model, month)
            return 0
        db.execute_sql(f'CREATE TABLE "{name}" (LIKE "{table}" INCLUDING DEFAULTS)')
        moved = db.execute_sql(
            f'WITH moved AS (DELETE FROM "{default}" WHERE {_in_month(model, month)} '
            f'RETURNING *) INSERT INTO "{name}" SELECT * FROM moved').rowcount
        db.execute_sql(f'ALTER TABLE "{table}" ATTACH PARTITION "{name}" FOR VALUES '
                       f'{_bounds(model, month)}')
        return moved

    return _locked_step(step)


def months_in_default(model):
    key = f'"{PARTITIONED[model][0]}"'
    if _moment_keyed(model):  # kept in UTC: Kyiv's month
        key = f"({key} AT TIME ZONE 'UTC') AT TIME ZONE 'Europe/Kyiv'"
    return [month for (month,) in db.execute_sql(
        f"SELECT DISTINCT date_trunc('month', {key})::date FROM \"{default_name(model)}\" "
        "ORDER BY 1").fetchall()]


def ensure(new_months):
    """Partitions for `new_months` of every partitioned table (those that exist already are
    left alone): [(partition name, rows moved from the default partition)]."""
    made = []
    for model in PARTITIONED:
        have = partitions(model)
        for month in new_months:
            if month not in have:
                moved = add_month(model, month)
                if moved is not None:
                    made.append((partition_name(model, month), moved))
    return made


class Maintenance(NamedTuple):
    made: list  # (partition name, rows moved into it from the default partition)
    detached: list  # names of the partitions detached: tables now, for the archive
    waiting: list  # (default partition, month) whose name a detached table still holds


def maintain(today, ahead=AHEAD, retention=RETENTION):
    """The daily job (`usage-partitions`): the months found in the default partitions get
    partitions of their own, the months up to `ahead` after today's are made, and those
    that ended more than `retention` months before today's month began are detached (not
    dropped: the operator archives and drops them; retention None keeps every month)."""
    this = today.replace(day=1)
    made, detached, waiting = [], [], []
    for model in PARTITIONED:
        for month in months_in_default(model):
            moved = add_month(model, month)
            if moved is None:
                waiting.append((default_name(model), month))
            else:
                made.append((partition_name(model, month), moved))
    # From the month after the last partition, should runs have been missed for months.
    last = max(partitions(UsageRecord), default=this)
    made += ensure(months(min(this, add_months(last, 1)), add_months(this, ahead)))
    if retention is not None:
        cutoff = add_months(this, -retention)
        for model in PARTITIONED:
            for month, name in sorted(partitions(model).items()):
                if month < cutoff:
                    _locked_step(lambda name=name, model=model: db.execute_sql(
                        f'ALTER TABLE "{model._meta.table_name}" DETACH PARTITION "{name}"'))
                    detached.append(name)
    return Maintenance(made, detached, waiting)


def convert(model):
    """An existing plain table made partitioned with its rows (migration 0015), inside the
    caller's transaction: set aside under another name (its indexes and id sequence too,
    their names being the schema's), the partitioned table made with a partition for every
    month from its first row's to its last's, the rows copied, the id sequence carried on,
    the old table dropped."""
    table, (key, _) = model._meta.table_name, PARTITIONED[model]
    old = f"{table}_unpartitioned"
    db.execute_sql(f'ALTER TABLE "{table}" RENAME TO "{old}"')
    for (index,) in db.execute_sql(
            "SELECT i.relname FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
            "WHERE x.indrelid = to_regclass(%s)", (old,)).fetchall():
        db.execute_sql(f'ALTER INDEX "{index}" RENAME TO "{index}_unpartitioned"')
    for (constraint,) in db.execute_sql(
            "SELECT conname FROM pg_constraint WHERE conrelid = to_regclass(%s) "
            "AND contype = 'f'", (old,)).fetchall():
        db.execute_sql(f'ALTER TABLE "{old}" RENAME CONSTRAINT "{constraint}" TO '
                       f'"{constraint}_unpartitioned"')
    serial = None
    if not isinstance(model._meta.primary_key, CompositeKey):
        serial = model._meta.primary_key.column_name
        sequence = db.execute_sql("SELECT pg_get_serial_sequence(%s, %s)",
                                  (old, serial)).fetchone()[0]
        if sequence:
            db.execute_sql(f"ALTER SEQUENCE {sequence} RENAME TO \"{old}_{serial}_seq\"")
    first, last = db.execute_sql(f'SELECT MIN("{key}"), MAX("{key}") FROM "{old}"').fetchone()
    if _moment_keyed(model):  # the driver's UTC without a zone
        first, last = read_moment(first), read_moment(last)
    create_table(model, months(first, last) if first else [])
    columns = ", ".join(f'"{field.column_name}"' for field in model._meta.sorted_fields)
    copied = db.execute_sql(f'INSERT INTO "{table}" ({columns}) SELECT {columns} '
                            f'FROM "{old}"').rowcount
    if serial:
        db.execute_sql(
            f"SELECT setval(pg_get_serial_sequence('\"{table}\"', '{serial}'), "
            f'COALESCE(MAX("{serial}"), 1), MAX("{serial}") IS NOT NULL) FROM "{table}"')
    db.execute_sql(f'DROP TABLE "{old}"')
    return copied
