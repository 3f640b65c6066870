"""`make bench-scale` (issue 26): the portal on PostgreSQL at an operator's scale, not part
of `make test` nor `make bench` (it takes most of an hour and tens of GB of disk).

A database of its own (portal_scale, dropped first if a run left it, and at the end unless
PORTAL_SCALE_KEEP=1) gets init-db's schema (usage partitioned by month), PORTAL_SCALE_
SUBSCRIBERS subscribers (100,000) and PORTAL_SCALE_RECORDS usage records (100,000,000)
written with COPY, month by month in time order over PORTAL_SCALE_MONTHS months (24) ending
now, each record of a random subscriber; one heavy subscriber has 3,000 more in the last
closed month, spread through it. The load is a bulk load: the primary keys are dropped
first and built once the rows are in, the days' totals summed per month with one INSERT …
SELECT, then VACUUM ANALYZE (what autovacuum does to an insert-only month in time).

Then, in this process through the Flask test client (the app as deployed but for argon2's
cost, which is sign-in's and not the subject), for the heavy subscriber and for random
ones: the dashboard, the last closed month's report and its CSV; wall time, and the CPU
of this process and of the database's server processes (read from /proc) a page. Then an
import of PORTAL_SCALE_IMPORT records (1,000,000) of the last day through the feed's own
path (`portal.feeds.service.import_usage`, one transaction, indexes in place); the plans of
the hot queries (EXPLAIN ANALYZE: the partitions read, no sequential scan); and the daily
`usage-partitions` job, first with nothing to do, then detaching the months past a
12-month retention. The figures, with the date and the machine, go to docs/scale-run.md
and the screen.

PORTAL_SCALE_SERVER names the server's maintenance database (postgresql://postgres@
localhost/postgres). For a quick try: PORTAL_SCALE_SUBSCRIBERS=2000
PORTAL_SCALE_RECORDS=200000 PORTAL_SCALE_IMPORT=20000 make bench-scale."""
import io
import logging
import os
import platform
import random
import re
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

from bench.bench_http import cpu_seconds
from bench.scale_data import (
    DATABASE,
    MONTHS,
    RECORDS,
    SERVER,
    SUBSCRIBERS,
    drop_database,
    log,
    on_server,
    recreate_database,
    seed_subscribers,
    seed_usage,
)
from rules.dates import add_months, local, local_day

ROOT = Path(__file__).resolve().parent.parent
IMPORT_ROWS = int(os.environ.get("PORTAL_SCALE_IMPORT", 1_000_000))
OUTPUT = Path(os.environ.get("PORTAL_SCALE_OUTPUT", ROOT / "docs" / "scale-run.md"))
SAMPLES = int(os.environ.get("PORTAL_SCALE_SAMPLES", 100))  # random subscribers a page
WARM = 20  # the heavy subscriber's pages again, warm
PASSWORD = "Scale-pass7"
# argon2's cost is sign-in's, not the pages': the bench signs in a hundred subscribers.
LIGHT = {"time_cost": 1, "memory_cost": 8, "parallelism": 1}


class Timer:
    """Wall seconds, and CPU seconds of this process and of the database's server processes
    (each one's CPU read from /proc before and after; the look-up itself is outside)."""

    def __init__(self, backends):
        self.backends = backends

    def __enter__(self):
        self.before = {pid: cpu_seconds([pid]) for pid in self.backends()}
        self.start = (time.perf_counter(), time.process_time())
        return self

    def __exit__(self, *exc):
        self.wall = time.perf_counter() - self.start[0]
        self.app = time.process_time() - self.start[1]
        self.db = sum(cpu_seconds([pid]) - self.before.get(pid, 0) for pid in self.backends())


# Measuring ---------------------------------------------------------------------------------

def sign_in(app, number):
    client = app.test_client()
    html = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"|'
                      r'name="csrf_token" value="([^"]+)"', html)
    answer = client.post("/login", data={"login": "0" + number[4:], "password": PASSWORD,
                                         "csrf_token": token.group(1) or token.group(2)})
    assert answer.status_code == 303, answer.status_code
    return client


