"""Usage and charge records: what each number spent and what was paid in, record by record."""
from datetime import date, datetime
from typing import NamedTuple

from peewee import (
    SQL,
    BigAutoField,
    BigIntegerField,
    Case,
    CharField,
    CompositeKey,
    DateField,
    ForeignKeyField,
    IntegerField,
    fn,
)

from rules.dates import local_day
from .base import BaseModel, MomentField, db, is_sqlite, prepared_rows, read_moment
from .subscribers import Subscription


class UsageRecord(BaseModel):
    """One call, SMS, internet session, fee, top-up or transfer of a subscription. The
    operator's usage feed appends them; the amount is as billed (charged positive,
    credited negative), the balance itself is the billing's and is not recomputed here.

    On PostgreSQL the table is partitioned by month of `started_at` (models/partitions.py):
    its primary key there is (subscription_id, started_at, id), the index below."""

    # 64 bits: at an operator's billion records a month a 32-bit counter lasts two months.
    id = BigAutoField()
    # No index of its own: the (subscription, started_at, id) index below starts with it.
    subscription = ForeignKeyField(Subscription, backref="usage_records", on_delete="CASCADE",
                                   index=False)
    started_at = MomentField()  # to the microsecond
    type = CharField(max_length=16)
    counterpart = CharField(max_length=64, default="")
    quantity = BigIntegerField(default=0)  # seconds, kilobytes or a count (rules.expenses)
    amount = BigIntegerField()  # kopiyky
    # The part of `amount` the billing took from the number's moved bonuses (kopiyky):
    # checked against the guide and the live bonuses when imported (rules.bonus_spending).
    bonus_amount = BigIntegerField(default=0)

    class Meta:
        # Every report reads one subscription's records in (started_at, id) order between
        # two moments: this index answers it, keyset paging included, without a sort.
        indexes = ((("subscription", "started_at", "id"), False),)

    COLUMNS = ("subscription", "started_at", "type", "counterpart", "quantity", "amount",
               "bonus_amount")

    @classmethod
    def insert_rows(cls, rows):
        """Append rows of COLUMNS values (the last, bonus_amount, may be left out: none),
        and their days' totals, fast: one prepared statement run for every row (peewee's
        insert_many spends most of its time building the SQL text). Call it inside the
        transaction that should hold both."""
        rows = [row if len(row) == len(cls.COLUMNS) else (*row, 0) for row in rows]
        at = cls.COLUMNS.index("started_at")  # written raw: as UTC without a zone, as peewee would
        _insert_many(cls, cls.COLUMNS, [
            (*row[:at], cls.started_at.db_value(row[at]), *row[at + 1:]) for row in rows])
        UsageDay.add(rows)

    @classmethod
    def month_usage(cls, subscription, since, until, types):
        """(type, the counterpart's first six characters, minutes with each call rounded
        up, kilobytes, records) of `subscription`'s records of `types` in [since, until):
        what a tariff's allowances count, a few rows however much was used."""
        prefix = fn.SUBSTR(cls.counterpart, 1, 6)
        query = (cls.select(cls.type, prefix, fn.SUM((cls.quantity + 59) / 60),
                            fn.SUM(cls.quantity), fn.COUNT(cls.id))
                 .where((cls.subscription == subscription) & (cls.started_at >= since)
                        & (cls.started_at < until) & cls.type.in_(list(types)))
                 .group_by(cls.type, prefix))
        return [(usage_type, start or "", int(minutes or 0), int(kilobytes or 0), count)
                for usage_type, start, minutes, kilobytes, count in query.tuples()]

    def save(self, *args, **kwargs):
        """A record written one at a time (`create`) adds to its day's totals too."""
        inserting = self._pk is None or kwargs.get("force_insert")
        saved = super().save(*args, **kwargs)
        if inserting:
            UsageDay.add([(self.subscription_id, self.started_at, self.type, self.counterpart,
                           self.quantity, self.amount, self.bonus_amount or 0)])
        return saved


