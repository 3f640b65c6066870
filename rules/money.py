"""Money rules: bank cards, top-up and transfer limits, Home Internet bonuses.

Pure functions: dates come in as parameters, amounts are integer kopiyky (bonuses too:
1 bonus = 100). A refusal is a `MoneyError` whose `code` names the rule and whose fields
carry the numbers a translated message needs, including what is still possible.
"""
import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

from . import states
from .dates import add_months, month_start
from .numbers import luhn_ok

# Limits ---------------------------------------------------------------------------------

TOPUP_MIN = 1_00  # kopiyky
TOPUP_MAX = 5_000_00  # one payment
TOPUP_DAILY_CAP = 15_000_00  # to one number or account in a calendar day

TRANSFER_MIN = 1_00
TRANSFER_MAX = 1_000_00  # one transfer
TRANSFER_DAILY_CAP = 2_000_00  # from one number in a calendar day

BONUS_ACCRUAL_DAY = 4
BONUS_TRANSFER_MIN = 1_00
BONUS_MONTHLY_CAP = 200_00  # bonuses moved to mobile numbers in a calendar month
BONUS_LAPSE_DAYS = 20  # moved bonuses stay on the number this long

FREE_FAMILY = "free"  # tariffs of the "Svobodnyi" family never take Home Internet bonuses



@dataclass
class MoneyError(ValueError):
    """A refused card field, amount or move. `field` is the form field it belongs to (or
    '' for the whole form); the other attributes are the numbers for the message:
    `limit` (a bound that was crossed), `left` (what is still possible), `next_on` (the
    date it is possible again), `value` (the offending value)."""

    code: str
    field: str = ""
    limit: int = 0
    left: int = 0
    next_on: date | None = None
    value: object = None
    number: str = ""  # the number a refusal by state is about

    def __post_init__(self):
        super().__init__(self.code)


# Cards ----------------------------------------------------------------------------------

CARD_MIN_DIGITS, CARD_MAX_DIGITS = 13, 19
_CARD_SEPARATORS = re.compile(r"[ \u00a0-]")
_HOLDER = re.compile(r"^[A-Za-z][A-Za-z .'\-]*[A-Za-z.]$")
HOLDER_MAX = 26  # what fits on a card
_EXPIRY = re.compile(r"^([0-9]{1,2})\s*/\s*([0-9]{2}|[0-9]{4})$")  # \d takes any script's digits
EXPIRY_MAX_YEARS = 20


def card_brand(digits):
    """The payment system by the number's first digits, or None if we do not know it."""
    if digits.startswith("9804"):
        return "prostir"
    if digits.startswith("4"):
        return "visa"
    two, four = int(digits[:2]), int(digits[:4])
    if 51 <= two <= 55 or 2221 <= four <= 2720:
        return "mastercard"
    if two == 50 or 56 <= two <= 69:
        return "maestro"
    return None


@dataclass(frozen=True)
class Card:
    number: str  # digits only; never stored, never logged
    brand: str

    @property
    def last4(self):
        return self.number[-4:]

    def __repr__(self):  # keep the number out of logs and tracebacks
        return f"Card(brand={self.brand!r}, last4={self.last4!r})"


def parse_card_number(text):
    """Digits with optional spaces or dashes -> Card. Codes: empty, chars, length, luhn,
    brand."""
    cleaned = _CARD_SEPARATORS.sub("", (text or "").strip())
    if not cleaned:
        raise MoneyError("empty", "card_number")
    if not (cleaned.isascii() and cleaned.isdigit()):
        raise MoneyError("chars", "card_number")
    if not CARD_MIN_DIGITS <= len(cleaned) <= CARD_MAX_DIGITS:
        raise MoneyError("length", "card_number", value=len(cleaned))
    if not luhn_ok(cleaned):
        raise MoneyError("luhn", "card_number")
    brand = card_brand(cleaned)
    if brand is None:
        raise MoneyError("brand", "card_number")
    return Card(cleaned, brand)


def parse_expiry(text, today):
    """'MM/YY' (or MM/YYYY) -> (year, month); the card works to the end of that month.
    Codes: empty, format, month, past, far."""
    cleaned = (text or "").strip()
    if not cleaned:
        raise MoneyError("empty", "card_expiry")
    match = _EXPIRY.match(cleaned)
    if not match:
        raise MoneyError("format", "card_expiry")
    month, year = int(match.group(1)), int(match.group(2))
    if not 1 <= month <= 12:
        raise MoneyError("month", "card_expiry")
    if year < 100:
        year += 2000
    if (year, month) < (today.year, today.month):
        raise MoneyError("past", "card_expiry")
    if year > today.year + EXPIRY_MAX_YEARS:
        raise MoneyError("far", "card_expiry")
    return year, month


