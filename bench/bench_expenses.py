"""Expenses at scale: import-usage speed, and a month of 30,000 records read as a page, a
streamed CSV and a PDF. Targets (issue 4): import at least 20,000 rows a second on
SQLite, with low-balance alerts on (every number has a threshold, so each import sums
its rows per number and judges them); the CSV in under 5 s with flat memory; the page in
under a second.

"Flat memory" is measured: the peak Python allocation while streaming the CSV of 30,000
records must stay within 2 MB of the peak for 3,000 records (a CSV built in memory
would grow by several megabytes)."""
import io
import random
import tempfile
import time
import tracemalloc
from datetime import datetime, timedelta
from pathlib import Path

import models
from portal import create_app
from portal.core.clock import ManualClock
from portal.core.security import hash_password
from portal.database.service import init_db
from portal.feeds.service import import_usage
from rules.dates import instant
from rules.expenses import format_cursor

NOW = instant(datetime(2026, 12, 1, 10, 0))  # Kyiv time
MONTH_RECORDS = 30_000
IMPORT_ROWS = 100_000
PASSWORD = "Bench-pass7"
TYPES = ("call_out", "call_in", "sms_out", "sms_in", "internet", "service", "topup")


def usage_csv(number, rows, start, span_seconds, seed=1):
    rng = random.Random(seed)
    lines = ["number,started_at,type,counterpart,quantity,amount"]
    for n in range(rows):
        moment = start + timedelta(seconds=span_seconds * n / rows,
                                   microseconds=rng.randrange(1_000_000))
        usage_type = rng.choice(TYPES)
        amount = f"-{rng.randint(50, 300)}.00" if usage_type == "topup" else \
            f"{rng.randint(0, 999) / 100:.2f}"
        lines.append(f"{number},{moment.isoformat()},{usage_type},+380501234567,"
                     f"{rng.randint(1, 3600)},{amount}")
    return "\n".join(lines) + "\n"


def timed(action):
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


def streamed_csv(client, url):
    """Read the CSV as a client would, a chunk at a time; (seconds, bytes, peak bytes)."""
    tracemalloc.start()
    started = time.perf_counter()
    response = client.get(url, buffered=False)
    size = sum(len(chunk) for chunk in response.response)
    response.close()
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return seconds, size, peak


def main():
    results, ok = [], True
    with tempfile.TemporaryDirectory() as directory:
        app = create_app({
            "TESTING": True, "WTF_CSRF_ENABLED": False, "SECRET_KEY": "bench",
            "DATABASE_URL": f"sqlite:///{Path(directory) / 'bench.db'}", "DEMO": False,
            "CLOCK": ManualClock(NOW),
            "PASSWORD_HASH_PARAMS": {"time_cost": 1, "memory_cost": 8, "parallelism": 1},
        })
        with app.app_context():
            models.db.connect(reuse_if_open=True)
            init_db()
            profile = models.Profile.create(name="Bench", created_at=NOW, confirmed_at=NOW,
                                            password_hash=hash_password(PASSWORD))
            for number in ("+380671234567", "+380671234568", "+380671234569"):
                models.Subscription.create(
                    number=number, kind="mobile", profile=profile, tariff="smart",
                    holder_name="Bench", payment="prepaid", customer="individual",
                    status="active", balance=0, activated_on=datetime(2020, 1, 1).date(),
                    alert_threshold=5000)

            feed = usage_csv("0671234569", IMPORT_ROWS, datetime(2026, 6, 1), 90 * 86400)
            seconds, count = timed(lambda: import_usage(io.StringIO(feed), NOW))
            rate = count / seconds
            results.append(("import-usage, rows a second", f"{rate:,.0f}", ">= 20,000",
                            rate >= 20_000))

            import_usage(io.StringIO(usage_csv("0671234567", MONTH_RECORDS,
                                               datetime(2026, 11, 1), 30 * 86400 - 1)), NOW)
            import_usage(io.StringIO(usage_csv("0671234568", MONTH_RECORDS // 10,
                                               datetime(2026, 11, 1), 30 * 86400 - 1)), NOW)
            models.db.close()

        client = app.test_client()
        client.post("/login", data={"login": "0671234568", "password": PASSWORD})
        _, _, small_peak = streamed_csv(client, "/expenses.csv?month=2026-11")
        client.post("/numbers/select", data={"number": "0671234567"})

        url = "/expenses?month=2026-11"
        client.get(url)  # warm the templates and the page cache once
        seconds, response = timed(lambda: client.get(url))
        assert response.status_code == 200 and b"spent-total" in response.get_data()
        results.append(("page of the month, s", f"{seconds:.3f}", "< 1", seconds < 1))
        with app.app_context():  # a cursor near the end: the month's last page
            models.db.connect(reuse_if_open=True)
            record = (models.UsageRecord.select().join(models.Subscription)
                      .where(models.Subscription.number == "+380671234567")
                      .order_by(models.UsageRecord.started_at.desc()).offset(20).first())
            cursor = format_cursor(record.started_at, record.id)
            models.db.close()
        seconds, response = timed(lambda: client.get(f"{url}&after={cursor}"))
        assert response.status_code == 200 and response.get_data().count(b"<time ") == 20
        results.append(("last page of the month, s", f"{seconds:.3f}", "< 1", seconds < 1))

        seconds, size, peak = streamed_csv(client, "/expenses.csv?month=2026-11")
        results.append(("CSV of 30,000 records, s", f"{seconds:.2f} ({size / 1e6:.1f} MB)",
                        "< 5", seconds < 5))
        growth = peak - small_peak
        results.append(("CSV memory: peak 30,000 vs 3,000 records, MB",
                        f"{peak / 1e6:.2f} vs {small_peak / 1e6:.2f}", "+ < 2",
                        growth < 2_000_000))

        seconds, response = timed(lambda: client.get("/expenses.pdf?month=2026-11"))
        assert response.status_code == 200
        results.append(("PDF of 30,000 records, s (no target)",
                        f"{seconds:.1f} ({len(response.get_data()) / 1e6:.1f} MB)", "-", True))

    for name, value, target, passed in results:
        print(f"{'ok  ' if passed else 'MISS'} {name:48} {value:>22}   target {target}")
        ok &= passed
    return ok