def timed_pages(clients, path, backends, marker=None):
    """[(wall, app CPU, db CPU)] of GET `path` by each client, the body read to its end."""
    figures = []
    for client in clients:
        with Timer(backends) as timer:
            response = client.get(path)
            body = response.get_data()
        assert response.status_code == 200, (path, response.status_code)
        assert marker is None or marker in body, path
        figures.append((timer.wall, timer.app, timer.db))
    return figures


def summary(figures):
    walls = sorted(f[0] for f in figures)
    p95 = walls[min(len(walls) - 1, int(len(walls) * 0.95))]
    return (statistics.median(walls) * 1000, p95 * 1000,
            statistics.mean(f[1] for f in figures) * 1000,
            statistics.mean(f[2] for f in figures) * 1000)


def captured_queries(app, client, paths):
    """The SQL (with its parameters) the pages ran that read usage_record or usage_day."""
    found = []

    class Capture(logging.Handler):
        def emit(self, record):
            if not isinstance(record.msg, tuple):
                return  # the pool's own lines
            sql, params = record.msg
            if "usage_record" in sql or "usage_day" in sql:
                found.append((sql, params))

    logger = logging.getLogger("peewee")
    handler, level = Capture(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        for path in paths:
            client.get(path).get_data()
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    unique = {}
    for sql, params in found:
        unique.setdefault(sql, params)
    return list(unique.items())


def explain(models, sql, params):
    """(partitions read, sequential scans, execution ms, shared buffers hit, read: the top
    node's, which counts its children's, plan text)."""
    plan = "\n".join(row[0] for row in models.db.execute_sql(
        "EXPLAIN (ANALYZE, BUFFERS) " + sql, params).fetchall())
    read = sorted(set(re.findall(r" on (usage_(?:record|day)_(?:\d{4}_\d{2}|default))\b",
                                 plan)))
    scans = re.findall(r"Seq Scan on (usage_\w+)", plan)
    ms = float(re.search(r"Execution Time: ([\d.]+) ms", plan).group(1))
    buffers = re.search(r"Buffers: (.*)", plan)
    found = dict(re.findall(r"(hit|read)=(\d+)", buffers.group(1))) if buffers else {}
    return read, scans, ms, int(found.get("hit", 0)), int(found.get("read", 0)), plan


def backends():
    """The database's client backends (the app's pooled connections); not autovacuum."""
    return [pid for (pid,) in on_server((
        "SELECT pid FROM pg_stat_activity WHERE datname = %s AND backend_type = "
        "'client backend'", (DATABASE,)))]


def measure_pages(app, subscription_ids, report_month):
    """The dashboard, the report of `report_month` and its CSV, timed for the heavy
    subscriber (first, then WARM times) and once each for SAMPLES random ones; then the
    plans of their usage queries. Returns (results, plans, how many random ones)."""
    month = f"{report_month:%Y-%m}"
    rng = random.Random(3)
    sample = rng.sample(range(1, len(subscription_ids)), min(SAMPLES, len(subscription_ids) - 1))
    heavy = sign_in(app, f"+38067{1_000_000}")
    others = [sign_in(app, f"+38067{1_000_000 + n}") for n in sample]
    pages = (("dashboard", "/", b'id="balance"'),
             (f"report of {month} (first page)", f"/expenses?month={month}", b"<table"),
             (f"CSV of {month}", f"/expenses.csv?month={month}", None))
    results = []
    for name, path, marker in pages:
        first = timed_pages([heavy], path, backends, marker)
        warm = timed_pages([heavy] * WARM, path, backends, marker)
        spread = timed_pages(others, path, backends, marker)
        results.append((name, first[0], summary(warm), summary(spread)))
        log(f"{name}: heavy first {first[0][0] * 1000:.0f} ms, warm median "
            f"{summary(warm)[0]:.0f} ms; {len(others)} others median "
            f"{summary(spread)[0]:.0f} ms, p95 {summary(spread)[1]:.0f} ms")
    unvisited = next(n for n in range(1, len(subscription_ids)) if n not in set(sample))
    plans = hot_plans(app, others[0], subscription_ids[unvisited], [p[1] for p in pages])
    return results, plans, len(others)


def pages_table(results, samples):
    return [
        "Pages through the Flask test client (in this process, on PostgreSQL), the body "
        "read to its end: the heavy subscriber's first request, then "
        f"{WARM} more (warm); then one request each of {samples} random subscribers "
        "(their rows mostly not in memory). CPU: this process's, and the database's "
        "client backends', a request.",
        "",
        "| page | heavy: first ms | heavy warm: median ms | app CPU ms | db CPU ms | "
        "random: median ms | p95 ms | app CPU ms | db CPU ms |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        *[f"| {name} | {first[0] * 1000:.0f} | {warm[0]:.1f} | {warm[2]:.1f} | {warm[3]:.1f} "
          f"| {spread[0]:.1f} | {spread[1]:.1f} | {spread[2]:.1f} | {spread[3]:.1f} |"
          for name, first, warm, spread in results],
        "",
    ]


