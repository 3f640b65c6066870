"""The portal served as deployed (gunicorn with deploy/gunicorn.conf.py) on a database of
10,000 subscribers and 1,000,000 usage records, driven by wrk on 127.0.0.1: the sign-in
page, the dashboard and a month's expenses report signed in (the session cookie passed
with -H), and that report's CSV export. Each figure is also given as a ratio to a bare
Flask "hello" page under the same gunicorn settings in the same run: the mean of its two
runs, just before and just after the SQLite pages.

The same signed-in pages run again on the local PostgreSQL (a bench database of its own,
seeded with COPY, each worker's connections from the pool), first on one app node, then on
two app nodes (two gunicorns) on that one PostgreSQL behind one nginx port, configured as
deploy/nginx/portal.conf configures it (BENCH_POSTGRES_URL names the server; BENCH_POSTGRES=0
leaves PostgreSQL out). Every node runs on this one machine, so two nodes share its cores:
the ratio of two nodes to one says what a second node costs or gains here, not on two
machines.

Targets (issue 26), at 16 connections on this machine (2 cores), on SQLite: the dashboard
at least 0.20 of the bare page's requests a second with p99 under 50 ms; the month's
expenses report at least 0.12 with p99 under 100 ms; the sign-in page p99 under 100 ms."""
import io
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from bench.servers import Gunicorn, Nginx, fetch, find_nginx, sign_in
from rules.dates import day_start

ROOT = Path(__file__).resolve().parent.parent
SUBSCRIBERS = 10_000
USAGE_RECORDS = 1_000_000
SIGNED_IN_MONTH_RECORDS = 1_000  # the bench subscriber's records in the report's month
IMPORT_ROWS = 20_000  # a usage feed imported into PostgreSQL: the CPU a record costs
CONNECTIONS = 16
# {page: (least req/s as a share of bare Flask's in the same run, p99 ms under)}, on SQLite.
TARGETS = {"dashboard": (0.20, 50), "expenses report": (0.12, 100), "sign-in page": (0, 100)}
THREADS = 2
DURATION = os.environ.get("BENCH_DURATION", "10s")
# The server's database `postgres` (to create the bench's own database) and the bench's own.
POSTGRES_SERVER = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@localhost/postgres")
POSTGRES_DATABASE = "portal_bench_http"
PASSWORD = "Bench-pass7"
TYPES = ("call_out", "call_in", "sms_out", "sms_in", "internet", "service", "topup")

HELLO_APP = '''
from flask import Flask
app = Flask(__name__)

@app.get("/")
def hello():
    return "Hello"
'''


def find_wrk():
    """wrk from Debian; installed here when missing and we may, else say how."""
    if shutil.which("wrk"):
        return shutil.which("wrk")
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("wrk is missing: apt-get install -y wrk")
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=False,
                       stdout=subprocess.DEVNULL)
    if not shutil.which("wrk"):
        print("wrk is not installed: run `sudo apt-get install wrk`, then `make bench` again")
        return None
    return shutil.which("wrk")


# Seeding -----------------------------------------------------------------------------------

