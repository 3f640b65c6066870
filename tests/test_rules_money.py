"""Money rules: cards, limits, the Home Internet bonus accrual and moves, lapsing."""
from datetime import date, timedelta

import pytest
from hypothesis import given, strategies as st

from rules import dates as dates_rules, money as money_rules, numbers as numbers_rules
from rules.money import BonusHistory, Interruption, Lot, MoneyError, Party

TODAY = date(2026, 11, 25)


def refused(call, *args):
    with pytest.raises(MoneyError) as caught:
        call(*args)
    return caught.value


# Cards ----------------------------------------------------------------------------------

@pytest.mark.parametrize("number,brand", [
    ("4111 1111 1111 1111", "visa"),
    ("4111-1111-1111-1111", "visa"),
    ("5555555555554444", "mastercard"),
    ("2223003122003222", "mastercard"),
    ("6759649826438453", "maestro"),
    ("4222222222222", "visa"),  # 13 digits
    ("9804000000000009", "prostir"),
])
def test_good_cards_and_their_brands(number, brand):
    card = money_rules.parse_card_number(number)
    assert card.brand == brand and card.last4 == number[-4:]
    assert number.replace(" ", "").replace("-", "") not in repr(card)


@pytest.mark.parametrize("number,code", [
    ("", "empty"),
    ("   ", "empty"),
    ("4111 1111 1111 111a", "chars"),
    ("４１１１１１１１１１１１１１１１", "chars"),  # full-width digits
    ("411111111111", "length"),  # 12
    ("41111111111111111111", "length"),  # 20
    ("4111 1111 1111 1112", "luhn"),
    ("378282246310005", "brand"),  # American Express: not taken
    ("3530111333300000", "brand"),  # JCB
])
def test_bad_card_numbers(number, code):
    error = refused(money_rules.parse_card_number, number)
    assert (error.code, error.field) == (code, "card_number")


@given(st.text(alphabet="0123456789", min_size=12, max_size=18))
def test_luhn_check_digit_always_found(prefix):
    digits = [numbers_rules.luhn_ok(prefix + str(check)) for check in range(10)]
    assert digits.count(True) == 1


@pytest.mark.parametrize("text,expected", [
    ("11/26", (2026, 11)),  # this month still works
    ("12/26", (2026, 12)),
    ("1/27", (2027, 1)),
    ("01 / 2030", (2030, 1)),
])
def test_good_expiry(text, expected):
    assert money_rules.parse_expiry(text, TODAY) == expected


@pytest.mark.parametrize("text,code", [
    ("", "empty"), ("1126", "format"), ("11-26", "format"), ("ab/cd", "format"),
    ("13/26", "month"), ("00/27", "month"), ("10/26", "past"), ("12/25", "past"),
    ("12/2099", "far"),
])
def test_bad_expiry(text, code):
    assert refused(money_rules.parse_expiry, text, TODAY).code == code


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31)),
       st.integers(min_value=-24, max_value=24))
def test_expiry_is_past_exactly_before_this_month(today, months):
    shown = dates_rules.add_months(today.replace(day=1), months)
    text = f"{shown.month:02d}/{shown.year % 100:02d}"
    if months < 0 or shown.year // 100 != 20:
        with pytest.raises(MoneyError):
            money_rules.parse_expiry(text, today)
    else:
        assert money_rules.parse_expiry(text, today) == (shown.year, shown.month)


@pytest.mark.parametrize("text,code", [("", "empty"), ("12", "format"), ("1234", "format"),
                                       ("12a", "format"), ("１２３", "format")])
def test_bad_cvv(text, code):
    assert refused(money_rules.parse_cvv, text).code == code


def test_good_cvv():
    assert money_rules.parse_cvv(" 123 ") == "123"


@pytest.mark.parametrize("text,code", [("", "empty"), ("Олена Коваленко", "chars"),
                                       ("J", "chars"), ("JOHN 3RD", "chars"),
                                       ("A" * 27, "length")])
def test_bad_holder(text, code):
    assert refused(money_rules.parse_holder, text).code == code


def test_holder_is_printed_in_capitals():
    assert money_rules.parse_holder("  olena   o'neil-kovalenko ") == "OLENA O'NEIL-KOVALENKO"


# Top-up limits --------------------------------------------------------------------------

@pytest.mark.parametrize("amount,paid_today,code,left", [
    (99, 0, "min", 0),
    (0, 0, "min", 0),
    (money_rules.TOPUP_MAX + 1, 0, "max", 0),
    (100_00, money_rules.TOPUP_DAILY_CAP - 50_00, "daily", 50_00),
    (100, money_rules.TOPUP_DAILY_CAP, "daily", 0),
])
def test_topup_limits(amount, paid_today, code, left):
    error = refused(money_rules.check_topup_amount, amount, paid_today)
    assert (error.code, error.left) == (code, left)


