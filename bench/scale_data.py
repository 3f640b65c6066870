"""The data of `make bench-scale` (bench/scale.py, whose docstring tells the whole run and
its PORTAL_SCALE_* settings): the database of its own, created and dropped on the server,
and the subscribers and usage records generated and loaded into it by COPY."""
import os
import random
import time
from datetime import date, datetime, timedelta

from rules.dates import add_months, day_start, local_day

SUBSCRIBERS = int(os.environ.get("PORTAL_SCALE_SUBSCRIBERS", 100_000))
RECORDS = int(os.environ.get("PORTAL_SCALE_RECORDS", 100_000_000))
MONTHS = int(os.environ.get("PORTAL_SCALE_MONTHS", 24))
SERVER = os.environ.get("PORTAL_SCALE_SERVER", "postgresql://postgres@localhost/postgres")
DATABASE = os.environ.get("PORTAL_SCALE_DATABASE", "portal_scale")
HEAVY_RECORDS = 3_000  # the heavy subscriber's records in the report's month
CHUNK = 50_000  # COPY lines a read
# (type, weight): most records are calls and internet sessions.
TYPES = (("call_out", 30), ("call_in", 20), ("sms_out", 8), ("sms_in", 8), ("internet", 28),
         ("service", 3), ("subscription", 1), ("topup", 2))


def log(text):
    print(f"[{datetime.now():%H:%M:%S}] {text}", flush=True)


def on_server(*statements):
    """Run statements on the server's maintenance database; the last one's rows."""
    import psycopg2
    connection = psycopg2.connect(SERVER, connect_timeout=5)
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            for sql, params in statements:
                cursor.execute(sql, params)
            return cursor.fetchall() if cursor.description else None
    finally:
        connection.close()


def recreate_database():
    on_server((f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)", None),
              (f"CREATE DATABASE {DATABASE}", None))
    return SERVER.rsplit("/", 1)[0] + "/" + DATABASE


