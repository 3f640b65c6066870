"""Usage and charge records: what each number spent and what was paid in, record by record."""
from datetime import date, datetime

from typing import NamedTuple

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


class ReportRecord(NamedTuple):
    """One line of a report."""
    started_at: datetime
    type: str
    counterpart: str
    quantity: int
    amount: int  # kopiyky: charged positive, credited negative
    id: int


class Report:
    """What a report reads: one subscription's usage records of a period whose type is one
    of `types`. Whatever changes a balance in the portal writes a UsageRecord too (see
    portal/requests.py `charge`), so the report needs no other source."""

    def __init__(self, subscription, period, types):
        self.subscription, self.period, self.types = subscription, period, list(types)

    def _select(self, *columns):
        return UsageRecord.select(*columns).where(
            (UsageRecord.subscription == self.subscription)
            & (UsageRecord.started_at >= self.period.since)
            & (UsageRecord.started_at < self.period.until) & UsageRecord.type.in_(self.types))

    def totals_by_day_and_type(self):
        """(day, type, count, amount) rows for rules.expenses.summarize."""
        c = UsageRecord
        day = fn.date(c.started_at).coerce(False) if is_sqlite() else c.started_at.cast("date")
        query = self._select(day, c.type, fn.COUNT(c.id), fn.SUM(c.amount)).group_by(
            day, c.type)
        return [(_as_date(d), t, count, int(total)) for d, t, count, total in query.tuples()]

    def page(self, after=None, size=50):
        """Up to `size` records after the cursor (started_at, id), in that order: keyset
        paging, as quick on the last page of a big month as on the first (OFFSET is not)."""
        c = UsageRecord
        query = self._select(c.started_at, c.type, c.counterpart, c.quantity, c.amount, c.id)
        if after is not None:
            started_at, record_id = after
            query = query.where((c.started_at > started_at)
                                | ((c.started_at == started_at) & (c.id > record_id)))
        query = query.order_by(c.started_at, c.id).limit(size)
        return [ReportRecord(*row) for row in query.tuples()]

    def stream(self, batch=2000):
        """Every record in order, a batch at a time: memory stays flat on any database (a
        PostgreSQL client cursor would otherwise hold all rows at once)."""
        after = None
        while True:
            records = self.page(after, batch)
            yield from records
            if len(records) < batch:
                return
            after = (records[-1].started_at, records[-1].id)


def _as_date(value):
    """SQLite answers the day as text, PostgreSQL as a date."""
    if isinstance(value, str):
        return date.fromisoformat(value)
    return value.date() if isinstance(value, datetime) else value