@pytest.mark.parametrize("amount,paid_today", [(100, 0), (money_rules.TOPUP_MAX, 0),
                                               (50_00, money_rules.TOPUP_DAILY_CAP - 50_00)])
def test_topup_within_limits(amount, paid_today):
    assert money_rules.check_topup_amount(amount, paid_today) is None


# Balance transfer -----------------------------------------------------------------------

SENDER = Party("+380671234567", "mobile", "active", balance=500_00)
TARGET = Party("+380971112233", "mobile", "active")


@pytest.mark.parametrize("sender,target,amount,sent_today,code", [
    (Party("10000001", "home_internet", "active", balance=500_00), TARGET, 100, 0, "sender_kind"),
    (Party(SENDER.number, "mobile", "suspended", balance=500_00), TARGET, 100, 0,
     "sender_state"),
    (Party(SENDER.number, "mobile", "debt_blocked", balance=500_00), TARGET, 100, 0,
     "sender_state"),
    (Party(SENDER.number, "mobile", "sim_blocked", balance=500_00), TARGET, 100, 0,
     "sender_state"),
    (SENDER, Party(SENDER.number, "mobile", "active"), 100, 0, "same"),
    (SENDER, Party("10000001", "home_internet", "active"), 100, 0, "target_kind"),
    (SENDER, Party(TARGET.number, "mobile", "closed"), 100, 0, "target_state"),
    (SENDER, TARGET, 99, 0, "min"),
    (SENDER, TARGET, money_rules.TRANSFER_MAX + 1, 0, "max"),
    (SENDER, TARGET, 500_01, 0, "balance"),
    (SENDER, TARGET, 100_00, money_rules.TRANSFER_DAILY_CAP - 99_99, "daily"),
])
def test_transfer_refusals(sender, target, amount, sent_today, code):
    assert refused(money_rules.check_transfer, sender, target, amount, sent_today, TODAY).code == code


def test_transfer_refusal_says_what_is_left():
    error = refused(money_rules.check_transfer, SENDER, TARGET, 300_00,
                    money_rules.TRANSFER_DAILY_CAP - 250_00, TODAY)
    assert (error.left, error.next_on) == (250_00, TODAY + timedelta(days=1))
    assert refused(money_rules.check_transfer, SENDER, TARGET, 600_00, 0, TODAY).left == 500_00


def test_transfer_to_a_debt_blocked_number_is_fine():
    target = Party(TARGET.number, "mobile", "debt_blocked")
    assert money_rules.check_transfer(SENDER, target, 500_00, 0, TODAY) is None


@given(balance=st.integers(min_value=-10_000_00, max_value=10_000_00),
       amount=st.integers(min_value=0, max_value=3_000_00),
       sent_today=st.integers(min_value=0, max_value=3_000_00))
def test_an_allowed_transfer_never_overdraws_or_passes_the_cap(balance, amount, sent_today):
    sender = Party(SENDER.number, "mobile", "active", balance=balance)
    try:
        money_rules.check_transfer(sender, TARGET, amount, sent_today, TODAY)
    except MoneyError:
        return
    assert money_rules.TRANSFER_MIN <= amount <= balance
    assert sent_today + amount <= money_rules.TRANSFER_DAILY_CAP


# The monthly accrual --------------------------------------------------------------------

@pytest.mark.parametrize("today,month", [
    (date(2026, 12, 4), date(2026, 11, 1)),
    (date(2026, 12, 31), date(2026, 11, 1)),
    (date(2026, 12, 3), date(2026, 10, 1)),
    (date(2027, 1, 1), date(2026, 11, 1)),
    (date(2027, 1, 4), date(2026, 12, 1)),
])
def test_due_accrual_month(today, month):
    assert money_rules.due_accrual_month(today) == month


@pytest.mark.parametrize("today,accrued,next_on", [
    (date(2026, 11, 25), False, date(2026, 12, 4)),
    (date(2026, 12, 3), False, date(2026, 12, 4)),
    (date(2026, 12, 4), False, date(2026, 12, 4)),
    (date(2026, 12, 4), True, date(2027, 1, 4)),  # made this morning: the next is January's
    (date(2026, 12, 5), False, date(2027, 1, 4)),
])
def test_next_accrual_date(today, accrued, next_on):
    assert money_rules.next_accrual_date(today, accrued) == next_on


NOVEMBER = date(2026, 11, 1)  # 30 days
FAST_FEE = 100_00


