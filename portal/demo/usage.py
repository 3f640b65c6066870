"""The demo's usage: three months of plausible records for every demo number (two whole
months and this one so far), the same on every run."""
import random
from datetime import timedelta

import models
from models import ServiceInterruption, ServiceRequest, Subscription, UsageRecord
from rules import services as services_rules, states as states_rules
from rules.dates import add_months, day_start, local_day, month_start

BATCH = 2000  # rows per insert

DEMO_MONTHS = 3
CONTACTS = ("+380671112233", "+380972223344", "+380685556677", "+380501234567",
            "+380631234567", "+380931112200", "+380961234500", "+380731231231")
ON_NET = ("67", "68", "96", "97", "98", "39", "77")
# The day the state of each demo number that is not active began, from today: its usage
# stops at the start of that day (cabinets.load_requests asks for the SIM block and the
# pause on that day; a pause's or a debt block's interruption starts on it). Тарас's
# account has been paused since the 11th of last month (the accrual leaves those days out).
STATE_SINCE = {
    "+380961234567": lambda today: today - timedelta(days=12),
    "+380981234567": lambda today: today - timedelta(days=6),
    "10000002": lambda today: add_months(month_start(today), -1).replace(day=11),
    "+380972223344": lambda today: today - timedelta(days=2),
    "+380973334455": lambda today: today - timedelta(days=45),
}
SERVICES = (("Хто дзвонив", 500), ("Мелодія замість гудка", 2500), ("Роумінг: пакет", 9900),
            ("Додатковий інтернет 5 ГБ", 5000))


def _moment(rng, day, hour_from=7, hour_to=23):
    seconds = rng.randrange(hour_from * 3600, hour_to * 3600)
    return day_start(day) + timedelta(seconds=seconds, microseconds=rng.randrange(1_000_000))


def _on_net(number):
    return number[4:6] in ON_NET


def state_since(number, now):
    """The midnight a demo number's state began (None: the number is active)."""
    since = STATE_SINCE.get(number)
    return None if since is None else day_start(since(local_day(now)))


def demo_records(subscription, start, now):
    """A subscriber's plausible usage from `start` to `now` (or until its state began),
    the same on every run."""
    now = state_since(subscription.number, now) or now
    rng = random.Random(subscription.number)
    # A number paused at the subscriber's request pays no monthly fee.
    fee = subscription.tariff.monthly_fee if subscription.status != "suspended" else 0
    records = []

    def add(moment, usage_type, counterpart, quantity, amount):
        if moment < now:
            records.append((subscription.id, moment, usage_type, counterpart, quantity, amount))

    day = start
    while day <= local_day(now):
        if day.day == 1 and fee:
            add(day_start(day) + timedelta(seconds=5, microseconds=rng.randrange(10**6)),
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


def load_usage(demo_clock):
    """Three months of usage (two whole months and this one so far) for every subscriber
    that has none yet, so running it again adds nothing; a pause or a debt block began
    when STATE_SINCE_DAYS says."""
    now = demo_clock.now()
    for number in STATE_SINCE:
        ServiceInterruption.update(start=local_day(state_since(number, now))).where(
            ServiceInterruption.subscription.in_(
                Subscription.select(Subscription.id).where(Subscription.number == number))
            & ServiceInterruption.end.is_null()).execute()
    first = local_day(now).replace(day=1)
    for _ in range(DEMO_MONTHS - 1):
        first = (first - timedelta(days=1)).replace(day=1)
    with_usage = UsageRecord.select(UsageRecord.subscription).distinct()
    subscriptions = (Subscription.select(Subscription, models.Tariff).join(models.Tariff)
                     .where(Subscription.id.not_in(with_usage)).order_by(Subscription.id))
    for subscription in subscriptions:
        records = demo_records(subscription, first, now)
        for index in range(0, len(records), BATCH):
            UsageRecord.insert_rows(records[index:index + BATCH])



def state_began(subscription, now):
    """When the state of a number that is not active began, as the data says: the open
    interruption of a pause or a debt block, the SIM block request done, and for a closed
    number (the feed says only 'closed') the demo's own date. None when unknown."""
    state = subscription.state
    if state in (states_rules.SUSPENDED, states_rules.DEBT_BLOCKED):
        row = ServiceInterruption.get_or_none((ServiceInterruption.subscription == subscription)
                                              & ServiceInterruption.end.is_null())
        return day_start(row.start) if row else None
    if state == states_rules.SIM_BLOCKED:
        row = (ServiceRequest.select().where(
            (ServiceRequest.subscription == subscription)
            & (ServiceRequest.kind == services_rules.SIM_BLOCK)
            & (ServiceRequest.state == services_rules.DONE))
            .order_by(ServiceRequest.finished_at.desc()).first())
        return row.finished_at if row else None
    if state == states_rules.CLOSED:
        return state_since(subscription.number, now)
    return None


def usage_after_state(now):
    """[(number, state, began, the first record after)] of paused, blocked or closed
    numbers with usage after their state began: `demo-data` refuses such a data set."""
    found = []
    for subscription in Subscription.select().where(
            (Subscription.status != states_rules.ACTIVE) | Subscription.sim_blocked):
        began = state_began(subscription, now)
        if began is None:
            continue
        later = (UsageRecord.select(UsageRecord.started_at)
                 .where((UsageRecord.subscription == subscription)
                        & (UsageRecord.started_at >= began))
                 .order_by(UsageRecord.started_at).first())
        if later is not None:
            found.append((subscription.number, subscription.state, began, later.started_at))
    return found