def pages_again():
    """`python -m bench.scale pages`: the pages and plans measured again on the database a
    run kept (PORTAL_SCALE_KEEP=1), after a change to the code; appended to OUTPUT."""
    import models
    from portal import create_app
    from portal.core.clock import wall_now
    began = wall_now()
    url = SERVER.rsplit("/", 1)[0] + "/" + DATABASE
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench-scale", "DEMO": False,
                      "SECURE_COOKIES": False, "PASSWORD_HASH_PARAMS": LIGHT})
    for name in (app.logger.name, "portal.ops"):
        logging.getLogger(name).setLevel(logging.WARNING)
    with app.app_context():
        models.db.connect(reuse_if_open=True)
        subscription_ids = [s for (s,) in models.Subscription.select(models.Subscription.id)
                            .order_by(models.Subscription.id).tuples()]
        models.db.close()
    report_month = add_months(local_day(began).replace(day=1), -1)
    load = os.getloadavg()[0]
    results, plans, samples = measure_pages(app, subscription_ids, report_month)
    commit = os.popen(f"git -C {ROOT} log -1 --format=%h").read().strip()
    text = "\n".join([
        f"## Pages again, {local(began):%d %b %Y %H:%M} Kyiv time (commit {commit}, same database)",
        "",
        f"`python -m bench.scale pages` on the database the run above kept; load average "
        f"before {load:.1f}.",
        "",
        *pages_table(results, samples),
        *plans_table(plans),
    ])
    with OUTPUT.open("a") as output:
        output.write("\n" + text)
    print(text)
    return True


def hot_plans(app, client, cold_id, paths):
    """[(sql, cold plan figures, warm plan figures)] of the usage queries the pages at
    `paths` ran for `client`'s subscriber: EXPLAIN ANALYZE first for `cold_id`, a
    subscriber no page has read (its rows mostly on disk, or in the OS's cache at best),
    then for the client's, just read (warm). The queries' first parameter is the
    subscription (models.usage.Report)."""
    import models
    with app.app_context():
        queries = captured_queries(app, client, paths)
        models.db.connect(reuse_if_open=True)
        plans = [(sql, explain(models, sql, [cold_id, *params[1:]]),
                  explain(models, sql, params)) for sql, params in queries]
        models.db.close()
    return plans


def plans_table(plans):
    return [
        "The usage queries of a random subscriber's dashboard, report and CSV (EXPLAIN "
        "ANALYZE, BUFFERS: 8 KB pages found in PostgreSQL's buffers, or read from the OS), "
        "for a subscriber no page had read (cold), then for one whose pages had just run "
        "(warm):",
        "",
        "| query | partitions read | sequential scans | cold ms | pages read | warm ms | "
        "pages hit |",
        "|---|---|---|---:|---:|---:|---:|",
        *[f"| `{_short(sql)}` | {', '.join(warm[0])} | {', '.join(warm[1]) or 'none'} | "
          f"{cold[2]:.2f} | {cold[4]} | {warm[2]:.2f} | {warm[3]} |"
          for sql, cold, warm in plans],
        "",
    ]


