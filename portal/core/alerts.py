"""The low-balance alert (rules.alerts): one SMS when a debit leaves a mobile number's
balance below the threshold its subscriber set in /settings, none again until a top-up has
put the balance at or above it, and at most one a day (the SMS budget).

Every money event judges it (portal/core/money_events.py: `judge` on the locked row, in
its transaction, after the ledger has posted): the SMS is queued in that transaction. A
usage import calls `after_import` once, with what it adds up per number (see
portal/feeds/service.py for the balance it compares); the subscriber feed, which sets
balances, clears the flag of every number it brings back (`clear_recovered`). The form
that sets it is the settings page's (portal/profile/settings_views.py)."""
from flask_babel import gettext as _

from models import Profile, Subscription
from rules import alerts as alerts_rules
from . import sms
from .formatting import phone, uah


def alert_text(number, balance, threshold):
    return _("The balance of %(number)s is %(balance)s, below your alert at %(threshold)s. "
             "Top it up by card in My cabinet (Top up) to keep it working.",
             number=phone(number), balance=uah(balance), threshold=uah(threshold))


def _send(number, balance, threshold, profile=None):
    """Queue the alert unless the number had one in the last day (None then)."""
    with sms.language_of(number=None if profile else number, profile=profile):
        return sms.send(number, alert_text(number, balance, threshold), kind=sms.ALERT)


def judge(subscription, debit, topped_up=False):
    """Money was just taken from (`debit`) or put on `subscription` (locked; its balance is
    the new one; `topped_up`: by a top-up): below the threshold after a debit sends the SMS
    once; a top-up back at it clears the flag."""
    verdict = alerts_rules.after_change(subscription.alert_threshold, subscription.alert_sent,
                                        subscription.balance, debit, topped_up)
    if verdict.alerted != subscription.alert_sent:
        Subscription.update(alert_sent=verdict.alerted).where(
            Subscription.id == subscription.id).execute()
        subscription.alert_sent = verdict.alerted
    if verdict.send:
        _send(subscription.number, subscription.balance, subscription.alert_threshold)


def after_import(charged_by_id, topped_up_ids=frozenset()):
    """A usage import added, per subscription id, records summing to `charged_by_id[id]`
    (charged positive, credited negative; `topped_up_ids` had a top-up among them); each
    number with an alert is judged on the balance that implies (see portal/usage.py). One query finds the numbers with an alert;
    the flags change in one statement each way; an SMS per number that crossed. Returns
    how many SMS were queued."""
    if not charged_by_id:
        return 0
    watched = (Subscription.select(Subscription.id, Subscription.number, Subscription.balance,
                                   Subscription.alert_threshold, Subscription.alert_sent,
                                   Profile.id, Profile.language)
               .join(Profile).where(Subscription.alert_threshold.is_null(False)))
    raised, cleared, sent = [], [], 0
    for row in watched:
        charged = charged_by_id.get(row.id, 0)
        if not charged:
            continue
        implied = row.balance - charged
        verdict = alerts_rules.after_change(row.alert_threshold, row.alert_sent, implied,
                                            charged > 0, row.id in topped_up_ids)
        if verdict.alerted != row.alert_sent:
            (raised if verdict.alerted else cleared).append(row.id)
        if verdict.send and _send(row.number, implied, row.alert_threshold,
                                  profile=row.profile) is not None:
            sent += 1
    for ids, flag in ((raised, True), (cleared, False)):
        if ids:
            Subscription.update(alert_sent=flag).where(Subscription.id.in_(ids)).execute()
    return sent


def clear_recovered():
    """The subscriber feed has just set balances (the billing's): a number back at or above
    its threshold is no longer alerted, whatever paid it in."""
    Subscription.update(alert_sent=False).where(
        Subscription.alert_sent & (Subscription.balance >= Subscription.alert_threshold)
    ).execute()


def set_threshold(subscription_id, threshold):
    """Set (or with None, turn off) the alert of a locked row, in the caller's transaction."""
    subscription = Subscription.locked(subscription_id)
    Subscription.update(alert_threshold=threshold,
                        alert_sent=alerts_rules.alerted_when_set(threshold, subscription.balance)
                        ).where(Subscription.id == subscription_id).execute()


