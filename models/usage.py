"""Usage and charge records: what each number spent and what was paid in, record by record."""
from datetime import date, datetime

from peewee import BigIntegerField, CharField, DateTimeField, ForeignKeyField, fn

from .base import BaseModel, db, is_sqlite
from .subscribers import Subscription


class UsageRecord(BaseModel):
    """One call, SMS, internet session, fee, top-up or transfer of a subscription. The
    operator's usage feed appends them; the amount is as billed (charged positive,
    credited negative), the balance itself is the billing's and is not recomputed here."""

    subscription = ForeignKeyField(Subscription, backref="usage_records", on_delete="CASCADE")
    started_at = DateTimeField()  # naive Kyiv time, to the microsecond
    type = CharField(max_length=16)
    counterpart = CharField(max_length=64, default="")
    quantity = BigIntegerField(default=0)  # seconds, kilobytes or a count (rules.expenses)
    amount = BigIntegerField()  # kopiyky

    class Meta:
        # Every report reads one subscription's records in (started_at, id) order between
        # two moments: this index answers it, keyset paging included, without a sort.
        indexes = ((("subscription", "started_at", "id"), False),)

    COLUMNS = ("subscription", "started_at", "type", "counterpart", "quantity", "amount")

    @classmethod
    def insert_rows(cls, rows):
        """Append rows of COLUMNS values, fast: one prepared statement run for every row
        (peewee's insert_many spends most of its time building the SQL text)."""
        columns = ", ".join(cls._meta.fields[name].column_name for name in cls.COLUMNS)
        sql = f"INSERT INTO {cls._meta.table_name} ({columns}) VALUES "
        cursor = db.cursor()
        if is_sqlite():
            cursor.executemany(sql + "(?, ?, ?, ?, ?, ?)", rows)
        else:
            from psycopg2.extras import execute_values
            execute_values(cursor, sql + "%s", rows, page_size=1000)

    @classmethod
    def day(cls):
        """The calendar day of `started_at` as an SQL expression."""
        if is_sqlite():
            return fn.date(cls.started_at).coerce(False)
        return cls.started_at.cast("date")

    @classmethod
    def selection(cls, subscription, period, types):
        """The records of `subscription` in `period` whose type is one of `types`."""
        return cls.select().where(
            (cls.subscription == subscription) & (cls.started_at >= period.since)
            & (cls.started_at < period.until) & cls.type.in_(types))

    @classmethod
    def totals_by_day_and_type(cls, subscription, period, types):
        """(day, type, count, amount) rows for rules.expenses.summarize."""
        day = cls.day()
        query = (cls.selection(subscription, period, types)
                 .select(day.alias("day"), cls.type, fn.COUNT(cls.id), fn.SUM(cls.amount))
                 .group_by(day, cls.type).tuples())
        return [(_as_date(d), t, count, int(total)) for d, t, count, total in query]

    @classmethod
    def _after(cls, query, after):
        """Keyset paging: the records after (started_at, id), in that order."""
        if after is not None:
            started_at, record_id = after
            query = query.where((cls.started_at > started_at)
                                | ((cls.started_at == started_at) & (cls.id > record_id)))
        return query.order_by(cls.started_at, cls.id)

    @classmethod
    def page(cls, subscription, period, types, after=None, size=50):
        """Up to `size` records after the cursor (started_at, id): as fast on the last page
        of a big month as on the first, which OFFSET is not."""
        return list(cls._after(cls.selection(subscription, period, types), after).limit(size))

    @classmethod
    def stream(cls, subscription, period, types, batch=2000):
        """Every selected record as a tuple (started_at, type, counterpart, quantity,
        amount), fetched a batch at a time: memory stays flat on any database (a
        PostgreSQL client cursor would otherwise hold every row at once)."""
        query = cls.selection(subscription, period, types).select(
            cls.started_at, cls.type, cls.counterpart, cls.quantity, cls.amount, cls.id)
        after = None
        while True:
            rows = list(cls._after(query, after).limit(batch).tuples())
            for row in rows:
                yield row[:5]
            if len(rows) < batch:
                return
            after = (rows[-1][0], rows[-1][5])

def _as_date(value):
    """SQLite answers the day as text, PostgreSQL as a date."""
    if isinstance(value, str):
        return date.fromisoformat(value)
    return value.date() if isinstance(value, datetime) else value