def seed(database_url, today):
    """10,000 subscribers (one profile each, one password hash as deployed) and 1,000,000
    usage records over the last six months, 1,000 of them the bench subscriber's this
    month. Returns the bench subscriber's login."""
    import models
    from portal import create_app
    from portal.core.security import hash_password
    from portal.database.service import init_db

    app = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "bench-seed", "DEMO": False})
    rng = random.Random(7)
    started = time.perf_counter()
    with app.app_context():
        models.db.connect(reuse_if_open=True)
        init_db()
        password_hash = hash_password(PASSWORD)
        now = day_start(today)  # Kyiv midnight
        with models.db.atomic():
            profiles = [{"name": f"Абонент {n}", "password_hash": password_hash,
                         "created_at": now, "confirmed_at": now} for n in range(SUBSCRIBERS)]
            for start in range(0, SUBSCRIBERS, 1000):
                models.Profile.insert_many(profiles[start:start + 1000]).execute()
            profile_ids = [p for (p,) in models.Profile.select(models.Profile.id)
                           .order_by(models.Profile.id).tuples()]
            subscriptions = [{
                "number": f"+38067{5_000_000 + n}", "kind": "mobile", "profile": profile_id,
                "tariff": "smart", "holder_name": f"Абонент {n}", "payment": "prepaid",
                "customer": "individual", "status": "active",
                "balance": rng.randint(-5_000, 50_000), "activated_on": date(2020, 1, 1)}
                for n, profile_id in enumerate(profile_ids)]
            for start in range(0, SUBSCRIBERS, 1000):
                models.Subscription.insert_many(subscriptions[start:start + 1000]).execute()
        subscription_ids = [s for (s,) in models.Subscription.select(models.Subscription.id)
                            .order_by(models.Subscription.id).tuples()]
        bench_id = subscription_ids[0]
        month_start = today.replace(day=1)
        month_seconds = max(1, int((now - day_start(month_start))
                                   .total_seconds()))
        span = 183 * 86400

        def rows(count, subscription_id=None):
            for n in range(count):
                usage_type = TYPES[n % len(TYPES)]
                if subscription_id is None:
                    moment = now - timedelta(seconds=rng.randrange(span))
                    owner = subscription_ids[rng.randrange(1, SUBSCRIBERS)]
                else:
                    moment = now - timedelta(seconds=rng.randrange(month_seconds))
                    owner = subscription_id
                amount = -rng.randint(5_000, 30_000) if usage_type == "topup" else \
                    rng.randint(0, 999)
                yield (owner, moment, usage_type, "+380501234567", rng.randint(1, 3600), amount)

        write = _insert_usage if models.is_sqlite() else _copy_usage
        with models.db.atomic():
            write(list(rows(SIGNED_IN_MONTH_RECORDS, bench_id)))
        left = USAGE_RECORDS - SIGNED_IN_MONTH_RECORDS
        batch = 100_000
        while left > 0:
            with models.db.atomic():
                write(list(rows(min(batch, left))))
            left -= batch
        if not models.is_sqlite():
            _total_usage_days()
        models.db.execute_sql("ANALYZE")
        counts = (models.Subscription.select().count(), models.UsageRecord.select().count())
        models.db.close()
    print(f"seeded {counts[0]:,} subscribers and {counts[1]:,} usage records "
          f"in {time.perf_counter() - started:.0f} s")
    return "0" + subscriptions[0]["number"][4:]


def _insert_usage(rows):
    import models
    models.UsageRecord.insert_rows(rows)


def _copy_usage(rows):
    """PostgreSQL: the records by COPY (tab-separated text), the days' totals left for
    `_total_usage_days` (one INSERT … SELECT at the end, not an upsert per batch)."""
    import models
    text = io.StringIO("".join(
        f"{owner}\t{moment.isoformat(' ')}\t{usage_type}\t{counterpart}\t{quantity}\t"
        f"{amount}\t0\n" for owner, moment, usage_type, counterpart, quantity, amount in rows))
    models.db.cursor().copy_expert(
        "COPY usage_record (subscription_id, started_at, type, counterpart, quantity, amount, "
        "bonus_amount) FROM STDIN", text)


def _total_usage_days():
    """The days' totals of every record COPY wrote, as UsageRecord.insert_rows keeps them."""
    import models
    models.db.execute_sql(
        "INSERT INTO usage_day (subscription_id, day, type, records, amount, bonus_amount) "
        "SELECT subscription_id, started_at::date, type, count(*), sum(amount), "
        "sum(bonus_amount) FROM usage_record GROUP BY subscription_id, started_at::date, type")


def import_cost(database_url, today):
    """A usage feed of IMPORT_ROWS records over 1,000 numbers imported (`import_usage`, as
    `flask import-usage` does) into the seeded PostgreSQL database: (CPU µs a record of this
    process, of its server process, records a second)."""
    import models
    from portal import create_app
    from portal.feeds.service import import_usage

    rng = random.Random(11)
    now = day_start(today)  # Kyiv midnight
    lines = ["number,started_at,type,counterpart,quantity,amount"]
    for _ in range(IMPORT_ROWS):
        moment = now - timedelta(seconds=rng.randrange(1, 86400), microseconds=rng.randrange(
            1_000_000))
        lines.append(f"067{5_000_000 + rng.randrange(1, 1_000)},{moment.isoformat()},call_out,"
                     f"+380501234567,{rng.randint(1, 3600)},{rng.randint(0, 999) / 100:.2f}")
    feed = "\n".join(lines) + "\n"
    app = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "bench-import",
                      "DEMO": False})
    with app.app_context():
        models.db.connect(reuse_if_open=True)
        backend = models.db.execute_sql("SELECT pg_backend_pid()").fetchone()[0]
        started = (time.process_time(), cpu_seconds([backend]), time.perf_counter())
        count = import_usage(io.StringIO(feed), now)
        ended = (time.process_time(), cpu_seconds([backend]), time.perf_counter())
        models.db.close()
    return ((ended[0] - started[0]) * 1e6 / count, (ended[1] - started[1]) * 1e6 / count,
            count / (ended[2] - started[2]))


