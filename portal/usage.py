"""The operator's usage feed (`flask import-usage FILE.csv`) and the demo usage.

An import streams the file through one transaction: rows are checked and inserted in
batches as they come (memory stays flat however long the file), and the first bad row
turns the rest of the pass into checking only; at the end any problem rolls everything
back, so a file is imported whole or not at all.

Balances stay the billing's: the subscriber feed brings them, and an import does not
change them (its records are the history of what the billing charged). The low-balance
alert (portal/alerts.py) therefore judges each number on the balance the file implies:
the balance on file less what the file charges it, net of what it credits (a file is
taken to hold what was used since that balance). Only where the file ends counts: a
number the file takes below its threshold and back gets no SMS, and none tells of a
balance the file does not end on. The sums are kept per number as the rows stream by, and
judged once, in the import's transaction, after the last row.
"""
import random
import time as timer
from datetime import datetime, time, timedelta

import click

import models
from models import Subscription, UsageRecord
from rules.expenses import missing_usage_columns, parse_usage_row
from rules.feeds import RowError, read_feed
from . import alerts, clock, sms
from .cli import import_feed
from .subscribers import FEED_REASONS, FeedError, describe

BATCH = 2000  # rows per executemany

REASONS = {
    **FEED_REASONS,
    "required": "required",
    "invalid": "not a phone number or an 8-digit account number",
    "foreign": "not a number of ours (039, 067, 068, 077, 096, 097, 098)",
    "unknown": "no such number or account in the subscriber base",
    "datetime": "not a date and time like 2026-11-24T09:15:02.125",
    "future": "later than now",
    "too_early": "before the year 2000",
    "choice": "not one of call_out, call_in, sms_out, sms_in, internet, subscription, "
              "service, topup, transfer_in, transfer_out",
    "too_long": "longer than 64 characters",
    "quantity": "not a whole number of seconds, kilobytes or pieces",
    "amount": "not an amount in UAH with at most 2 decimals",
    "credit_expected": "a top-up or incoming transfer is credited: the amount must be "
                       "negative or zero",
    "charge_expected": "an outgoing transfer is charged: the amount must be positive or zero",
}


class _SubscriptionIds:
    """number -> subscription id, each number looked up once per import."""

    def __init__(self):
        self.known = {}

    def __getitem__(self, number):
        if number not in self.known:
            found = Subscription.select(Subscription.id).where(
                Subscription.number == number).scalar()
            self.known[number] = found
        return self.known[number]


def import_usage(stream, now, batch=BATCH):
    """Append the records of a usage CSV; returns how many. Raises FeedError with every
    (line, message) problem, having written nothing."""
    header, records = read_feed(stream)
    missing = missing_usage_columns(header)
    if missing:
        raise FeedError([(1, f"missing columns: {', '.join(missing)}")])
    subscription_ids = _SubscriptionIds()
    problems, pending, count = [], [], 0
    charged = {}  # subscription id -> what the file charges it, net (kopiyky)
    with models.db.atomic():
        for line, record, errors in records:
            row = None
            if not errors:
                row, errors = parse_usage_row(record, now)
            if row is not None:
                subscription_id = subscription_ids[row.number]
                if subscription_id is None:
                    errors = [RowError("number", "unknown", row.number)]
            if errors:
                problems += [(line, describe(error, REASONS)) for error in errors]
                continue
            count += 1
            if problems:
                continue  # nothing of this file will be kept: only check the rest
            pending.append((subscription_id, row.started_at, row.type, row.counterpart,
                            row.quantity, row.amount))
            charged[subscription_id] = charged.get(subscription_id, 0) + row.amount
            if len(pending) >= batch:
                UsageRecord.insert_rows(pending)
                pending = []
        if problems:
            raise FeedError(problems)  # leaving the block rolls the transaction back
        if pending:
            UsageRecord.insert_rows(pending)
        alerts.after_import(charged)
    return count


def import_usage_file(path, clock):
    with open(path, newline="", encoding="utf-8-sig") as stream:
        return import_usage(stream, clock.now())


def init_app(app):
    @app.cli.command("import-usage")
    @click.argument("file", type=click.Path(dir_okay=False))
    def import_usage_command(file):
        """Append usage and charge records from the operator's CSV feed: all rows or none."""
        started = timer.perf_counter()

        def run():
            imported = import_usage_file(file, clock)
            sms.deliver_queued()  # the low-balance alerts, once the import has committed
            return imported

        count = import_feed(file, run)
        seconds = timer.perf_counter() - started
        click.echo(f"Imported {count} usage records in {seconds:.1f} s.")