@pytest.mark.parametrize("interruptions,activated_on,bonuses", [
    ([], None, 100_00),  # "Быстрый": 100 bonuses for a whole month
    ([Interruption(date(2026, 11, 1), date(2026, 11, 3))], None, 90_00),  # 3 days for debt
    ([Interruption(date(2026, 10, 20), date(2026, 11, 6))], None, 80_00),  # from October
    ([Interruption(date(2026, 11, 28))], None, 90_00),  # paused on the 28th and still is
    ([Interruption(date(2026, 11, 1), date(2026, 11, 10)),
      Interruption(date(2026, 11, 5), date(2026, 11, 15))], None, 50_00),  # overlapping
    ([Interruption(date(2026, 10, 1), date(2026, 10, 31))], None, 100_00),  # another month
    ([Interruption(date(2026, 10, 1))], None, 0),  # paused all month
    ([], date(2026, 11, 16), 50_00),  # connected mid-month
    ([], date(2026, 12, 1), 0),  # not yet connected
    ([], date(2026, 11, 1), 100_00),
])
def test_accrual_amount(interruptions, activated_on, bonuses):
    assert money_rules.accrual_amount(FAST_FEE, NOVEMBER, interruptions, activated_on) == bonuses


def test_accrual_rounds_down_to_a_kopiyka():
    october = date(2026, 10, 1)  # 31 days
    assert money_rules.accrual_amount(FAST_FEE, october, [Interruption(date(2026, 10, 31))]) == 9677


@given(st.lists(st.tuples(st.integers(0, 40), st.integers(0, 40)), max_size=4))
def test_accrual_is_never_more_than_the_fee_nor_negative(gaps):
    interruptions = [Interruption(NOVEMBER + timedelta(days=a - 5),
                                  NOVEMBER + timedelta(days=a - 5 + b)) for a, b in gaps]
    assert 0 <= money_rules.accrual_amount(FAST_FEE, NOVEMBER, interruptions) <= FAST_FEE


# Moving bonuses to a mobile number ------------------------------------------------------

ACCOUNT = Party("10000001", "home_internet", "active", payment="contract", bonus_balance=250_00)
PHONE = Party("+380671234567", "mobile", "active")
NO_HISTORY = BonusHistory()


@pytest.mark.parametrize("account,target,amount,history,code", [
    (Party("+380671234567", "mobile", "active", bonus_balance=250_00), PHONE, 100, NO_HISTORY,
     "account_kind"),
    (Party("10000001", "home_internet", "suspended", bonus_balance=250_00), PHONE, 100,
     NO_HISTORY, "account_state"),
    (Party("10000001", "home_internet", "closed", bonus_balance=250_00), PHONE, 100,
     NO_HISTORY, "account_state"),
    (ACCOUNT, Party("10000002", "home_internet", "active"), 100, NO_HISTORY, "target_kind"),
    (ACCOUNT, Party(PHONE.number, "mobile", "closed"), 100, NO_HISTORY, "target_state"),
    (ACCOUNT, Party(PHONE.number, "mobile", "suspended"), 100, NO_HISTORY, "target_state"),
    (ACCOUNT, Party(PHONE.number, "mobile", "active", tariff_family="free"), 100, NO_HISTORY,
     "target_family"),
    (ACCOUNT, Party(PHONE.number, "mobile", "active", payment="contract", customer="business"),
     100, NO_HISTORY, "target_business"),
    (ACCOUNT, PHONE, 99, NO_HISTORY, "min"),
    (ACCOUNT, PHONE, 100, BonusHistory(TODAY, 10_00), "daily"),
    (ACCOUNT, PHONE, 150_01, BonusHistory(TODAY - timedelta(days=1), 50_00), "monthly"),
    (Party("10000001", "home_internet", "active", bonus_balance=30_00), PHONE, 30_01,
     NO_HISTORY, "bonus"),
])
def test_bonus_transfer_refusals(account, target, amount, history, code):
    assert refused(money_rules.check_bonus_transfer, account, target, amount, history,
                   TODAY).code == code


def test_bonus_refusals_say_what_is_still_possible():
    error = refused(money_rules.check_bonus_transfer, ACCOUNT, PHONE, 200_00,
                    BonusHistory(date(2026, 11, 10), 50_00), TODAY)
    assert (error.left, error.next_on) == (150_00, date(2026, 12, 1))
    error = refused(money_rules.check_bonus_transfer, ACCOUNT, PHONE, 10_00,
                    BonusHistory(TODAY, 50_00), TODAY)
    assert error.next_on == date(2026, 11, 26)


