"""The usage tables at an operator's scale (issue 26 item 3): on PostgreSQL usage_record and
usage_day are partitioned by month (models/partitions.py); init-db makes the partitions,
`usage-partitions` makes them ahead, moves what the default partitions caught and detaches
the months past the retention, migration 0015 converts a table that was not partitioned,
and imports go on as before. SQLite keeps each table whole (migration 0015 only drops two
redundant indexes there). The plans of the pages' usage queries: tests/test_usage_plans.py.

Each PostgreSQL test here that changes the partitions runs on a database of its own, made
empty and given init-db, so the suite's shared database keeps init-db's layout."""
from contextlib import contextmanager
from datetime import date, datetime

import pytest

import models
from models import UsageDay, UsageRecord, partitions
from models.schema import differences
from portal import create_app
from portal.core.clock import ManualClock
from tests.conftest import app_settings
from tests.helpers import (
    PG_URL,
    START,
    before_migration,
    new_postgresql_database,
    run_import,
    upgrade,
)

pg_only = pytest.mark.skipif(not PG_URL, reason="partitions are PostgreSQL's: on SQLite the "
                                                "usage tables stay whole (the PostgreSQL run "
                                                "tests them)")
USAGE = "number,started_at,type,counterpart,quantity,amount\n"


@pytest.fixture
def own_app(template_cache):
    """An app on an empty PostgreSQL database of the test's own, after init-db, its clock
    at START (2026-11-25)."""
    with new_postgresql_database("portal_parts") as url:
        app = create_app(app_settings(url, ManualClock(START), template_cache))
        try:
            result = app.test_cli_runner().invoke(args=["init-db"])
            assert result.exit_code == 0, result.output
            yield app
        finally:
            if hasattr(models.db.obj, "close_all"):
                models.db.obj.close_all()


@contextmanager
def connected(app):
    with app.app_context():
        models.db.connect(reuse_if_open=True)
        yield


def job(app, *args):
    return app.test_cli_runner().invoke(args=["usage-partitions", *args])


def a_subscription():
    profile = models.Profile.create(name="Тест", created_at=START)
    return models.Subscription.create(
        number="+380671234567", kind="mobile", profile=profile, tariff="smart",
        holder_name="Тест", payment="prepaid", customer="individual", status="active",
        balance=10000, activated_on=date(2022, 1, 1))


def rows_in(table):
    return models.db.execute_sql(f'SELECT count(*) FROM "{table}"').fetchone()[0]


def relkind(table):
    return models.db.execute_sql("SELECT relkind, relispartition FROM pg_class "
                                 "WHERE oid = to_regclass(%s)", (table,)).fetchone()


@pg_only
def test_init_db_partitions_the_usage_tables_by_month(own_app):
    with connected(own_app):
        # 36 months back (the retention), the current one and 3 ahead, and the default.
        expected = partitions.months(date(2023, 11, 1), date(2027, 2, 1))
        for model in (UsageRecord, UsageDay):
            table = model._meta.table_name
            assert relkind(table) == ("p", False)
            assert sorted(partitions.partitions(model)) == expected
            assert relkind(f"{table}_default") == ("r", True)
        assert models.db.get_primary_keys("usage_record") == [
            "subscription_id", "started_at", "id"]
        # The key is the reports' index: no second index on the records.
        assert [index.name for index in models.db.get_indexes("usage_record")] == [
            "usage_record_pkey"]
        assert differences(models.all_models()) == []


@pg_only
def test_a_record_outside_the_partitions_is_kept_and_the_job_gives_it_its_month(own_app,
                                                                                 tmp_path):
    """Neither an old record (before any partition) nor one past the last partition fails:
    the default partition takes it, and the daily job moves it to its month's partition."""
    with connected(own_app):
        subscription = a_subscription()
        result = run_import(own_app, tmp_path, "import-usage", USAGE
                            + "0671234567,2019-05-03T10:00:00,call_out,+380501234567,60,1.20\n"
                            "0671234567,2026-11-24T09:00:00,sms_out,+380501234567,1,0.50\n")
        assert result.exit_code == 0, result.output
        # A charge the portal writes once the months ahead have run out (no job for months).
        UsageRecord.insert_rows([(subscription.id, datetime(2027, 6, 2, 8, 0), "service", "",
                                  1, 500, 0)])
        assert rows_in("usage_record_default") == 2 and rows_in("usage_day_default") == 2
        assert rows_in("usage_record_2026_11") == 1

        result = job(own_app, "--date", "2027-06-10", "--detach-older-than", "120")
        assert result.exit_code == 0, result.output
        for made in ("usage_record_2019_05 (1 rows from the default partition)",
                     "usage_day_2019_05 (1 rows from the default partition)",
                     "usage_record_2027_06 (1 rows from the default partition)",
                     "usage_record_2027_09"):
            assert f"made {made}\n" in result.output
        assert rows_in("usage_record_default") == rows_in("usage_day_default") == 0
        assert rows_in("usage_record_2019_05") == rows_in("usage_record_2027_06") == 1
        assert UsageRecord.select().count() == 3 and differences(models.all_models()) == []
        assert "Usage partitions: 0 made, 0 detached.\n" in job(
            own_app, "--date", "2027-06-10", "--detach-older-than", "120").output


