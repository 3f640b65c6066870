"""Welcome SMS (docs/sms-budgets.md): the subscriber feed queues, for each new mobile number
whose cabinet never existed (rules.feeds.welcome_due), one SMS with the login and a
temporary password; `import-subscribers` sends what it can once its import has committed,
and `send-sms` (a minute timer) the rest, inside the SMS budget ('welcome'), so each
goes within the day. The password is made when the SMS goes (never kept readable), and
the first sign-in asks for a new one, as "Get a password" does."""
from flask_babel import format_datetime, gettext as _

import models
from models import Profile, WelcomeSms
from rules import feeds as feeds_rules
from rules.passwords import TEMPORARY_PASSWORD_LIFETIME, generate_temporary_password
from ..core import clock, security, sms
from ..core.formatting import phone


def _had_cabinet(profile):
    return bool(profile.password_hash or profile.temporary_password_hash
                or profile.confirmed_at)


class Queue:
    """Collects the new subscriptions of one import (upsert_subscribers' `on_created`),
    inside its transaction; `queued` counts the welcome SMS queued."""

    def __init__(self, now):
        self.now, self.queued, self.seen = now, 0, set()

    def __call__(self, row, subscription):
        profile = subscription.profile
        if (not feeds_rules.welcome_due(row) or profile.id in self.seen
                or _had_cabinet(profile)
                or WelcomeSms.select().where(WelcomeSms.profile == profile.id).exists()):
            return
        self.seen.add(profile.id)
        WelcomeSms.create(profile=profile.id, to=subscription.number, queued_at=self.now)
        self.queued += 1


def welcome_text(number, password, until):
    return _("Welcome to My cabinet! Login: %(login)s, temporary password: %(password)s "
             "(valid until %(until)s). At the first sign-in you choose your own. Never "
             "tell it to anyone.", login=phone(number), password=password,
             until=format_datetime(until, "dd.MM HH:mm"))


def _send_one(welcome_id, now):
    """In one transaction: the cabinet's temporary password set and its SMS queued, the
    row marked sent. True when sent; the budget's refusal rolls it all back."""
    password = generate_temporary_password()
    expires = now + TEMPORARY_PASSWORD_LIFETIME
    with models.locking_transaction():
        welcome = models.for_update(WelcomeSms.select().where(
            (WelcomeSms.id == welcome_id) & (WelcomeSms.state == WelcomeSms.QUEUED))).first()
        if welcome is None:  # another server's job has just sent it
            return False
        profile = Profile.locked(welcome.profile_id)
        if _had_cabinet(profile):  # the subscriber got a password meanwhile
            WelcomeSms.update(state=WelcomeSms.NOT_NEEDED, done_at=now).where(
                WelcomeSms.id == welcome.id).execute()
            return False
        Profile.update(temporary_password_hash=security.hash_password(password),
                       temporary_password_expires_at=expires).where(
            Profile.id == profile.id).execute()
        with sms.language_of(profile=profile):
            sms.send(welcome.to, welcome_text(welcome.to, password, expires), kind="welcome",
                     secret=(password,))
        WelcomeSms.update(state=WelcomeSms.SENT, done_at=now).where(
            WelcomeSms.id == welcome.id).execute()
        security.audit("welcome_sms", profile=profile, subject=welcome.to)
    return True


def send_due():
    """Every queued welcome SMS the budget lets go now; returns how many went."""
    now, sent = clock.now(), 0
    for welcome_id in [row.id for row in WelcomeSms.due()]:
        try:
            sent += _send_one(welcome_id, now)
        except sms.BudgetRefused:
            continue  # stays queued: the next run tries again
    sms.deliver_queued()
    return sent