class UsageDay(BaseModel):
    """One subscription's usage records of one day and type, counted and summed: what the
    dashboard's spending and a report's totals read, so neither adds up every record of a
    month on each view. UsageRecord keeps it, in the transaction that appends the records
    (records are only ever appended). On PostgreSQL it is partitioned by month of `day`,
    as the records are."""

    # No index of its own: the primary key starts with it.
    subscription = ForeignKeyField(Subscription, backref="usage_days", on_delete="CASCADE",
                                   index=False)
    day = DateField()
    type = CharField(max_length=16)
    records = IntegerField()
    amount = BigIntegerField()  # kopiyky, as UsageRecord.amount
    # kopiyky of it paid from moved bonuses; a default in the table too, for migration
    # 0001, which adds up records kept before there were days' totals
    bonus_amount = BigIntegerField(default=0, constraints=[SQL("DEFAULT 0")])

    class Meta:
        primary_key = CompositeKey("subscription", "day", "type")

    @classmethod
    def amount_of(cls, subscription, usage_types, start, end):
        """What `subscription`'s records of `usage_types` sum to from day `start` to the day
        before `end` (kopiyky)."""
        return int(cls.select(fn.COALESCE(fn.SUM(cls.amount), 0)).where(
            (cls.subscription == subscription) & cls.type.in_(usage_types)
            & (cls.day >= start) & (cls.day < end)).scalar())

    @classmethod
    def bonus_spent(cls, subscription, start, end):
        """What moved bonuses paid for `subscription`'s usage from day `start` to the day
        before `end` (kopiyky)."""
        return int(cls.select(fn.COALESCE(fn.SUM(cls.bonus_amount), 0)).where(
            (cls.subscription == subscription) & (cls.day >= start) & (cls.day < end)).scalar())

    @classmethod
    def last_days_of(cls, subscription_ids, types):
        """{subscription id: the last day it has records of `types`} (none: not there), for
        many subscriptions in one query."""
        query = (cls.select(cls.subscription, fn.MAX(cls.day))
                 .where(cls.subscription.in_(list(subscription_ids)) & cls.type.in_(types))
                 .group_by(cls.subscription))
        return {subscription_id: _as_date(day) for subscription_id, day in query.tuples()}

    @classmethod
    def add(cls, rows):
        """Add usage rows (UsageRecord.COLUMNS values) to their days' totals: summed here
        first, so each (subscription, day, type) is one upsert."""
        totals = _day_totals((subscription_id, started_at, usage_type, amount, bonus)
                             for subscription_id, started_at, usage_type, _, _, amount, bonus
                             in rows)
        table = cls._meta.table_name
        _insert_many(cls, ("subscription", "day", "type", "records", "amount", "bonus_amount"),
                     [(*key, *sums) for key, sums in totals.items()],
                     f" ON CONFLICT (subscription_id, day, type) DO UPDATE SET "
                     f"records = {table}.records + excluded.records, "
                     f"amount = {table}.amount + excluded.amount, "
                     f"bonus_amount = {table}.bonus_amount + excluded.bonus_amount")


    @classmethod
    def recount(cls):
        """{(subscription id, day, type): (records, amount, bonus amount)} added up from the
        records themselves: what the table must hold (the test suite checks it after every
        test)."""
        r = UsageRecord
        # Kyiv's days, which SQLite cannot compute from UTC: added up here, record by record.
        return _day_totals(r.select(r.subscription, r.started_at, r.type, r.amount,
                                    r.bonus_amount).tuples())


def _day_totals(rows):
    """{(subscription id, Kyiv day, type): (records, amount, bonus amount)} of usage rows
    (subscription id, started_at, type, amount, bonus amount): what UsageDay holds."""
    totals = {}
    for subscription_id, started_at, usage_type, amount, bonus in rows:
        day = local_day(started_at) if isinstance(started_at, datetime) else started_at
        key = (subscription_id, day, usage_type)
        records, total, bonuses = totals.get(key, (0, 0, 0))
        totals[key] = (records + 1, total + amount, bonuses + bonus)
    return totals


