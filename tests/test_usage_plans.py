"""The pages' usage queries stay on the keys of the month's partitions (issue 26 item 3):
the queries the dashboard, a month's report and its CSV really run are captured and their
plans read (EXPLAIN, no clock: what the planner chooses, not how fast it runs). PostgreSQL
only: SQLite has no partitions.

The planner picks a sequential scan for a table of a few rows, whatever the indexes, so
the test gives the partitions the shape of real ones first: 1,000 subscriptions with 20
records each a month over three months (60,000 records and their days' totals), then
ANALYZE. No planner setting is changed."""
import logging
import re

import pytest

import models
from tests.helpers import PG_URL

OTHERS = 1_000
MONTHS = ("2026-09-01", "2026-10-01", "2026-11-01")  # the clock stands at 2026-11-25
PER_MONTH = 20
SUBSCRIPTIONS_AT_SCALE = 50_000


def copy_subscription(subscriber, count, prefix):
    """`count` subscriptions like `subscriber`'s in another cabinet, numbered from `prefix`."""
    fields = [f.column_name for f in models.Subscription._meta.sorted_fields
              if f.column_name not in ("id", "number", "profile_id")]
    columns = ", ".join(f'"{column}"' for column in fields)
    other = models.Profile.create(name="Інші", created_at=subscriber.profile.created_at)
    models.db.execute_sql(
        f"INSERT INTO subscription (number, profile_id, {columns}) SELECT %s || "
        f"(1000000 + g), %s, {columns} FROM subscription, generate_series(1, %s) g "
        "WHERE id = %s", (prefix, other.id, count, subscriber.id))


def fill(subscriber):
    """OTHERS subscriptions like `subscriber`'s in another cabinet, PER_MONTH records each a
    month for every one of them, in time order (as the billing appends them), the days'
    totals summed from them, statistics gathered."""
    copy_subscription(subscriber, OTHERS, "+38068")
    for month in MONTHS:
        # Record n of the month: subscriber n % (OTHERS + 1) among them, n minutes in.
        models.db.execute_sql(
            "INSERT INTO usage_record (subscription_id, started_at, type, counterpart, "
            "quantity, amount, bonus_amount) SELECT s.id, %s::timestamp + n * interval "
            "'1 minute', (ARRAY['call_out', 'sms_out', 'internet', 'call_in'])[n %% 4 + 1], "
            "'+380501234567', 60, n %% 300, 0 FROM generate_series(0, %s) n "
            "JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS k FROM subscription) s "
            "ON s.k = n %% %s ORDER BY n",
            (month, (OTHERS + 1) * PER_MONTH - 1, OTHERS + 1))
    models.db.execute_sql(
        "INSERT INTO usage_day (subscription_id, day, type, records, amount, bonus_amount) "
        "SELECT subscription_id, ((started_at AT TIME ZONE 'UTC') AT TIME ZONE 'Europe/Kyiv')"
        "::date, type, count(*), sum(amount), sum(bonus_amount) FROM usage_record "
        "GROUP BY 1, 2, 3")  # Kyiv's days of the times kept in UTC
    for table in ("subscription", "usage_record", "usage_day"):
        models.db.execute_sql(f"ANALYZE {table}")


def queries_of(client, path, reading):
    """The SQL and parameters of every query reading table `reading` that GET `path` ran."""
    found = []

    class Capture(logging.Handler):
        def emit(self, record):
            if isinstance(record.msg, tuple) and f'"{reading}' in record.msg[0]:
                found.append(record.msg)

    logger, handler = logging.getLogger("peewee"), Capture()
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        response = client.get(path)
        assert response.status_code == 200
        response.get_data()  # a streamed CSV runs its queries as it is read
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    return found


def plan(sql, params):
    return "\n".join(row[0] for row in models.db.execute_sql("EXPLAIN " + sql, params))


def partitions_read(text):
    """The usage partitions a plan scans (by table or index)."""
    return set(re.findall(r" on (usage_(?:record|day)_(?:\d{4}_\d{2}|default))\b", text))


# (page, the months its usage queries may read, the tables they read): the dashboard sums
# this month's and the last one's days; the report pages the records and sums the days; the
# CSV streams the records.
PAGES = [("/", {"2026_10", "2026_11"}, {"usage_day"}),
         ("/expenses?month=2026-10", {"2026_10"}, {"usage_record", "usage_day"}),
         ("/expenses.csv?month=2026-10", {"2026_10"}, {"usage_record"})]


@pytest.mark.skipif(not PG_URL, reason="partitions are PostgreSQL's: SQLite keeps each usage "
                                        "table whole")
@pytest.mark.parametrize("path, months, tables", PAGES,
                         ids=["dashboard", "month report", "month CSV"])
def test_the_pages_read_only_their_months_partitions_by_their_keys(app, db, signed_in, client,
                                                                   path, months, tables):
    fill(signed_in)
    db.close()  # the requests take their own connection from the pool
    queries = queries_of(client, path, "usage_")
    db.connect(reuse_if_open=True)
    assert queries, f"{path} ran no usage query"
    seen = set()
    for sql, params in queries:
        text = plan(sql, params)
        assert "Seq Scan" not in text, text
        read = partitions_read(text)
        assert read and {name.rsplit("_", 2)[0] for name in read} <= {"usage_record",
                                                                      "usage_day"}, text
        assert {name.split("_", 2)[2] for name in read} <= months, text  # pruned, no default
        seen |= {name.rsplit("_", 2)[0] for name in read}
    assert seen == tables


@pytest.mark.skipif(not PG_URL, reason="the plan of PostgreSQL is read")
def test_the_cabinets_numbers_are_found_by_their_keys(app, db, signed_in, client):
    """Every signed-in page reads the cabinet's numbers (the switcher): by the subscription
    table's keys, not a read of the whole table (46 ms a page at 100,000 subscribers,
    docs/scale-run.md, before Subscription.in_cabinet was one IN over two indexed lists)."""
    fill(signed_in)
    # At 1,000 subscriptions a whole read of the table costs about what nine key lookups do,
    # and the planner's pick between them wavered from run to run; at the 50,000 of a small
    # operator's region it is twenty times dearer, as at scale, so the plan is the one that
    # matters and stays put.
    copy_subscription(signed_in, SUBSCRIPTIONS_AT_SCALE, "+38067")
    models.db.execute_sql("ANALYZE subscription")
    db.close()
    queries = queries_of(client, "/", "subscription")
    db.connect(reuse_if_open=True)
    assert queries
    for sql, params in queries:
        assert "Seq Scan on subscription" not in plan(sql, params), plan(sql, params)
