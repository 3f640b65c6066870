"""The operator's subscriber feed: read all of it, check every row, then write all of it."""
import models
from models import Profile, Subscription, Tariff
from rules.feeds import MAX_FIELD, missing_columns, parse_subscriber_row, read_feed
from . import alerts

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
REASONS = {
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
        problems += [(line, describe(error, REASONS)) for error in errors]
        if errors:
            continue
        if row.number in seen:
            problems.append((line, f"number: {REASONS['duplicate']} ({seen[row.number]})"))
            continue
        seen[row.number] = line
        rows.append((line, row))
    if problems:
        raise FeedError(problems)
    return rows


def upsert_subscribers(rows, now):
    """Create or update each subscription and its profile in one transaction.
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
            else:
                Subscription.update(**fields).where(Subscription.id == subscription.id).execute()
                updated += 1
            models.ServiceInterruption.track(subscription.id, row.status, now.date())
        alerts.clear_recovered()
    return created, updated


def import_subscriber_file(path, clock):
    with open(path, newline="", encoding="utf-8-sig") as stream:
        rows = read_subscriber_feed(stream, clock.today())
    return upsert_subscribers(rows, clock.now())