def fresh_postgres_database():
    """An empty database of the bench's own on the PostgreSQL server (dropped first if a
    run left one); its URL, or None when the server cannot be reached."""
    import psycopg2
    try:
        connection = psycopg2.connect(POSTGRES_SERVER, connect_timeout=5)
    except psycopg2.OperationalError as error:
        print(f"PostgreSQL left out: {POSTGRES_SERVER} cannot be reached ({error})")
        return None
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {POSTGRES_DATABASE} WITH (FORCE)")
        cursor.execute(f"CREATE DATABASE {POSTGRES_DATABASE}")
    connection.close()
    return POSTGRES_SERVER.rsplit("/", 1)[0] + "/" + POSTGRES_DATABASE


def drop_postgres_database():
    import psycopg2
    connection = psycopg2.connect(POSTGRES_SERVER, connect_timeout=5)
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {POSTGRES_DATABASE} WITH (FORCE)")
    connection.close()


# wrk ---------------------------------------------------------------------------------------

UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(text):
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(number) * UNITS[unit]


def _stat(pid):
    """/proc/PID/stat's fields after the command's name (state first), or None."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def group_pids(leader):
    """The processes of `leader`'s process group (a gunicorn master and its workers)."""
    return [int(pid) for pid in os.listdir("/proc") if pid.isdigit()
            and (fields := _stat(pid)) and int(fields[2]) == leader]


def cpu_seconds(pids):
    """User and system CPU seconds the processes have used so far."""
    ticks = 0
    for pid in pids:
        fields = _stat(pid)
        ticks += int(fields[11]) + int(fields[12]) if fields else 0
    return ticks / os.sysconf("SC_CLK_TCK")


def postgres_backends(database):
    """The server processes of `database`'s connections (the nodes' pools)."""
    import psycopg2
    connection = psycopg2.connect(POSTGRES_SERVER, connect_timeout=5)
    with connection, connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", (database,))
        pids = [pid for (pid,) in cursor.fetchall()]
    connection.close()
    return pids