def drop_database():
    on_server((f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)", None))


# Generating --------------------------------------------------------------------------------

def month_starts(now):
    this = local_day(now).replace(day=1)
    return [add_months(this, -back) for back in range(MONTHS - 1, -1, -1)]


class MonthStream:
    """A month's usage records as COPY text, in time order, evenly spaced from `since` to
    `until`, each of a random subscriber but `heavy_count` of `heavy`'s spread evenly among
    them: what a partition holds when the billing appends as things happen."""

    def __init__(self, first_id, count, since, until, subscribers, rng, heavy=None,
                 heavy_count=0):
        self.next_id, self.left, self.since = first_id, count, since
        self.span = int((until - since).total_seconds())
        self.count, self.done = count, 0
        self.subscribers, self.rng = subscribers, rng
        self.heavy = heavy
        self.heavy_rows = {k * count // heavy_count for k in range(heavy_count)}
        day = since.date()
        self.days = [(day + timedelta(days=n)).isoformat() + " "
                     for n in range(self.span // 86400 + 2)]
        self.tails = _tails(rng)

    def read(self, size=-1):
        if self.left <= 0:
            return ""
        n = min(CHUNK, self.left)
        rng, subscribers, tails, days = self.rng.random, self.subscribers, self.tails, self.days
        population, tail_count = len(subscribers), len(tails)
        offset = self.since.hour * 3600 + self.since.minute * 60 + self.since.second
        lines = []
        for i in range(self.done, self.done + n):
            second = offset + i * self.span // self.count
            owner = (self.heavy if i in self.heavy_rows
                     else subscribers[int(rng() * population)])
            lines.append(f"{self.next_id}\t{owner}\t{days[second // 86400]}"
                         f"{TIMES[second % 86400]}\t{tails[int(rng() * tail_count)]}\n")
            self.next_id += 1
        self.done += n
        self.left -= n
        return "".join(lines)


TIMES = [f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}" for s in range(86400)]


def _tails(rng, count=4096):
    """type, counterpart, quantity, amount, bonus_amount: a pool the rows draw from."""
    weighted = [usage_type for usage_type, weight in TYPES for _ in range(weight)]
    tails = []
    for _ in range(count):
        usage_type = rng.choice(weighted)
        counterpart = f"+38067{rng.randrange(10**7):07d}" if usage_type.startswith(
            ("call", "sms")) else ""
        quantity = {"internet": rng.randint(10, 200_000), "call_out": rng.randint(1, 1800),
                    "call_in": rng.randint(1, 1800)}.get(usage_type, 1)
        amount = -rng.randint(5_000, 30_000) if usage_type == "topup" else (
            rng.randint(0, 400) if usage_type != "call_in" else 0)
        tails.append(f"{usage_type}\t{counterpart}\t{quantity}\t{amount}\t0")
    return tails


def seed_subscribers(models, now, password_hash):
    profiles = [{"name": f"Абонент {n}", "password_hash": password_hash, "created_at": now,
                 "confirmed_at": now, "terms_accepted_at": now} for n in range(SUBSCRIBERS)]
    with models.db.atomic():
        for start in range(0, SUBSCRIBERS, 1000):
            models.Profile.insert_many(profiles[start:start + 1000]).execute()
        ids = [p for (p,) in models.Profile.select(models.Profile.id)
               .order_by(models.Profile.id).tuples()]
        rng = random.Random(5)
        rows = [{"number": f"+38067{1_000_000 + n}", "kind": "mobile", "profile": profile,
                 "tariff": "smart", "holder_name": f"Абонент {n}", "payment": "prepaid",
                 "customer": "individual", "status": "active",
                 "balance": rng.randint(0, 50_000), "activated_on": date(2020, 1, 1)}
                for n, profile in enumerate(ids)]
        for start in range(0, SUBSCRIBERS, 1000):
            models.Subscription.insert_many(rows[start:start + 1000]).execute()
    return [s for (s,) in models.Subscription.select(models.Subscription.id)
            .order_by(models.Subscription.id).tuples()]


def seed_usage(models, now, subscription_ids, report_month):
    """COPY every month's records into its partition, then the keys, the days' totals,
    VACUUM ANALYZE. Returns {step: seconds}."""
    from models import partitions
    steps = {}
    cursor = models.db.cursor()
    starts = month_starts(now)
    # COPY writes the column's own form: UTC without a zone (models.base.MomentField), from
    # the instants Kyiv's months begin, as the partitions' bounds are.
    bounds = [day_start(month).replace(tzinfo=None) for month in starts]
    bounds.append((now - timedelta(days=1)).replace(tzinfo=None))  # the import: the last day
    seconds = [max(0, (b - a).total_seconds()) for a, b in zip(bounds, bounds[1:], strict=False)]
    counts = [int(RECORDS * s / sum(seconds)) for s in seconds]
    counts[0] += RECORDS - sum(counts)
    heavy = subscription_ids[0]
    strings = [str(s) for s in subscription_ids[1:]]
    rng = random.Random(7)
    # A bulk load: keys and foreign keys (a check a row) are built again after it.
    for table in ("usage_record", "usage_day"):
        models.db.execute_sql(f"ALTER TABLE {table} DROP CONSTRAINT {table}_pkey")
        models.db.execute_sql(f"ALTER TABLE {table} DROP CONSTRAINT "
                              f"{table}_subscription_id_fkey")
    started, next_id = time.perf_counter(), 1
    for month, since, until, count in zip(starts, bounds, bounds[1:], counts, strict=False):
        extra = HEAVY_RECORDS if month == report_month else 0
        stream = MonthStream(next_id, count + extra, since, until, strings, rng, heavy, extra)
        with models.db.atomic():
            cursor.copy_expert(
                f"COPY {partitions.partition_name(models.UsageRecord, month)} (id, "
                "subscription_id, started_at, type, counterpart, quantity, amount, "
                "bonus_amount) FROM STDIN", stream)
        next_id = stream.next_id
        log(f"  {month:%Y-%m}: {count + extra:,} records")
    steps["COPY of the records"] = time.perf_counter() - started
    started = time.perf_counter()
    models.db.execute_sql("SET maintenance_work_mem = '1GB'")
    models.db.execute_sql(
        "ALTER TABLE usage_record ADD CONSTRAINT usage_record_pkey "
        "PRIMARY KEY (subscription_id, started_at, id)")
    models.db.execute_sql(f"SELECT setval('usage_record_id_seq', {next_id - 1})")
    steps["primary key of the records (built after the load)"] = time.perf_counter() - started
    started = time.perf_counter()
    for month in starts:
        models.db.execute_sql(
            f"INSERT INTO {partitions.partition_name(models.UsageDay, month)} "
            "(subscription_id, day, type, records, amount, bonus_amount) "
            "SELECT subscription_id, ((started_at AT TIME ZONE 'UTC') AT TIME ZONE "
            "'Europe/Kyiv')::date, type, count(*), sum(amount), "
            f"sum(bonus_amount) FROM {partitions.partition_name(models.UsageRecord, month)} "
            "GROUP BY 1, 2, 3")
    models.db.execute_sql("ALTER TABLE usage_day ADD CONSTRAINT usage_day_pkey "
                          "PRIMARY KEY (subscription_id, day, type)")
    steps["days' totals (INSERT … SELECT a month, then their key)"] = \
        time.perf_counter() - started
    started = time.perf_counter()
    for table in ("usage_record", "usage_day"):
        models.db.execute_sql(
            f"ALTER TABLE {table} ADD CONSTRAINT {table}_subscription_id_fkey FOREIGN KEY "
            "(subscription_id) REFERENCES subscription (id) ON DELETE CASCADE")
    steps["foreign keys (checked once, over every row)"] = time.perf_counter() - started
    started = time.perf_counter()
    models.db.execute_sql("VACUUM (ANALYZE) usage_record")
    models.db.execute_sql("VACUUM (ANALYZE) usage_day")
    models.db.execute_sql("ANALYZE")
    steps["VACUUM ANALYZE"] = time.perf_counter() - started
    return steps
