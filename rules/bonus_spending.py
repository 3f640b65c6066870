"""Moved Home Internet bonuses paying for a mobile number's usage, as the operator's guide
allows ("Порядок использования бонусов на оплату услуг мобильной связи"): what they may pay
for, from which moves, and how much a month.

The billing says how each charge was paid (the usage feed's `bonus_amount`); these rules
hold it to the guide. Pure: moments and the bonuses on hand come in as parameters; amounts
are integer kopiyky (1 bonus = 100).
"""
from dataclasses import dataclass
from datetime import date, datetime

import phonenumbers

from .dates import day_start, local_day, month_start
from .money import FREE_FAMILY

MONTHLY_CAP = 200_00  # bonuses that may pay for a number's usage in a calendar month
# What the guide lets bonuses pay for: outgoing calls and messages to Ukrainian numbers,
# and the data sessions (CSD, GPRS, EDGE) of the mobile number.
CALL, MESSAGE, DATA = "call_out", "sms_out", "internet"
PAYABLE_TYPES = (CALL, MESSAGE, DATA)


@dataclass
class BonusSpendError(ValueError):
    """A bonus part the guide does not allow. `code`: type (not a kind bonuses pay for),
    account (a Home Internet account's usage), free_family, business, abroad (a call or
    message to a number outside Ukraine), more_than_charged, live (more than the moved
    bonuses live at that moment: `left`), monthly (past the cap: `left`, `limit`)."""

    code: str
    left: int = 0
    limit: int = 0

    def __post_init__(self):
        super().__init__(self.code)


@dataclass(frozen=True)
class Payer:
    """The number whose usage bonuses would pay for."""

    kind: str  # 'mobile' | 'home_internet'
    tariff_family: str
    payment: str  # 'prepaid' | 'contract'
    customer: str  # 'individual' | 'business'


def digits_of(text):
    """A number as bare digits in the international form: '067 775' -> '38067775',
    '+38 067 2222 777' -> '380672222777'; '' for text that is not a number."""
    cleaned = (text or "").strip()
    digits = "".join(ch for ch in cleaned if ch.isdigit())
    if not digits or any(ch not in "0123456789+()-. " for ch in cleaned):
        return ""
    if digits.startswith("80"):
        return "3" + digits
    if digits.startswith("0"):
        return "38" + digits
    return digits


def is_ukrainian(counterpart, answering_machines=()):
    """A Ukrainian mobile or fixed number, or one of the answering-machine numbers (short
    numbers of their own that no numbering plan knows)."""
    digits = digits_of(counterpart)
    if not digits:
        return False
    if digits in {digits_of(number) for number in answering_machines}:
        return True
    try:
        parsed = phonenumbers.parse("+" + digits)
    except phonenumbers.NumberParseException:
        return False
    return parsed.country_code == 380 and phonenumbers.is_valid_number(parsed)


def check_bonus_part(usage_type, counterpart, amount, bonus, payer, answering_machines=()):
    """A record's bonus part (`bonus` of the `amount` charged) on what the guide allows;
    BonusSpendError otherwise. A record without a bonus part is always fine."""
    if not bonus:
        return
    if bonus > amount:
        raise BonusSpendError("more_than_charged", left=max(0, amount))
    if payer.kind != "mobile":
        raise BonusSpendError("account")
    if payer.tariff_family == FREE_FAMILY:
        raise BonusSpendError("free_family")
    if not (payer.payment == "prepaid" or payer.customer == "individual"):
        raise BonusSpendError("business")
    if usage_type not in PAYABLE_TYPES:
        raise BonusSpendError("type")
    if usage_type in (CALL, MESSAGE) and not is_ukrainian(counterpart, answering_machines):
        raise BonusSpendError("abroad")


@dataclass
class LiveLot:
    """Bonuses one move brought to a number: live from `arrived_at` until the start of
    `lapses_on`; `left` of them not spent yet."""

    id: int
    arrived_at: datetime
    lapses_on: date
    left: int

    def live_at(self, moment):
        return self.arrived_at <= moment < day_start(self.lapses_on)


def take_from_lots(lots, bonus, moment):
    """Take `bonus` off the lots live at `moment`, the one that lapses first first (so
    what is spent no longer lapses). Changes the lots' `left` and returns [(lot id, taken)];
    BonusSpendError 'live' (with what was `left`) when they hold less, changing nothing."""
    live = sorted((lot for lot in lots if lot.live_at(moment) and lot.left > 0),
                  key=lambda lot: (lot.lapses_on, lot.arrived_at, lot.id))
    available = sum(lot.left for lot in live)
    if bonus > available:
        raise BonusSpendError("live", left=available)
    taken, due = [], bonus
    for lot in live:
        if not due:
            break
        part = min(due, lot.left)
        lot.left -= part
        due -= part
        taken.append((lot.id, part))
    return taken


def check_month(spent_in_month, bonus):
    """At most MONTHLY_CAP bonuses pay for usage in a calendar month: `spent_in_month`
    already did. BonusSpendError 'monthly' (`left`, `limit`) past it."""
    left = max(0, MONTHLY_CAP - spent_in_month)
    if bonus > left:
        raise BonusSpendError("monthly", left=left, limit=MONTHLY_CAP)


class MonthlySpending:
    """What bonuses paid in each calendar month of one number, as records are accepted:
    `known(month)` gives what earlier imports recorded (read once a month)."""

    def __init__(self, known):
        self.known, self.spent = known, {}

    def _so_far(self, moment):
        month = month_start(local_day(moment))
        if month not in self.spent:
            self.spent[month] = self.known(month)
        return month, self.spent[month]

    def check(self, moment, bonus):
        """A bonus part at `moment` against its month's cap (check_month)."""
        check_month(self._so_far(moment)[1], bonus)

    def add(self, moment, bonus):
        month, spent = self._so_far(moment)
        self.spent[month] = spent + bonus
