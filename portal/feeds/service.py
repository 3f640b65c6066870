"""The operator's two feeds, each imported whole or not at all: the subscriber feed (read
all of it, check every row, then write all of it) and the usage feed.

A usage import streams the file through one transaction: rows are checked and inserted in
batches as they come (memory stays flat however long the file), and the first bad row
turns the rest of the pass into checking only; at the end any problem rolls everything
back, so a file is imported whole or not at all.

Balances stay the billing's: the subscriber feed brings them, and a usage import does not
change them (its records are the history of what the billing charged). The low-balance
alert (portal/core/alerts.py) therefore judges each number on the balance the file
implies: the balance on file less what the file charges it, net of what it credits (a file
is taken to hold what was used since that balance). Only where the file ends counts: a
number the file takes below its threshold and back gets no SMS, and none tells of a
balance the file does not end on. The sums are kept per number as the rows stream by, and
judged once, in the import's transaction, after the last row."""
import models
from models import Profile, Subscription, Tariff, UsageRecord
from rules import bonus_spending as spending_rules
from rules.amounts import format_plain
from rules.dates import local_day
from rules.expenses import BONUS_COLUMN, missing_usage_columns, parse_usage_row
from rules.feeds import MAX_FIELD, RowError, missing_columns, parse_subscriber_row, read_feed
from ..bonuses import service as bonuses_service
from ..core import alerts, autopay

# Both feeds: a record the CSV reader stops in, and what no field may hold.
_NOT_READ = "; the rest of the file was not read"
FEED_REASONS = {
    "field_limit": f"longer than {MAX_FIELD} characters{_NOT_READ}",
    "open_quote": f"a quote opens here and is never closed{_NOT_READ}",
    "after_quote": f"a closing quote is followed by more text in the same field{_NOT_READ}",
    "unreadable": f"not readable as CSV ({{error}}){_NOT_READ}",
    "columns": "the row has {fields} columns, the header has {header}",
    "control": "holds a control character",
}
SUBSCRIBER_REASONS = {
    **FEED_REASONS,
    "choice": "not one of the allowed values",
    "empty": "empty",
    "invalid": "not a phone number",
    "foreign": "not a number of ours (039, 067, 068, 077, 096, 097, 098)",
    "account": "not an 8-digit Home Internet account number",
    "required": "required",
    "too_long": "too long",
    "unknown": "no such tariff in the catalogue",
    "wrong_kind": "the tariff is for another kind of subscription",
    "amount": "not an amount in UAH with at most 2 decimals",
    "future": "in the future",
    "date": "not a date YYYY-MM-DD",
    "duplicate": "the same number is on an earlier line",
}


def describe(error, reasons):
    """A RowError as the operator reads it: "field ('value'): reason", or the reason alone
    when it is about the row as a whole."""
    reason = reasons[error.code].format(**error.details)
    if error.field is None:
        return reason
    shown = f" ({error.value!r})" if error.value else ""
    return f"{error.field}{shown}: {reason}"


class FeedError(Exception):
    """Every problem found in a feed: (line, message) pairs."""

    def __init__(self, problems):
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = problems


def read_subscriber_feed(stream, today):
    """Rows of a CSV feed as (line, SubscriberRow); FeedError lists every bad row."""
    header, records = read_feed(stream)
    missing = missing_columns(header)
    if missing:
        raise FeedError([(1, f"missing columns: {', '.join(missing)}")])
    tariff_kinds = Tariff.kinds_by_code()
    rows, problems, seen = [], [], {}
    for line, record, errors in records:
        if not errors:
            row, errors = parse_subscriber_row(record, tariff_kinds, today)
        problems += [(line, describe(error, SUBSCRIBER_REASONS)) for error in errors]
        if errors:
            continue
        if row.number in seen:
            problems.append((line, f"number: {SUBSCRIBER_REASONS['duplicate']} ({seen[row.number]})"))
            continue
        seen[row.number] = line
        rows.append((line, row))
    if problems:
        raise FeedError(problems)
    return rows


