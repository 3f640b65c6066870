"""What balance transfers and bonus moves share: the form, the review step's one-time key
and the confirmation.

Every move goes through a review page whose form carries a one-time key: the key becomes
the Transfer's unique key, so a replayed or doubled confirmation finds the transfer it made
and never moves money twice. The rules are checked again at confirmation on both rows
locked (`locking_transaction()`, `for_update()` on PostgreSQL, in id order, so A→B and B→A
never deadlock), and the bookings are made in that one transaction."""
import re
import secrets

from flask import abort, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from peewee import IntegrityError
from wtforms import HiddenField
from wtforms.validators import DataRequired

import models
from models import Subscription, Tariff, Transfer
from rules import money as money_rules
from rules.dates import local_day
from . import clock
from .forms import AmountField, BaseForm, MobileField
from .web import CONFLICT, INVALID_FORM, see_other

KEY_PATTERN = re.compile(r"[0-9a-f]{32}")


class MoveForm(BaseForm):
    number = HiddenField()  # the number or account the move leaves: the page it was sent from
    target = MobileField(_l("To the number"), validators=[
        DataRequired(_l("Enter the number to send to."))])
    amount = AmountField(_l("Amount"), validators=[DataRequired(_l("Enter an amount."))])
    key = HiddenField()  # the review's one-time key; empty on the first step

    def new_key(self):
        self.key.data = secrets.token_hex(16)

    def checked_key(self):
        return checked_key(self.key.data)


def checked_key(text):
    """A review form's one-time key is 32 hex digits; anything else is a forged form."""
    key = (text or "").strip()
    if not KEY_PATTERN.fullmatch(key):
        abort(400)
    return key


def party(subscription):
    """What the rules need of a subscription on either side of a move."""
    tariff = Tariff.get_by_id(subscription.tariff_id)
    return money_rules.Party(number=subscription.number, kind=subscription.kind,
                       state=subscription.state, payment=subscription.payment,
                       customer=subscription.customer, tariff_family=tariff.family,
                       balance=subscription.balance, bonus_balance=subscription.bonus_balance)


def target_of(form):
    """The subscriber the form's target names; MoneyError('unknown') for nobody of ours."""
    found = Subscription.by_number(form.target.parsed)
    if found is None:
        raise money_rules.MoneyError("unknown", "target")
    return found



def review(move, form, source, today):
    """The first step's checks, all at once: the source's (a refusal of the whole page,
    alone), then the target's and the amount's apart, whichever of the two fields parsed,
    so a wrong number never hides an amount over a limit. `move` has `check_source(source)`,
    `check_target(source, dest)` and `check_amount(source, amount, today)`. Returns
    (the target or None, [money_rules.MoneyError])."""
    try:
        move.check_source(source)
    except money_rules.MoneyError as error:
        return None, [error]
    target, errors = None, []
    if form.target.parsed is not None and not form.target.errors:
        try:
            target = target_of(form)
            move.check_target(source, target)
        except money_rules.MoneyError as error:
            target = None
            errors.append(error)
    if form.amount.kopiyky is not None and not form.amount.errors:
        try:
            move.check_amount(source, form.amount.kopiyky, today)
        except money_rules.MoneyError as error:
            errors.append(error)
    return target, errors


def answer(move, form, source, message, page, done_endpoint):
    """A move's POST, validated: the review's confirmation when the form carries its key
    (then the done page), else the first step (then the review). `message(error, source)`
    words a refusal; `page(form, source, source, alert=, status=, stage=, target=)` answers with the
    move's page.
    A refusal goes on its field; one of the whole page is its alert (409). At confirmation
    anything refused is 409 (the review had passed) but a target that is nobody of ours."""
    confirming = bool(form.key.data)
    if confirming:
        form.checked_key()
    valid = form.validate()
    if confirming and valid:
        try:
            done = confirm(move, form, source.id)
        except money_rules.MoneyError as error:
            form.key.data = ""
            alert = put_on_form(form, error, message(error, source))
            return page(form, source, alert=alert,
                        status=INVALID_FORM if error.code == "unknown" else CONFLICT)
        return see_other(url_for(done_endpoint, key=done.key))
    form.key.data = ""
    target, errors = review(move, form, source, clock.today())
    if errors or not valid:
        alerts = [put_on_form(form, error, message(error, source)) for error in errors]
        alert = next((text for text in alerts if text), None)
        return page(form, source, alert=alert, status=CONFLICT if alert else INVALID_FORM)
    form.new_key()
    return page(form, source, stage="review", target=target)


def put_on_form(form, error, message):
    """A refusal goes on its field when it has one (the target, the amount); else it is
    the page's alert (returned)."""
    field = getattr(form, error.field, None) if error.field in ("target", "amount") else None
    if field is not None:
        field.errors = list(field.errors) + [message]
        return None
    return message


def lock_pair(first_id, second_id):
    """Both subscriptions re-read and locked, in id order."""
    rows = {row.id: row for row in models.for_update(
        Subscription.select().where(Subscription.id.in_([first_id, second_id]))
        .order_by(Subscription.id))}
    return rows[first_id], rows[second_id]


def own_transfer(key, kind):
    """A transfer made from the signed-in cabinet; 404 for anyone else's."""
    done = Transfer.get_or_none((Transfer.key == key) & (Transfer.kind == kind))
    if done is None or done.profile_id != current_user.id:
        abort(404)
    return done


def confirm(move, form, source_id):
    """Confirm a reviewed `move` (an object with `kind`, `check(source, dest, amount,
    today)` raising money_rules.MoneyError, and `book(done, source, dest, amount, now)` posting
    the ledger and the SMS) of the validated `form`, once. Returns the Transfer (the first
    one made with this key, however often it is sent); raises money_rules.MoneyError."""
    key = form.checked_key()
    done = Transfer.get_or_none(Transfer.key == key)
    if done is None:
        target = target_of(form)
        amount, now = form.amount.kopiyky, clock.now()
        try:
            with models.locking_transaction():
                source, dest = lock_pair(source_id, target.id)
                # Again under the locks: a copy of this confirmation sent at the same moment
                # has committed by now, and its result is the answer.
                done = Transfer.get_or_none(Transfer.key == key)
                if done is None:
                    move.check(source, dest, amount, local_day(now))
                    done = Transfer.create(key=key, kind=move.kind, source=source, target=dest,
                                           profile=current_user.id, amount=amount,
                                           created_at=now)
                    move.book(done, source, dest, amount, now)
        except IntegrityError:  # the same key confirmed at the same moment elsewhere
            done = Transfer.get_or_none(Transfer.key == key)
            if done is None:
                raise
    if done.profile_id != current_user.id or done.kind != move.kind:
        abort(404)
    return done