# ---------------------------------------------------------------- demo usage

DEMO_MONTHS = 3
CONTACTS = ("+380671112233", "+380972223344", "+380685556677", "+380501234567",
            "+380631234567", "+380931112200", "+380961234500", "+380731231231")
ON_NET = ("67", "68", "96", "97", "98", "39", "77")
SERVICES = (("Хто дзвонив", 500), ("Мелодія замість гудка", 2500), ("Роумінг: пакет", 9900),
            ("Додатковий інтернет 5 ГБ", 5000))


def _moment(rng, day, hour_from=7, hour_to=23):
    seconds = rng.randrange(hour_from * 3600, hour_to * 3600)
    return (datetime.combine(day, time()) + timedelta(seconds=seconds,
                                                       microseconds=rng.randrange(1_000_000)))


def _on_net(number):
    return number[4:6] in ON_NET


def demo_records(subscription, start, now):
    """A subscriber's plausible usage from `start` to `now`, the same on every run."""
    rng = random.Random(subscription.number)
    # A number paused at the subscriber's request pays no monthly fee.
    fee = subscription.tariff.monthly_fee if subscription.status != "suspended" else 0
    records = []

    def add(moment, usage_type, counterpart, quantity, amount):
        if moment <= now:
            records.append((subscription.id, moment, usage_type, counterpart, quantity, amount))

    day = start
    while day <= now.date():
        if day.day == 1 and fee:
            add(datetime.combine(day, time(0, 0, 5)) + timedelta(microseconds=rng.randrange(10**6)),
                "subscription", subscription.tariff.code, 1, fee)
        if subscription.is_mobile:
            for _ in range(rng.randint(1, 6)):
                contact = rng.choice(CONTACTS)
                seconds = int(rng.lognormvariate(4.5, 1.0)) + 3
                charged = 0 if _on_net(contact) else -(-seconds // 60) * 150
                add(_moment(rng, day), "call_out", contact, seconds, charged)
            for _ in range(rng.randint(0, 4)):
                add(_moment(rng, day), "call_in", rng.choice(CONTACTS),
                    int(rng.lognormvariate(4.2, 1.0)) + 2, 0)
            for _ in range(rng.randint(0, 3)):
                contact = rng.choice(CONTACTS)
                add(_moment(rng, day), "sms_out", contact, 1, 0 if _on_net(contact) else 80)
            for _ in range(rng.randint(0, 3)):
                add(_moment(rng, day), "sms_in", rng.choice(CONTACTS + ("Kyivstar", "NovaPoshta")),
                    1, 0)
            for _ in range(rng.randint(2, 6)):
                # Now and then the package runs out and a session is paid for.
                add(_moment(rng, day, 0, 24), "internet", "internet",
                    int(rng.lognormvariate(10.5, 1.2)),
                    rng.choice((500, 1000, 2000)) if rng.random() < 0.04 else 0)
            if rng.random() < 0.08:
                name, price = rng.choice(SERVICES)
                add(_moment(rng, day), "service", name, 1, price)
            if rng.random() < 0.03:
                add(_moment(rng, day), "transfer_out", rng.choice(CONTACTS), 1,
                    rng.choice((2000, 5000, 10000)))
            if rng.random() < 0.02:
                add(_moment(rng, day), "transfer_in", rng.choice(CONTACTS), 1,
                    -rng.choice((3000, 5000)))
        else:
            add(_moment(rng, day, 0, 1), "internet", "", int(rng.lognormvariate(14.5, 0.6)), 0)
        if day.day in (3, 17) or rng.random() < 0.02:
            add(_moment(rng, day, 8, 22), "topup", "card", 1, -rng.choice((10000, 15000, 20000,
                                                                             30000)))
        day += timedelta(days=1)
    return records


def load_demo(demo_clock):
    """Three months of usage (two whole months and this one so far) for every subscriber
    that has none yet, so running it again adds nothing."""
    now = demo_clock.now()
    first = now.date().replace(day=1)
    for _ in range(DEMO_MONTHS - 1):
        first = (first - timedelta(days=1)).replace(day=1)
    with_usage = UsageRecord.select(UsageRecord.subscription).distinct()
    subscriptions = (Subscription.select(Subscription, models.Tariff).join(models.Tariff)
                     .where(Subscription.id.not_in(with_usage)).order_by(Subscription.id))
    for subscription in subscriptions:
        records = demo_records(subscription, first, now)
        for index in range(0, len(records), BATCH):
            UsageRecord.insert_rows(records[index:index + BATCH])