@pytest.mark.parametrize("target", [
    PHONE,  # prepaid individual
    Party(PHONE.number, "mobile", "active", payment="prepaid", customer="business"),
    Party(PHONE.number, "mobile", "active", payment="contract", customer="individual"),
    Party(PHONE.number, "mobile", "debt_blocked"),
])
def test_bonus_transfer_allowed_targets(target):
    assert money_rules.check_bonus_transfer(ACCOUNT, target, 200_00, NO_HISTORY, TODAY) is None


def test_bonus_transfer_allowed_while_blocked_for_debt():
    account = Party("10000001", "home_internet", "debt_blocked", bonus_balance=250_00)
    assert money_rules.check_bonus_transfer(account, PHONE, 50_00, NO_HISTORY, TODAY) is None


def test_bonus_transfer_once_a_day_again_tomorrow():
    history = BonusHistory(TODAY - timedelta(days=1), 10_00)
    assert money_rules.check_bonus_transfer(ACCOUNT, PHONE, 10_00, history, TODAY) is None


def test_bonus_monthly_cap_starts_again_next_month():
    # The history the caller gives counts this calendar month only.
    assert money_rules.check_bonus_transfer(ACCOUNT, PHONE, 200_00, BonusHistory(
        date(2026, 11, 30), 0), date(2026, 12, 1)) is None


@pytest.mark.parametrize("bonus,history,expected", [
    (250_00, NO_HISTORY, (200_00, TODAY)),
    (30_00, NO_HISTORY, (30_00, TODAY)),
    (250_00, BonusHistory(TODAY, 10_00), (0, date(2026, 11, 26))),
    (250_00, BonusHistory(date(2026, 11, 2), 200_00), (0, date(2026, 12, 1))),
    (250_00, BonusHistory(date(2026, 11, 2), 120_00), (80_00, TODAY)),
])
def test_bonus_transfer_allowance(bonus, history, expected):
    assert money_rules.bonus_transfer_allowance(bonus, history, TODAY) == expected


@given(amount=st.integers(0, 400_00), moved=st.integers(0, 300_00),
       bonus=st.integers(0, 500_00))
def test_moves_never_pass_the_monthly_cap(amount, moved, bonus):
    account = Party("10000001", "home_internet", "active", bonus_balance=bonus)
    try:
        money_rules.check_bonus_transfer(account, PHONE, amount, BonusHistory(None, moved), TODAY)
    except MoneyError:
        return
    assert moved + amount <= money_rules.BONUS_MONTHLY_CAP and amount <= bonus


# Lapsing of moved bonuses ---------------------------------------------------------------

def test_lapse_date_is_twenty_days_on():
    assert money_rules.lapse_date(date(2026, 11, 25)) == date(2026, 12, 15)


@pytest.mark.parametrize("balance,lots,today,amount", [
    (50_00, [Lot(50_00, date(2026, 12, 15))], date(2026, 12, 14), 0),
    (50_00, [Lot(50_00, date(2026, 12, 15))], date(2026, 12, 15), 50_00),
    (20_00, [Lot(50_00, date(2026, 12, 15))], date(2026, 12, 15), 20_00),  # 30 were used
    # the older lot was used first: only what is left of it lapses
    (70_00, [Lot(50_00, date(2026, 12, 15)), Lot(40_00, date(2026, 12, 20))],
     date(2026, 12, 15), 30_00),
    (30_00, [Lot(50_00, date(2026, 12, 15)), Lot(40_00, date(2026, 12, 20))],
     date(2026, 12, 15), 0),
    (0, [Lot(50_00, date(2026, 12, 15))], date(2026, 12, 16), 0),
])
def test_lapsing_now(balance, lots, today, amount):
    assert money_rules.lapsing_now(balance, lots, today)[0] == amount


def test_running_lots_show_what_is_left_oldest_used_first():
    lots = [Lot(40_00, date(2026, 12, 20)), Lot(50_00, date(2026, 12, 15)),
            Lot(10_00, date(2026, 12, 1))]
    assert money_rules.running_lots(70_00, lots, date(2026, 12, 2)) == [
        Lot(30_00, date(2026, 12, 15)), Lot(40_00, date(2026, 12, 20))]


@given(st.integers(0, 300_00), st.lists(st.tuples(st.integers(1, 100_00), st.integers(0, 40)),
                                        max_size=5), st.integers(0, 40))
def test_lapse_never_takes_more_than_the_balance(balance, raw_lots, day):
    start = date(2026, 12, 1)
    lots = [Lot(amount, start + timedelta(days=offset)) for amount, offset in raw_lots]
    today = start + timedelta(days=day)
    amount, _ = money_rules.lapsing_now(balance, lots, today)
    assert 0 <= amount <= balance
    assert amount <= sum(lot.amount for lot in lots if lot.lapses_on <= today)