@pg_only
def test_the_job_makes_months_ahead_and_detaches_those_past_the_retention(own_app):
    own_app.config["USAGE_RETENTION_MONTHS"] = 30  # PORTAL_USAGE_RETENTION_MONTHS
    with connected(own_app):
        subscription = a_subscription()
        UsageRecord.insert_rows([(subscription.id, datetime(2024, 6, 30, 23, 59), "sms_out", "",
                                  1, 50, 0)])
        result = job(own_app, "--date", "2027-01-15")  # ahead: 3 months by default
        assert result.exit_code == 0, result.output
        # 2027-02 existed; the months that ended before 30 months before January 2027 go.
        assert "made usage_record_2027_03\nmade usage_record_2027_04\n" in result.output
        assert "made usage_day_2027_04\n" in result.output
        gone = partitions.months(date(2023, 11, 1), date(2024, 6, 1))
        for month in gone:
            name = f"usage_record_{month:%Y_%m}"
            assert (f"detached {name}: archive it (pg_dump -t {name}), then DROP TABLE "
                    f"{name}\n") in result.output
            assert relkind(name) == ("r", False)  # a table of its own now, not dropped
        assert f"Usage partitions: 4 made, {2 * len(gone)} detached.\n" in result.output
        assert min(partitions.partitions(UsageDay)) == date(2024, 7, 1)
        # The detached month's rows wait in its table for the archive, out of the reports.
        assert rows_in("usage_record_2024_06") == rows_in("usage_day_2024_06") == 1
        assert UsageRecord.select().count() == UsageDay.select().count() == 0
        # Its name taken, a late record of that month waits in the default partition.
        UsageRecord.insert_rows([(subscription.id, datetime(2024, 6, 1), "sms_out", "", 1,
                                  50, 0)])
        again = job(own_app, "--date", "2027-01-15")
        assert ("usage_record_default: rows of 2024-06 wait there: a detached table still has "
                "that month's name") in again.output
        assert rows_in("usage_record_default") == 1


@pg_only
def test_the_job_leaves_a_busy_table_for_the_next_run(own_app, monkeypatch):
    """An import holding the table: the job's DDL gives up after its lock timeout instead
    of queueing every page behind it, and says to run it again."""
    import psycopg2
    monkeypatch.setattr(partitions, "LOCK_TIMEOUT", "100ms")
    holder = psycopg2.connect(own_app.config["DATABASE_URL"])
    try:
        with holder.cursor() as cursor:  # what an import's transaction holds
            cursor.execute("LOCK TABLE usage_record IN ROW EXCLUSIVE MODE")
            result = job(own_app, "--date", "2027-01-15")
        assert result.exit_code == 1
        assert "A usage table is busy (an import?)" in result.output
        assert "run it again later" in result.output
    finally:
        holder.rollback()
        holder.close()
    assert job(own_app, "--date", "2027-01-15").exit_code == 0


# migration 0015 ------------------------------------------------------------------------------

# The usage tables as init-db made them before migration 0015.
OLD_LAYOUT = [
    'CREATE TABLE "usage_record" ("id" SERIAL NOT NULL PRIMARY KEY, "subscription_id" INTEGER '
    'NOT NULL, "started_at" TIMESTAMP NOT NULL, "type" VARCHAR(16) NOT NULL, "counterpart" '
    'VARCHAR(64) NOT NULL, "quantity" BIGINT NOT NULL, "amount" BIGINT NOT NULL, '
    '"bonus_amount" BIGINT NOT NULL, FOREIGN KEY ("subscription_id") REFERENCES '
    '"subscription" ("id") ON DELETE CASCADE)',
    'CREATE INDEX "usage_record_subscription_id" ON "usage_record" ("subscription_id")',
    'CREATE INDEX "usage_record_subscription_id_started_at_id" ON "usage_record" '
    '("subscription_id", "started_at", "id")',
    'CREATE TABLE "usage_day" ("subscription_id" INTEGER NOT NULL, "day" DATE NOT NULL, '
    '"type" VARCHAR(16) NOT NULL, "records" INTEGER NOT NULL, "amount" BIGINT NOT NULL, '
    '"bonus_amount" BIGINT NOT NULL DEFAULT 0, PRIMARY KEY ("subscription_id", "day", '
    '"type"), FOREIGN KEY ("subscription_id") REFERENCES "subscription" ("id") ON DELETE '
    'CASCADE)',
    'CREATE INDEX "usage_day_subscription_id" ON "usage_day" ("subscription_id")',
]
RECORDS = [(datetime(2025, 1, 31, 23, 59, 59, 999999), "call_out", "+380501234567", 61, 120),
           (datetime(2025, 4, 1, 0, 0), "internet", "", 2048, 0),
           (datetime(2026, 11, 24, 9, 15, 2, 125000), "topup", "", 1, -10000)]


