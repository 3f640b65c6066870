"""Loading the demo data set (`flask demo-data`): the subscribers from demo/, then each
loader in the order of LOADERS, each safe to run again."""
from flask import current_app

import models
from ..core import catalogue, security
from ..feeds.service import import_subscriber_file
from . import cabinets, money, support, usage
from .data import DEMO_CONFIRMED, DEMO_DIR, DEMO_PASSWORD

# Loaded in this order after the subscribers: functions (clock), each safe to run again.
LOADERS = (cabinets.load_devices, usage.load_usage, cabinets.load_requests,
           support.load_support, money.load_bonuses, money.load_credit, cabinets.load_alert,
           cabinets.load_token)


def load_demo_data(reset=False):
    demo_clock = current_app.config["CLOCK"]
    if reset:
        with models.locking_transaction():
            for model in reversed(models.all_models()):
                if model is not models.DemoTimeline:  # "now" runs on through a reset
                    model.delete().execute()
        catalogue.apply(catalogue.load())
    created, updated = import_subscriber_file(DEMO_DIR / "subscribers.csv", demo_clock)
    password_hash = security.hash_password(DEMO_PASSWORD)
    with models.locking_transaction():
        models.Profile.update(password_hash=password_hash, confirmed_at=demo_clock.now()).where(
            models.Profile.key.in_(DEMO_CONFIRMED)).execute()
        for loader in LOADERS:
            loader(demo_clock)
    return created, updated


def is_empty():
    return not models.Subscription.table_exists() or models.Subscription.select().count() == 0
