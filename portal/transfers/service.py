"""A transfer of money between two mobile numbers: its checks and its booking, two money
events (the two-step move itself: portal/core/moves.py)."""
from flask_babel import gettext as _

from models import Transfer
from rules import money as money_rules
from ..core import money_events, moves
from ..core.formatting import phone, uah


class BalanceMove:
    """A transfer of money between two mobile numbers."""

    kind = Transfer.BALANCE

    def check(self, source, dest, amount, today):
        money_rules.check_transfer(moves.party(source), moves.party(dest), amount,
                                   Transfer.sent_on(source, Transfer.BALANCE, today), today)

    def check_source(self, source):
        money_rules.check_transfer_sender(moves.party(source))

    def check_target(self, source, dest):
        money_rules.check_transfer_target(moves.party(source), moves.party(dest))

    def check_amount(self, source, amount, today):
        money_rules.check_transfer_amount(moves.party(source), amount,
                                          Transfer.sent_on(source, Transfer.BALANCE, today), today)

    def book(self, done, source, dest, amount, now):
        reference = f"transfer:{done.id}"
        money_events.debited(source, amount, money_events.Cause(
            "transfer_out", "transfer_out", dest.number, receipt=lambda sub: _(
                "Transfer of %(amount)s to %(number)s is done. Balance: %(balance)s.",
                amount=uah(amount), number=phone(dest.number), balance=uah(sub.balance))),
            now, reference)
        money_events.credited(dest, amount, money_events.Cause(
            "transfer_in", "transfer_in", source.number, payment=True, receipt=lambda sub: _(
                "You received %(amount)s from %(number)s. Balance: %(balance)s.",
                amount=uah(amount), number=phone(source.number), balance=uah(sub.balance))),
            now, reference)