def make_feed(now, numbers, rng):
    lines = ["number,started_at,type,counterpart,quantity,amount"]
    for n in range(IMPORT_ROWS):
        moment = now - timedelta(seconds=86_400 * (IMPORT_ROWS - n) / IMPORT_ROWS)
        number = numbers[int(rng.random() * len(numbers))]
        lines.append(f"0{number[4:]},{moment.isoformat(timespec='milliseconds')},call_out,"
                     f"+380671234567,{rng.randint(1, 1800)},{rng.randint(0, 400) / 100:.2f}")
    return "\n".join(lines) + "\n"


def machine():
    cpu = next((line.split(":", 1)[1].strip() for line in
                Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    memory = int(Path("/proc/meminfo").read_text().split()[1]) / 1024 / 1024
    return f"{os.cpu_count()} cores ({cpu}), {memory:.0f} GB RAM, {platform.platform()}"


def main():
    import models
    from models import partitions
    from models.schema import differences
    from portal import create_app
    from portal.core.clock import wall_now
    from portal.core.security import hash_password
    from portal.database.service import init_db
    from portal.feeds.service import import_usage

    began = wall_now()
    now = began.replace(microsecond=0)
    this_month = local_day(now).replace(day=1)
    report_month = add_months(this_month, -1)
    url = recreate_database()
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench-scale", "DEMO": False,
                      "SECURE_COOKIES": False, "PASSWORD_HASH_PARAMS": LIGHT})
    # A line a request on the screen would drown the bench's own.
    for name in (app.logger.name, "portal.ops"):
        logging.getLogger(name).setLevel(logging.WARNING)
    lines, steps = [], {}
    try:
        with app.app_context():
            models.db.connect(reuse_if_open=True)
            started = time.perf_counter()
            init_db()
            steps["init-db (partitions of 36 months back and 3 ahead)"] = \
                time.perf_counter() - started
            started = time.perf_counter()
            with app.test_request_context():
                password_hash = hash_password(PASSWORD)
            subscription_ids = seed_subscribers(models, now, password_hash)
            steps[f"{SUBSCRIBERS:,} subscribers (insert_many)"] = time.perf_counter() - started
            log(f"{SUBSCRIBERS:,} subscribers; COPY of {RECORDS:,} records over {MONTHS} months")
            steps.update(seed_usage(models, now, subscription_ids, report_month))
            drift = differences(models.all_models())
            assert drift == [], drift
            sizes = models.db.execute_sql(
                "SELECT sum(pg_relation_size(c.oid)) FILTER (WHERE p.relname = 'usage_record'),"
                " sum(pg_indexes_size(c.oid)) FILTER (WHERE p.relname = 'usage_record'),"
                " sum(pg_relation_size(c.oid)) FILTER (WHERE p.relname = 'usage_day'),"
                " sum(pg_indexes_size(c.oid)) FILTER (WHERE p.relname = 'usage_day'),"
                " pg_database_size(current_database()) FROM pg_inherits i "
                "JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent"
            ).fetchone()
            records, days = models.db.execute_sql(
                "SELECT (SELECT count(*) FROM usage_record), (SELECT count(*) FROM usage_day)"
            ).fetchone()
            models.db.close()
        log("seeded: " + ", ".join(f"{name} {seconds:.0f} s" for name, seconds in steps.items()))

        results, plans, samples = measure_pages(app, subscription_ids, report_month)
        with app.app_context():
            models.db.connect(reuse_if_open=True)
            csv_lines = models.UsageRecord.select().where(
                (models.UsageRecord.subscription == subscription_ids[0])
                & (models.UsageRecord.started_at >= report_month)
                & (models.UsageRecord.started_at < this_month)).count()
            models.db.close()

        feed = make_feed(now, [f"+38067{1_000_000 + n}" for n in range(SUBSCRIBERS)],
                         random.Random(3))
        log(f"import of {IMPORT_ROWS:,} records")
        with app.app_context():
            models.db.connect(reuse_if_open=True)
            with Timer(backends) as imported:
                count = import_usage(io.StringIO(feed), now)
            assert count == IMPORT_ROWS
            with Timer(backends) as idle_job:
                partitions.maintain(local_day(now))
            with Timer(backends) as detach_job:
                detached = partitions.maintain(local_day(now), retention=12)
            models.db.close()
        log(f"import: {imported.wall:.0f} s; job {idle_job.wall:.2f} s, detaching "
            f"{len(detached.detached)} partitions {detach_job.wall:.2f} s")
    finally:
        if os.environ.get("PORTAL_SCALE_KEEP") != "1":
            drop_database()
    gb = 1024 ** 3
    lines += [
        "# Scale run (`make bench-scale`, bench/scale.py)",
        "",
        "Written by the bench itself; docs/measurements.md and docs/capacity.md read it.",
        "",
        f"Run of {local(began):%d %b %Y %H:%M} Kyiv time on {machine()}; "
        f"{models_version()}; load average before the run "
        f"{LOAD_BEFORE:.1f}, after {os.getloadavg()[0]:.1f} (the machine is shared: "
        "other work skews the wall times; CPU times move less). The bench ran under "
        "`nice -n 15 ionice -c3`.",
        "",
        f"Data: {SUBSCRIBERS:,} subscribers, {records:,} usage records over {MONTHS} months "
        f"(about {RECORDS / SUBSCRIBERS / MONTHS:.0f} a subscriber a month), "
        f"{days:,} days' totals; the heavy subscriber has {csv_lines:,} records in {report_month:%Y-%m}.",
        "",
        "| size | total | a usage record |",
        "|---|---:|---:|",
        f"| usage_record heap | {sizes[0] / gb:.1f} GB | {sizes[0] / records:.0f} B |",
        f"| usage_record key (subscription_id, started_at, id) | {sizes[1] / gb:.1f} GB | "
        f"{sizes[1] / records:.0f} B |",
        f"| usage_day heap | {sizes[2] / gb:.1f} GB | {sizes[2] / records:.0f} B |",
        f"| usage_day key | {sizes[3] / gb:.1f} GB | {sizes[3] / records:.0f} B |",
        f"| the whole database | {sizes[4] / gb:.1f} GB | {sizes[4] / records:.0f} B |",
        "",
        "| generation step | seconds |",
        "|---|---:|",
        *[f"| {name} | {seconds:.0f} |" for name, seconds in steps.items()],
        "",
        *pages_table(results, samples),
        f"Import of {IMPORT_ROWS:,} records of the last day for random subscribers through "
        "`import_usage` (the feed's path: checks, days' totals, alerts; one transaction): "
        f"**{imported.wall:.0f} s, {IMPORT_ROWS / imported.wall:,.0f} records a second**; "
        f"CPU a record {imported.app / IMPORT_ROWS * 1e6:.0f} µs in the importing process, "
        f"{imported.db / IMPORT_ROWS * 1e6:.0f} µs in the database.",
        "",
        f"`usage-partitions` (models.partitions.maintain) with nothing to do: "
        f"{idle_job.wall * 1000:.0f} ms; detaching the {len(detached.detached)} partitions "
        f"past a 12-month retention: {detach_job.wall * 1000:.0f} ms.",
        "",
        *plans_table(plans),
    ]
    text = "\n".join(lines)
    OUTPUT.write_text(text)
    print(text)
    for sql, cold, warm in plans:
        print(sql, "\n", cold[-1], "\n", warm[-1], "\n")
    return True


def _short(sql):
    """A query as the table shows it: its SELECT list and the table it reads."""
    found = re.search(r'SELECT (.*?) FROM "(\w+)"', sql)
    return f"{found.group(1)[:60]} … FROM {found.group(2)}" if found else sql[:80]


def models_version():
    (version, buffers), = on_server((
        "SELECT current_setting('server_version'), current_setting('shared_buffers')", None))
    return f"PostgreSQL {version} (shared_buffers {buffers}, as installed)"


LOAD_BEFORE = os.getloadavg()[0]

if __name__ == "__main__":
    sys.exit(0 if (pages_again() if sys.argv[1:] == ["pages"] else main()) else 1)
