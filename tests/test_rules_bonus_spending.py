"""What moved bonuses may pay for (rules/bonus_spending.py): the guide's list, the live
lots taken oldest first with no kopiyka made or lost, and 200 a month across imports."""
from datetime import date, timedelta

import pytest
from hypothesis import given, strategies as st

from rules.bonus_spending import (
    MONTHLY_CAP,
    BonusSpendError,
    LiveLot,
    MonthlySpending,
    Payer,
    check_bonus_part,
    digits_of,
    is_ukrainian,
    take_from_lots,
)
from tests.helpers import kyiv

MACHINES = ("+38067775", "+38067777", "+380672222775", "+380672222777")
PREPAID = Payer("mobile", "", "prepaid", "individual")
NOW = kyiv(2026, 11, 24, 9, 15)


@pytest.mark.parametrize("counterpart", [
    "+380671112233", "0501234567", "380931112200", "+380442470000", "044 247 00 00",
    "+38067775", "+38 067 2222 777", "067 777", "80672222775",
])
def test_calls_to_ukrainian_numbers_and_the_answering_machine_may_be_paid(counterpart):
    check_bonus_part("call_out", counterpart, 300, 300, PREPAID, MACHINES)
    check_bonus_part("sms_out", counterpart, 80, 80, PREPAID, MACHINES)


@pytest.mark.parametrize("usage_type, counterpart, amount, bonus, payer, code", [
    ("call_out", "+48221234567", 900, 100, PREPAID, "abroad"),
    ("call_out", "+14155550100", 900, 100, PREPAID, "abroad"),
    ("call_out", "466", 100, 100, PREPAID, "abroad"),
    ("call_out", "Kyivstar", 100, 100, PREPAID, "abroad"),
    ("sms_out", "+380671112233", 80, 81, PREPAID, "more_than_charged"),
    ("topup", "card", -100, 100, PREPAID, "more_than_charged"),
    ("service", "Хто дзвонив", 500, 500, PREPAID, "type"),
    ("subscription", "smart", 16500, 100, PREPAID, "type"),
    ("call_in", "+380671112233", 100, 100, PREPAID, "type"),
    ("transfer_out", "+380671112233", 100, 100, PREPAID, "type"),
    ("internet", "", 500, 500, Payer("home_internet", "", "contract", "individual"), "account"),
    ("call_out", "+380671112233", 300, 300, Payer("mobile", "free", "prepaid", "individual"),
     "free_family"),
    ("internet", "internet", 300, 300, Payer("mobile", "", "contract", "business"), "business"),
])
def test_what_the_guide_leaves_out_is_refused(usage_type, counterpart, amount, bonus, payer,
                                              code):
    with pytest.raises(BonusSpendError) as refused:
        check_bonus_part(usage_type, counterpart, amount, bonus, payer, MACHINES)
    assert refused.value.code == code


def test_a_record_without_a_bonus_part_is_never_refused():
    check_bonus_part("topup", "card", -10000, 0, Payer("home_internet", "free", "contract",
                                                       "business"), MACHINES)


def test_digits_of_reads_every_common_form():
    assert digits_of("067 775") == "38067775"
    assert digits_of("+38 (067) 2222-777") == "380672222777"
    assert digits_of("Kyivstar") == "" and digits_of("") == ""
    assert not is_ukrainian("+380", MACHINES)


def lot(lot_id, arrived, left, days=20):
    return LiveLot(lot_id, arrived, (arrived + timedelta(days=days)).date(), left)


def test_lots_are_taken_soonest_lapsing_first_and_only_while_live():
    first, second = lot(1, NOW - timedelta(days=10), 500), lot(2, NOW - timedelta(days=2), 700)
    assert take_from_lots([second, first], 600, NOW) == [(1, 500), (2, 100)]
    assert (first.left, second.left) == (0, 600)
    later = lot(3, NOW + timedelta(hours=1), 1000)
    with pytest.raises(BonusSpendError) as refused:
        take_from_lots([second, later], 700, NOW)
    assert refused.value.left == 600 and second.left == 600 and later.left == 1000


def test_a_lot_is_dead_from_the_start_of_the_day_it_lapses():
    arrived = kyiv(2026, 11, 1, 12, 0)
    gone = lot(1, arrived, 500)  # lapses on 21.11
    assert gone.live_at(kyiv(2026, 11, 20, 23, 59, 59))
    assert not gone.live_at(kyiv(2026, 11, 21, 0, 0))
    assert not gone.live_at(arrived - timedelta(seconds=1))


lots_strategy = st.lists(st.tuples(st.integers(0, 40), st.integers(0, 20_000)), max_size=6)


@given(lots_strategy, st.lists(st.tuples(st.integers(0, 60), st.integers(1, 15_000)),
                               max_size=12))
def test_no_kopiyka_is_made_or_lost(lot_specs, spends):
    """Whatever is taken is exactly what was asked, each lot gives at most what it had,
    and the lots and what they gave always add up to what they held."""
    start = kyiv(2026, 10, 1)
    lots = [lot(i, start + timedelta(days=day), amount) for i, (day, amount)
            in enumerate(lot_specs)]
    held = {one.id: one.left for one in lots}
    given_out = dict.fromkeys(held, 0)
    for day, bonus in spends:
        moment = start + timedelta(days=day, hours=12)
        live_before = sum(one.left for one in lots if one.live_at(moment))
        try:
            taken = take_from_lots(lots, bonus, moment)
        except BonusSpendError as refused:
            assert refused.code == "live" and refused.left == live_before < bonus
            continue
        assert sum(part for _, part in taken) == bonus
        for lot_id, part in taken:
            assert part > 0
            given_out[lot_id] += part
    for one in lots:
        assert one.left >= 0 and one.left + given_out[one.id] == held[one.id]


@given(st.lists(st.lists(st.tuples(st.integers(0, 45), st.integers(1, 9_000)), max_size=8),
                max_size=5))
def test_200_a_month_holds_across_imports(imports):
    """Each import starts from what earlier ones recorded (as the database would give it):
    whatever the order, no calendar month ever pays more than 200 bonuses."""
    recorded = {}
    start = kyiv(2026, 10, 20)
    for records in imports:
        months = MonthlySpending(lambda month: recorded.get(month, 0))
        accepted = []
        for day, bonus in records:
            moment = start + timedelta(days=day)
            try:
                months.check(moment, bonus)
            except BonusSpendError as refused:
                assert refused.code == "monthly" and refused.limit == MONTHLY_CAP
                assert refused.left < bonus
                continue
            months.add(moment, bonus)
            accepted.append((moment, bonus))
        for moment, bonus in accepted:  # the import commits
            key = date(moment.year, moment.month, 1)
            recorded[key] = recorded.get(key, 0) + bonus
    assert all(total <= MONTHLY_CAP for total in recorded.values())
