"""Sending a free SMS: counted against the sender's day under its row's lock, and queued
in the same transaction."""

import models
from models import FreeSms, Subscription
from rules import sms as sms_rules
from rules.dates import day_start
from ..core import clock, sms


def sender_prefix(subscription):
    """The recipient sees who wrote: the sender's number opens the text (and is counted)."""
    return subscription.number + ": "


def start_of_day():
    return day_start(clock.today())


def send(sender_id, to, text, counted, now):
    """Send `text` (counted as `counted`, sms_rules.count) from the sender to `to`; raises
    sms_rules.SmsRefused ('cap') when the day's free parts would be passed."""
    with models.locking_transaction():
        # One sender's SMS are counted one at a time, under its row's lock.
        sender = Subscription.locked(sender_id)
        sms_rules.check_daily_cap(FreeSms.parts_since(sender, start_of_day()), counted.parts)
        FreeSms.create(sender=sender, to=to, text=text, parts=counted.parts,
                       encoding=counted.encoding, sent_at=now)
        sms.send(to, sender_prefix(sender) + text, kind=sms.FREE_SMS)