def parse_cvv(text):
    """Exactly three digits. Codes: empty, format."""
    cleaned = (text or "").strip()
    if not cleaned:
        raise MoneyError("empty", "card_cvv")
    if not (len(cleaned) == 3 and cleaned.isascii() and cleaned.isdigit()):
        raise MoneyError("format", "card_cvv")
    return cleaned


def parse_holder(text):
    """The name as printed on the card, Latin letters. Codes: empty, chars, length."""
    cleaned = " ".join((text or "").split())
    if not cleaned:
        raise MoneyError("empty", "card_holder")
    if len(cleaned) > HOLDER_MAX:
        raise MoneyError("length", "card_holder", limit=HOLDER_MAX)
    if len(cleaned) < 2 or not _HOLDER.match(cleaned):
        raise MoneyError("chars", "card_holder")
    return cleaned.upper()


# Amounts --------------------------------------------------------------------------------

def _check_limits(amount, minimum, maximum, daily_cap, used_today, **daily_params):
    """One amount against its bounds and what is left of the day's cap. Codes: min, max,
    daily (`left` = what is left today, plus `daily_params`)."""
    if amount < minimum:
        raise MoneyError("min", "amount", limit=minimum)
    if amount > maximum:
        raise MoneyError("max", "amount", limit=maximum)
    left = max(0, daily_cap - used_today)
    if amount > left:
        raise MoneyError("daily", "amount", limit=daily_cap, left=left, **daily_params)


def check_topup_amount(amount, paid_today):
    """A card top-up of `amount` to a number that got `paid_today` by card today.
    Codes: min, max, daily (`left` = what may still be paid today)."""
    _check_limits(amount, TOPUP_MIN, TOPUP_MAX, TOPUP_DAILY_CAP, paid_today)


@dataclass(frozen=True)
class Party:
    """What the rules need of a subscription on either side of a move."""

    number: str
    kind: str  # 'mobile' | 'home_internet'
    state: str  # rules.states
    payment: str = "prepaid"
    customer: str = "individual"
    tariff_family: str = ""
    balance: int = 0
    bonus_balance: int = 0


def _check_state(action, party, code, field=""):
    """The party's state allows `action`, or MoneyError(code) with the state as `value`."""
    if states.refusal(action, party.state) is not None:
        raise MoneyError(code, field, value=party.state, number=party.number)


def check_transfer(sender, target, amount, sent_today, today):
    """A balance transfer between two mobile numbers. Codes: sender_kind, sender_state
    (`value` = its state), same (target), target_kind, target_state (target; `value`),
    min, max, balance (`left` = the balance), daily (`left` = what may still be sent
    today, `next_on` = tomorrow when nothing is)."""
    check_transfer_sender(sender)
    check_transfer_target(sender, target)
    check_transfer_amount(sender, amount, sent_today, today)


def check_transfer_sender(sender):
    """The number money leaves. Codes: sender_kind, sender_state (`value`)."""
    if sender.kind != "mobile":
        raise MoneyError("sender_kind")
    _check_state(states.TRANSFER_OUT, sender, "sender_state")


def check_transfer_target(sender, target):
    """The number money goes to. Codes: same, target_kind, target_state (`value`)."""
    if target.number == sender.number:
        raise MoneyError("same", "target")
    if target.kind != "mobile":
        raise MoneyError("target_kind", "target")
    _check_state(states.TRANSFER_IN, target, "target_state", "target")


def check_transfer_amount(sender, amount, sent_today, today):
    """The amount, whoever it goes to. Codes: min, max, daily, balance."""
    _check_limits(amount, TRANSFER_MIN, TRANSFER_MAX, TRANSFER_DAILY_CAP, sent_today,
                  next_on=today + timedelta(days=1))
    if amount > sender.balance:
        raise MoneyError("balance", "amount", left=max(0, sender.balance))


# Home Internet bonuses: the monthly accrual ---------------------------------------------

def due_accrual_month(today):
    """The first day of the latest month whose bonuses are due by `today` (they are paid
    on the 4th of the month after)."""
    months_back = 1 if today.day >= BONUS_ACCRUAL_DAY else 2
    return add_months(month_start(today), -months_back)


def next_accrual_date(today, accrued_today=False):
    """The next 4th from today on: today itself if it is the 4th and the accrual has not
    been made yet (`accrued_today`), else the next month's."""
    this_month = today.replace(day=BONUS_ACCRUAL_DAY)
    if today < this_month or (today == this_month and not accrued_today):
        return this_month
    return add_months(month_start(today), 1).replace(day=BONUS_ACCRUAL_DAY)


@dataclass(frozen=True)
class Interruption:
    """Days the service was blocked for debt or paused: `start` to `end` inclusive,
    `end` None while it lasts."""

    start: date
    end: date | None = None