def run_wrk(wrk, url, cookie=None, processes=None):
    """(requests a second, p50 ms, p99 ms, errors, socket errors, {name: CPU ms a request})
    of a bounded wrk run; `processes()` names the processes whose CPU time each request
    costs ({"app": pids, "db": pids}), counted from their /proc: CPU time, so other work
    on the machine moves it far less than the rates."""
    command = [wrk, f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{DURATION}", "--timeout", "5s",
               "--latency", "-H", "Accept-Encoding: gzip"]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    subprocess.run(command[:3] + ["-d2s", url] + command[4:], capture_output=True)  # warm
    groups = processes() if processes else {}
    before = {name: cpu_seconds(pids) for name, pids in groups.items()}
    output = subprocess.run(command + [url], capture_output=True, text=True, check=True,
                            timeout=120).stdout
    used = {name: cpu_seconds(pids) - before[name] for name, pids in groups.items()}
    requests = int(re.search(r"(\d+) requests in", output).group(1))
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    p50 = _ms(re.search(r"\s50%\s+(\S+)", output).group(1))
    p99 = _ms(re.search(r"\s99%\s+(\S+)", output).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(r"Socket errors: (.*)", output)
    return rps, p50, p99, (int(errors.group(1)) if errors else 0), (
        socket_errors.group(1) if socket_errors else ""), {
        name: seconds * 1000 / max(requests, 1) for name, seconds in used.items()}


def measure(wrk, base, cookie, pages, processes=None):
    """[(page name, wrk figures)] of `pages` ((name, path, signed in, marker)) at `base`,
    each checked first to be the real page, and after the run to be signed in still."""
    results = []
    for name, path, signed_in, marker in pages:
        page_cookie = cookie if signed_in else None
        status, final_url, body = fetch(base + path, page_cookie)
        expected = base + ("/" if name == "signed-in redirect" else path)
        assert status == 200 and final_url == expected, (name, final_url)
        assert marker is None or marker in body, name
        results.append((name, run_wrk(wrk, base + path, page_cookie, processes)))
        # Still signed in after the run: the figures are of the real page.
        assert fetch(base + path, page_cookie)[1] == expected
    return results


def on_postgres(wrk, env, tmp, today, pages):
    """The pages on PostgreSQL, one node and then two behind nginx: ({setup: results},
    {setup: load average before}), or None when there is no PostgreSQL server."""
    database_url = fresh_postgres_database()
    if database_url is None:
        return None
    try:
        login = seed(database_url, today)
        env = {**env, "PORTAL_DATABASE_URL": database_url}
        nodes = []
        try:
            nodes.append(Gunicorn("portal:create_app()", env, ROOT, tmp / "node1.log"))
            cookie = sign_in(nodes[0].url, login, PASSWORD)
            database = database_url.rsplit("/", 1)[1]

            def processes():
                return {"app": [pid for node in nodes for pid in group_pids(node.process.pid)],
                        "db": postgres_backends(database)}

            loads = {"PostgreSQL, 1 node": os.getloadavg()[0]}
            results = {"PostgreSQL, 1 node": measure(wrk, nodes[0].url, cookie, pages,
                                                     processes)}
            if find_nginx():
                nodes.append(Gunicorn("portal:create_app()", env, ROOT, tmp / "node2.log"))
                (tmp / "nginx").mkdir()
                proxy = Nginx([node.url for node in nodes], tmp / "nginx")
                try:
                    loads["PostgreSQL, 2 nodes"] = os.getloadavg()[0]
                    results["PostgreSQL, 2 nodes"] = measure(wrk, proxy.url, cookie, pages,
                                                             processes)
                finally:
                    proxy.stop()
            else:
                print("nginx is not installed (`sudo apt-get install nginx-light`): the two "
                      "nodes are left out")
        finally:
            for node in nodes:
                node.stop()
        loads["PostgreSQL, import"] = os.getloadavg()[0]
        imported = import_cost(database_url, today)
    finally:
        drop_postgres_database()
    return results, loads, imported


def main():
    wrk = find_wrk()
    if not wrk:
        return False
    from portal.core.clock import SystemClock
    today = SystemClock().today()
    month = today.strftime("%Y-%m")
    pages = [
        ("sign-in page", "/login", False, b'id="password-login"'),
        # The least any signed-in page does (read the session, answer a redirect):
        # the floor under the dashboard's ratio.
        ("signed-in redirect", "/login", True, None),
        ("dashboard", "/", True, b'id="balance"'),
        ("expenses report", f"/expenses?month={month}", True, b"<table"),
        ("expenses CSV", f"/expenses.csv?month={month}", True, None),
    ]
    # PostgreSQL runs the pages a subscriber opens most, to keep `make bench` short.
    postgres_pages = [page for page in pages if page[0] in ("dashboard", "expenses report")]
    ok = True
    with tempfile.TemporaryDirectory() as directory:
        tmp = Path(directory)
        database_url = f"sqlite:///{tmp / 'bench.db'}"
        login = seed(database_url, today)
        env = {key: value for key, value in os.environ.items()
               if not key.startswith(("PORTAL_", "MAKE", "MFLAGS"))}
        # Plain HTTP on loopback stands for nginx's TLS: cookies not marked Secure, or the
        # bench's own client would never send its session back.
        env.update(PORTAL_DATABASE_URL=database_url, PORTAL_DEMO="0",
                   PORTAL_SECRET_KEY="bench-secret", PORTAL_SECURE_COOKIES="0",
                   PYTHONPATH=str(ROOT))

        loads = {"bare": os.getloadavg()[0]}
        (tmp / "hello.py").write_text(HELLO_APP)
        hello = Gunicorn("hello:app", env, tmp, tmp / "hello.log")
        try:
            assert fetch(hello.url + "/")[2] == b"Hello"
            bare_runs = [run_wrk(wrk, hello.url + "/")]
            portal = Gunicorn("portal:create_app()", env, ROOT, tmp / "portal.log")
            try:
                loads["SQLite, 1 node"] = os.getloadavg()[0]
                results = {"SQLite, 1 node": measure(
                    wrk, portal.url, sign_in(portal.url, login, PASSWORD), pages,
                    lambda: {"app": group_pids(portal.process.pid)})}
            finally:
                portal.stop()
            # Bare Flask again once the SQLite pages are done: this machine's speed drifts
            # by a fifth within a minute, and the SQLite pages' ratios (the targets) are to
            # the two runs' mean; so are PostgreSQL's, which come later still.
            bare_runs.append(run_wrk(wrk, hello.url + "/"))
        finally:
            hello.stop()
        postgres = None
        if os.environ.get("BENCH_POSTGRES", "1") != "0":
            postgres = on_postgres(wrk, env, tmp, today, postgres_pages)
        if postgres:
            results.update(postgres[0])
            loads.update(postgres[1])

    rps0, p50_0, p99_0 = (sum(run[index] for run in bare_runs) / len(bare_runs)
                          for index in range(3))
    workers = os.environ.get("WEB_CONCURRENCY") or (
        "cores + 1 (at least 3) on SQLite, 2 × cores + 1 on PostgreSQL")
    print(f"\nwrk -t{THREADS} -c{CONNECTIONS} -d{DURATION} on 127.0.0.1, gunicorn as deployed "
          f"(sync workers a node: {workers}), {os.cpu_count()} cores shared by every node; "
          f"{SUBSCRIBERS:,} subscribers and {USAGE_RECORDS:,} usage records in each database; "
          f"2 nodes: two gunicorns behind one nginx port (deploy/nginx/portal.conf); "
          f"load average (1 min) before each setup: "
          + ", ".join(f"{setup} {load:.1f}" for setup, load in loads.items())
          + " (other work on the machine skews every figure)")
    print(f"{'setup':20} {'page':18} {'req/s':>8} {'× bare':>7} {'p50 ms':>8} {'× bare':>7} "
          f"{'p99 ms':>8} {'× bare':>7}  {'errors':>6}  {'2/1 node':>8}  {'app CPU':>7}  "
          f"{'db CPU':>6}  target")
    for when, run in zip(("before", "after"), bare_runs, strict=True):
        print(f"{'':20} {'bare Flask, ' + when:18} {run[0]:8.0f} {run[0] / rps0:7.2f} "
              f"{run[1]:8.2f} {run[1] / p50_0:7.2f} {run[2]:8.2f} {run[2] / p99_0:7.2f}  "
              f"{run[3]:>6}")
    one_node = dict(results.get("PostgreSQL, 1 node", []))
    for setup, figures in results.items():
        for name, (rps, p50, p99, errors, socket_errors, cpu) in figures:
            targets = []
            passed = errors == 0
            if setup == "SQLite, 1 node" and name in TARGETS:
                ratio, p99_ms = TARGETS[name]
                targets += [f"req/s >= {ratio:.2f} × bare"] * bool(ratio) + [f"p99 < {p99_ms} ms"]
                passed &= rps >= ratio * rps0 and p99 < p99_ms
            ok &= passed
            scaling = (f"{rps / one_node[name][0]:8.2f}" if setup == "PostgreSQL, 2 nodes"
                       else f"{'':8}")
            print(f"{setup:20} {name:18} {rps:8.0f} {rps / rps0:7.2f} {p50:8.2f} "
                  f"{p50 / p50_0:7.2f} {p99:8.2f} {p99 / p99_0:7.2f}  {errors:>6}  {scaling}  "
                  f"{cpu_ms(cpu, 'app'):>7}  {cpu_ms(cpu, 'db'):>6}  "
                  f"{'ok  ' if passed else 'MISS'} {', '.join(targets) or '-'}"
                  + (f" (socket errors: {socket_errors})" if socket_errors else ""))
    if postgres:
        app_us, db_us, rate = postgres[2]
        print(f"PostgreSQL, import-usage of {IMPORT_ROWS:,} records: {rate:,.0f} a second; "
              f"CPU a record: {app_us:.0f} µs in the importing process, {db_us:.0f} µs in "
              f"its server process")
    print("app CPU, db CPU: CPU ms a request of the app nodes' gunicorn processes and of the "
          "database's server processes (SQLite's work is inside the app's)")
    return ok


def cpu_ms(cpu, name):
    return f"{cpu[name]:.1f}" if name in cpu else "-"


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