def upsert_subscribers(rows, now, on_created=None):
    """Create or update each subscription and its profile in one transaction;
    `on_created(row, subscription)` is called, in it, for each new one (the welcome SMS).
    Returns (created, updated)."""
    created = updated = 0
    with models.db.atomic():
        profiles_by_key = {}
        for _line, row in rows:
            subscription = Subscription.get_or_none(Subscription.number == row.number)
            if row.profile:
                profile = profiles_by_key.get(row.profile) or Profile.get_or_none(
                    Profile.key == row.profile)
                if profile is None:
                    profile = Profile.create(key=row.profile, name=row.name, created_at=now)
                profiles_by_key[row.profile] = profile
            elif subscription is not None:
                profile = subscription.profile
            else:
                profile = Profile.create(name=row.name, created_at=now)
            fields = dict(kind=row.kind, profile=profile, tariff=row.tariff, holder_name=row.name,
                          payment=row.payment, customer=row.customer, status=row.status,
                          balance=row.balance, bonus_balance=row.bonus_balance,
                          activated_on=row.activated_on, updated_at=now)
            if subscription is None:
                subscription = Subscription.create(number=row.number, **fields)
                created += 1
                if on_created is not None:
                    on_created(row, subscription)
            else:
                bonuses_service.correct(subscription, row.bonus_balance, now)
                Subscription.update(**fields).where(Subscription.id == subscription.id).execute()
                updated += 1
            models.ServiceInterruption.track(subscription.id, row.status, local_day(now))
        alerts.clear_recovered()
    return created, updated


def import_subscriber_file(path, clock, on_created=None):
    with open(path, newline="", encoding="utf-8-sig") as stream:
        rows = read_subscriber_feed(stream, clock.today())
    return upsert_subscribers(rows, clock.now(), on_created)


BATCH = 2000  # rows per executemany


USAGE_REASONS = {
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
    # A bonus part (the optional column bonus_amount), held to the guide's rules.
    "bonus_format": "{text!r} is not an amount in UAH with at most 2 decimals",
    "more_than_charged": "more than the {left} UAH charged",
    "account": "bonuses pay for mobile numbers' usage only, not a Home Internet account's",
    "free_family": "bonuses pay for nothing on the \u201cFree\u201d (Svobodnyi) tariffs",
    "business": "bonuses pay only for prepaid numbers and individuals' contract numbers",
    "type": "bonuses pay only for outgoing calls, SMS/MMS and mobile internet",
    "abroad": "bonuses pay only for calls and messages to Ukrainian numbers and the "
              "answering-machine numbers",
    "live": "more than the {left} UAH of moved bonuses live on the number at that moment",
    "monthly": "past the {limit} UAH a month bonuses may pay: {left} UAH were left this month",
}


def _bonus_problem(error):
    """A refused bonus part as a RowError of its column (the figures in UAH)."""
    return RowError(BONUS_COLUMN, error.code, left=format_plain(error.left),
                    limit=format_plain(error.limit))


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
    topped_up = set()  # subscription ids the file tops up (re-arms their alert)
    with models.locking_transaction():
        spending = bonuses_service.BonusSpending()
        for line, record, errors in records:
            row = None
            if not errors:
                row, errors = parse_usage_row(record, now)
            if row is not None:
                subscription_id = subscription_ids[row.number]
                if subscription_id is None:
                    errors = [RowError("number", "unknown", row.number)]
            if not errors and row.bonus_amount:
                try:
                    spending.accept(subscription_id, row)
                except spending_rules.BonusSpendError as error:
                    errors = [_bonus_problem(error)]
            if errors:
                problems += [(line, describe(error, USAGE_REASONS)) for error in errors]
                continue
            count += 1
            if problems:
                continue  # nothing of this file will be kept: only check the rest
            pending.append((subscription_id, row.started_at, row.type, row.counterpart,
                            row.quantity, row.amount, row.bonus_amount))
            # What the money balance paid: the bonus part left it alone.
            charged[subscription_id] = (charged.get(subscription_id, 0) + row.amount
                                        - row.bonus_amount)
            if row.type == "topup":
                topped_up.add(subscription_id)
            if len(pending) >= batch:
                UsageRecord.insert_rows(pending)
                pending = []
        if problems:
            raise FeedError(problems)  # leaving the block rolls the transaction back
        if pending:
            UsageRecord.insert_rows(pending)
        spending.book()
        alerts.after_import(charged, topped_up)
        autopay.after_import(charged)
    return count


def import_usage_file(path, clock):
    with open(path, newline="", encoding="utf-8-sig") as stream:
        return import_usage(stream, clock.now())