def _insert_many(model, names, rows, suffix=""):
    """INSERT the rows (values of the fields `names`) with one prepared statement."""
    if not rows:
        return
    columns = ", ".join(model._meta.fields[name].column_name for name in names)
    sql = f"INSERT INTO {model._meta.table_name} ({columns}) VALUES "
    cursor = db.cursor()
    if is_sqlite():
        cursor.executemany(sql + "(" + ", ".join("?" * len(names)) + ")" + suffix, rows)
    else:
        from psycopg2.extras import execute_values
        execute_values(cursor, sql + "%s" + suffix, rows, page_size=1000)


class ReportRecord(NamedTuple):
    """One line of a report."""
    started_at: datetime
    type: str
    counterpart: str
    quantity: int
    amount: int  # kopiyky: charged positive, credited negative
    id: int
    bonus_amount: int = 0  # kopiyky of `amount` paid from moved bonuses


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

    def _record_params(self):
        """The parameters of `_select`'s conditions, in their order (PreparedSQL)."""
        return (self.subscription.id, self.period.since, self.period.until, *self.types)

    def _in_days(self, query):
        """`query` (of UsageDay, the days' totals) kept to the period's days and types."""
        d = UsageDay
        return query.where((d.subscription == self.subscription)
                           & d.day.between(self.period.start, self.period.end)
                           & d.type.in_(self.types))

    def _day_params(self):
        """The parameters of `_in_days`' conditions, in their order (PreparedSQL)."""
        return (self.subscription.id, self.period.start, self.period.end, *self.types)

    def totals_by_day_and_type(self):
        """(day, type, count, amount, bonus amount) rows for rules.expenses.summarize, from
        the days' totals: a month is at most a few hundred rows however much was used. The
        SQL is compiled once per number of types, the query not even built again (every
        report runs it)."""
        d = UsageDay
        rows = prepared_rows(f"usage_day.totals.{len(self.types)}", lambda: self._in_days(
            d.select(d.day, d.type, d.records, d.amount, d.bonus_amount)), *self._day_params())
        return [(_as_date(day), t, records, int(amount), int(bonus))
                for day, t, records, amount, bonus in rows]

    def amounts_in(self, periods):
        """The amount of each of `periods` (Periods of days within the report's own), all
        summed in one row by the database: the dashboard's four figures, not a row a day
        to add up here."""
        d = UsageDay

        def build():  # only until the SQL is compiled
            return self._in_days(d.select(*[
                fn.SUM(Case(None, [(d.day.between(period.start, period.end), d.amount)]))
                for period in periods]))
        bounds = [day for period in periods for day in (period.start, period.end)]
        row, = prepared_rows(f"usage_day.sums.{len(periods)}.{len(self.types)}", build,
                             *bounds, *self._day_params())
        return [int(amount or 0) for amount in row]  # NULL: no record in that period

    def page(self, after=None, size=50):
        """Up to `size` records after the cursor (started_at, id), in that order: keyset
        paging, as quick on the last page of a big month as on the first (OFFSET is not)."""
        c = UsageRecord
        params = self._record_params()
        if after is not None:
            started_at, record_id = after
            params += (started_at, started_at, record_id)

        def build():
            query = self._select(c.started_at, c.type, c.counterpart, c.quantity, c.amount,
                                 c.id, c.bonus_amount)
            if after is not None:
                query = query.where((c.started_at > started_at)
                                    | ((c.started_at == started_at) & (c.id > record_id)))
            return query.order_by(c.started_at, c.id).limit(size)
        rows = prepared_rows(f"usage_record.page.{len(self.types)}.{after is not None}",
                             build, *params, size)
        return [ReportRecord(read_moment(started_at), *rest) for started_at, *rest in rows]

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
    return local_day(value) if isinstance(value, datetime) else value
