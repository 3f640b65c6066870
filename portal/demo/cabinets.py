"""The demo cabinets' own data: the SIM card and phone of each number, Олена's widget
token and low-balance alert, and the history of requests."""
import csv
from datetime import timedelta

from models import ApiToken, Device, Profile, ServiceConnection, ServiceRequest, Subscription
from rules import profile as profile_rules, services as services_rules
from rules.numbers import parse_mobile
from ..core import alerts, security
from ..profile.service import DEMO_TOKEN
from .data import DEMO_DIR
from .usage import state_since


def load_devices(demo_clock, path=None):
    """The SIM card and phone of each demo number: what the network knows and the
    subscriber feed does not carry. Safe to run again."""
    path = path or DEMO_DIR / "devices.csv"
    with open(path, newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if not (profile_rules.is_iccid(row["iccid"]) and profile_rules.is_puk(row["puk1"])):
                raise ValueError(f"{path}: bad SIM data for {row['number']}")
            subscription = Subscription.by_number(parse_mobile(row["number"]))
            if subscription is None:
                continue
            fields = {"phone_model": row["phone_model"], "iccid": row["iccid"],
                      "puk1": row["puk1"]}
            if Device.update(**fields).where(Device.subscription == subscription).execute() == 0:
                Device.create(subscription=subscription, **fields)


def load_token(demo_clock):
    """Олена's widget token, DEMO_TOKEN, so a trainer can call the API (README). Its value
    is public, so the API takes it in demo mode only. Safe to run again."""
    owner = Profile.get_or_none(Profile.key == "olena")
    digest = security.keyed_digest(DEMO_TOKEN)
    if owner and not ApiToken.select().where(ApiToken.digest == digest).exists():
        ApiToken.create(profile=owner, name="Віджет на телефоні", digest=digest,
                        created_at=demo_clock.now())


DEMO_NUMBER, DEMO_THRESHOLD = "+380671234567", 100_00


def load_alert(demo_clock):
    """Олена's 067 123 45 67 has an alert at 100 UAH (set unless one is set already)."""
    subscription = Subscription.by_number(DEMO_NUMBER)
    if subscription is not None and subscription.alert_threshold is None:
        alerts.set_threshold(subscription.id, DEMO_THRESHOLD)



def load_requests(demo_clock):
    """Demo history: Olena's 'Who called' and an earlier tariff switch, Taras's paused
    Home Internet, Olha's SIM card blocked (a lost phone). Only for numbers that have no
    requests yet, so it is safe to run again."""
    now = demo_clock.now()

    def days_since(number):  # asked on the day its state began, at this time of day
        return (now - state_since(number, now)).days

    history = {
        "+380671234567": [
            dict(kind=services_rules.TARIFF_SWITCH, subject="smart", previous="free", days=40),
            dict(kind=services_rules.SERVICE_CONNECT, subject="who-called", days=12),
        ],
        "10000002": [dict(kind=services_rules.PAUSE, days=days_since("10000002"))],
        "+380972223344": [dict(kind=services_rules.SIM_BLOCK, days=days_since("+380972223344"))],
    }
    for number, requests in history.items():
        subscription = Subscription.by_number(number)
        if subscription is None or ServiceRequest.select().where(
                ServiceRequest.subscription == subscription).exists():
            continue
        for item in requests:
            at = now - timedelta(days=item.pop("days"))
            done_at = at + services_rules.PROCESSING_DELAY if item["kind"] in services_rules.DEFERRED_KINDS else at
            ServiceRequest.create(subscription=subscription, state=services_rules.DONE, created_at=at,
                                  due_at=done_at if done_at != at else None,
                                  finished_at=done_at, **item)
            if item["kind"] == services_rules.SERVICE_CONNECT:
                ServiceConnection.get_or_create(subscription=subscription,
                                                service=item["subject"],
                                                defaults={"connected_at": at})
            if item["kind"] == services_rules.SIM_BLOCK:
                Subscription.update(sim_blocked=True).where(
                    Subscription.id == subscription.id).execute()