def paid_days(month, interruptions, activated_on=None):
    """The days of `month` (its first day) the service worked: from activation on, and
    not blocked for debt or paused."""
    days = calendar.monthrange(month.year, month.month)[1]
    last = month.replace(day=days)
    lost = set()
    if activated_on and activated_on > month:
        lost.update(range(1, min(days, (activated_on - month).days) + 1))
    for gap in interruptions:
        start = max(gap.start, month)
        end = min(gap.end or last, last)
        if start <= end:
            lost.update(range(start.day, end.day + 1))
    return days - len(lost)


def accrual_amount(fee_paid, month, interruptions, activated_on=None):
    """Bonuses for `month`: the subscription fee paid in it, less the days without service
    (rounded down to a kopiyka); nothing paid, no bonuses."""
    days = calendar.monthrange(month.year, month.month)[1]
    return fee_paid * paid_days(month, interruptions, activated_on) // days


# Home Internet bonuses: moving them to a mobile number ----------------------------------

def lapse_date(arrived_on):
    """Moved bonuses are usable for 20 days: they lapse at the start of this day."""
    return arrived_on + timedelta(days=BONUS_LAPSE_DAYS)


@dataclass(frozen=True)
class BonusHistory:
    """The account's moves so far: the day of the latest one and the sum moved this
    calendar month."""

    last_moved_on: date | None = None
    moved_this_month: int = 0


def check_bonus_transfer(account, target, amount, history, today):
    """Moving `amount` bonuses from a Home Internet `account` to the mobile `target`.
    Codes: account_kind, account_state (`value` = its state: not while paused or closed;
    blocked for debt is fine), target_kind, target_state (target; `value`),
    target_family, target_business, min, daily (`next_on`), monthly (`left`, `next_on` =
    the 1st of next month), bonus (`left` = the bonuses on the account)."""
    check_bonus_source(account)
    check_bonus_target(target)
    check_bonus_amount(account, amount, history, today)


def check_bonus_source(account):
    """The account bonuses leave. Codes: account_kind, account_state (`value`)."""
    if account.kind != "home_internet":
        raise MoneyError("account_kind")
    _check_state(states.BONUS_OUT, account, "account_state")


def check_bonus_target(target):
    """The number bonuses go to. Codes: target_kind, target_state (`value`),
    target_family, target_business."""
    if target.kind != "mobile":
        raise MoneyError("target_kind", "target")
    _check_state(states.BONUS_IN, target, "target_state", "target")
    if target.tariff_family == FREE_FAMILY:
        raise MoneyError("target_family", "target")
    if not (target.payment == "prepaid" or (target.payment == "contract"
                                            and target.customer == "individual")):
        raise MoneyError("target_business", "target")


def check_bonus_amount(account, amount, history, today):
    """The bonuses moved, wherever they go. Codes: min, daily, monthly, bonus."""
    if amount < BONUS_TRANSFER_MIN:
        raise MoneyError("min", "amount", limit=BONUS_TRANSFER_MIN)
    if history.last_moved_on == today:
        raise MoneyError("daily", next_on=today + timedelta(days=1))
    left = max(0, BONUS_MONTHLY_CAP - history.moved_this_month)
    if amount > left:
        raise MoneyError("monthly", "amount", limit=BONUS_MONTHLY_CAP, left=left,
                         next_on=add_months(month_start(today), 1))
    if amount > account.bonus_balance:
        raise MoneyError("bonus", "amount", left=max(0, account.bonus_balance))


def bonus_transfer_allowance(account_bonus, history, today):
    """What may be moved today (0 when nothing) and when the next move is possible."""
    if history.last_moved_on == today:
        return 0, today + timedelta(days=1)
    left = max(0, BONUS_MONTHLY_CAP - history.moved_this_month)
    if left == 0:
        return 0, add_months(month_start(today), 1)
    return min(left, max(0, account_bonus)), today


@dataclass(frozen=True)
class Lot:
    """Bonuses that arrived on a mobile number together and lapse together."""

    amount: int
    lapses_on: date


def lapsing_now(bonus_balance, lots, today):
    """How much of a number's bonus balance lapses today: what is left of the lots whose
    day has come. Bonuses are used oldest first, so what was spent came from the oldest
    lots and the lots still running keep theirs. Returns (amount, lapsed lots)."""
    lapsed = [lot for lot in lots if lot.lapses_on <= today]
    running = sum(lot.amount for lot in lots if lot.lapses_on > today)
    due = sum(lot.amount for lot in lapsed)
    return max(0, min(due, bonus_balance - running)), lapsed


def running_lots(bonus_balance, lots, today):
    """The lots still running and what is left of each (used oldest first), for showing
    a number's bonuses with the days they lapse."""
    running = sorted((lot for lot in lots if lot.lapses_on > today), key=lambda l: l.lapses_on)
    spent = max(0, sum(lot.amount for lot in running) - max(0, bonus_balance))
    shown = []
    for lot in running:
        used = min(spent, lot.amount)
        spent -= used
        if lot.amount - used:
            shown.append(Lot(lot.amount - used, lot.lapses_on))
    return shown