@pg_only
def test_migration_0015_partitions_tables_that_hold_rows(own_app):
    with connected(own_app):
        subscription = a_subscription()
        before_migration("0015_usage_partitions", "DROP TABLE usage_record, usage_day",
                         *OLD_LAYOUT)
        UsageRecord.insert_rows([(subscription.id, *record, 0) for record in RECORDS])
        # A gap in the ids, as deleted or rolled-back rows leave.
        models.db.execute_sql("SELECT setval('usage_record_id_seq', 41)")
        UsageRecord.create(subscription=subscription, started_at=datetime(2026, 3, 8, 12, 0),
                           type="sms_out", counterpart="+380501234567", quantity=1, amount=50)
        before = list(UsageRecord.select().order_by(UsageRecord.id).tuples())
        days = list(UsageDay.select().order_by(UsageDay.day).tuples())
        assert relkind("usage_record") == ("r", False)
        assert "usage_record: not partitioned by month in the database, partitioned in the " \
               "models" in differences(models.all_models())

        assert "migrations applied: 1" in upgrade(own_app).output

        assert relkind("usage_record") == relkind("usage_day") == ("p", False)
        assert list(UsageRecord.select().order_by(UsageRecord.id).tuples()) == before
        assert list(UsageDay.select().order_by(UsageDay.day).tuples()) == days
        # Every month from the first row's to the last's, and the months ahead.
        assert sorted(partitions.partitions(UsageRecord)) == partitions.months(
            date(2025, 1, 1), date(2027, 2, 1))
        assert rows_in("usage_record_2025_01") == 1 and rows_in("usage_record_default") == 0
        assert relkind("usage_record_unpartitioned") is None
        # The ids go on after the copied ones, 64 bits wide now.
        added = UsageRecord.create(subscription=subscription, started_at=START, type="sms_out",
                                   counterpart="", quantity=1, amount=50)
        assert added.id == 43
        assert models.db.execute_sql(
            "SELECT data_type FROM information_schema.columns WHERE table_name = "
            "'usage_record' AND column_name = 'id'").fetchone()[0] == "bigint"
        assert differences(models.all_models()) == []


def test_migration_0015_drops_the_redundant_indexes_on_sqlite(app, db):
    """SQLite keeps the tables whole; their keys start with subscription_id, so the index
    on that column alone goes (on PostgreSQL the rebuilt tables never get it)."""
    if not models.is_sqlite():
        pytest.skip("the SQLite side of migration 0015 (the PostgreSQL side is tested above)")
    before_migration("0015_usage_partitions",
                     OLD_LAYOUT[1], OLD_LAYOUT[4])  # the indexes on subscription_id
    assert "index usage_record_subscription_id: in the database, not in the models" in \
        differences(models.all_models())
    upgrade(app)
    assert differences(models.all_models()) == []


def test_the_job_has_nothing_to_do_on_sqlite(app):
    if not models.is_sqlite():
        pytest.skip("on PostgreSQL the job is tested on partitioned tables above")
    result = job(app)
    assert result.exit_code == 0 and "nothing to do" in result.output


def test_days_totals_are_kept_across_months_and_the_default_partition(app, db, subscriber,
                                                                      tmp_path):
    """The days' totals' upsert (ON CONFLICT on their key, which holds the partition key)
    adds a second file's rows to the first's days, in a month's partition and in the
    default one alike; records are appended (the feed appends: each file is new usage)."""
    feed = (USAGE + "0671234567,2026-10-31T23:59:59,sms_out,+380501234567,1,0.50\n"
            "0671234567,2026-11-01T00:00:00,sms_out,+380501234567,1,0.50\n"
            "0671234567,2019-05-03T10:00:00,sms_out,+380501234567,1,0.50\n")
    for _ in range(2):
        db.close()
        result = run_import(app, tmp_path, "import-usage", feed)
        assert result.exit_code == 0, result.output
    db.connect(reuse_if_open=True)
    assert sorted((day, records, amount) for day, records, amount in UsageDay.select(
        UsageDay.day, UsageDay.records, UsageDay.amount).tuples()) == [
        (date(2019, 5, 3), 2, 100), (date(2026, 10, 31), 2, 100), (date(2026, 11, 1), 2, 100)]
    assert UsageRecord.select().count() == 6
