"""Profile rules: adding and removing numbers, nicknames, validity, ICCID, shop search."""
from datetime import date

import pytest
from hypothesis import given, strategies as st

from rules import dates as dates_rules, numbers as numbers_rules, profile as profile_rules
from rules.profile import Candidate, ProfileRefused


def candidate(**changes):
    fields = dict(kind="mobile", state="active", in_cabinet=False, code_phone="+380971112233")
    fields.update(changes)
    return Candidate(**fields)


def test_a_number_of_another_cabinet_can_be_added_with_a_code_to_it():
    assert profile_rules.check_addition(candidate(), numbers_in_cabinet=3) == "+380971112233"


def test_an_account_code_goes_to_its_contact_phone():
    account = candidate(kind="home_internet", code_phone="+380671234567")
    assert profile_rules.check_addition(account, 1) == "+380671234567"


@pytest.mark.parametrize("changes,numbers,code", [
    ({"in_cabinet": True}, 2, "yours"),
    ({"state": "closed"}, 2, "closed"),
    ({"kind": "home_internet", "code_phone": None}, 2, "no_phone"),
    ({}, profile_rules.MAX_NUMBERS, "full"),
])
def test_additions_refused(changes, numbers, code):
    with pytest.raises(ProfileRefused) as refused:
        profile_rules.check_addition(candidate(**changes), numbers)
    assert refused.value.code == code


@pytest.mark.parametrize("state", ["active", "suspended", "debt_blocked", "sim_blocked"])
def test_paused_and_blocked_numbers_can_be_added(state):
    assert profile_rules.check_addition(candidate(state=state), 1)


def test_the_last_own_number_stays_but_a_managed_one_may_go():
    with pytest.raises(ProfileRefused) as refused:
        profile_rules.check_removal(1, managed=False)
    assert refused.value.code == "last"
    profile_rules.check_removal(2, managed=False)
    profile_rules.check_removal(1, managed=True)


@pytest.mark.parametrize("text,expected", [("", None), ("   ", None), (None, None),
                                           (" Мама ", "Мама"), ("Робочий   номер", "Робочий номер"),
                                           ("a" * 30, "a" * 30), ("Tab\there", "Tab here")])
def test_nicknames(text, expected):
    assert profile_rules.clean_nickname(text) == expected


@pytest.mark.parametrize("text,code", [("a" * 31, "too_long"), ("bad\u0000x", "characters"),
                                       ("zero\u200bwidth", "characters"),
                                       ("bell\x07", "characters")])
def test_bad_nicknames(text, code):
    with pytest.raises(ProfileRefused) as refused:
        profile_rules.clean_nickname(text)
    assert refused.value.code == code


@given(st.text(max_size=60))
def test_a_nickname_is_clean_or_refused(text):
    try:
        cleaned = profile_rules.clean_nickname(text)
    except ProfileRefused as refused:
        assert refused.code in ("too_long", "characters")
    else:
        if cleaned is not None:
            assert 0 < len(cleaned) <= 30 and cleaned == cleaned.strip()


@pytest.mark.parametrize("day,months,expected", [
    (date(2025, 1, 31), 1, date(2025, 2, 28)), (date(2024, 1, 31), 1, date(2024, 2, 29)),
    (date(2025, 11, 15), 12, date(2026, 11, 15)), (date(2024, 2, 29), 12, date(2025, 2, 28)),
    (date(2025, 12, 1), 1, date(2026, 1, 1))])
def test_add_months(day, months, expected):
    assert dates_rules.add_months(day, months) == expected


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1)), st.integers(0, 60))
def test_add_months_lands_in_the_right_month(day, months):
    later = dates_rules.add_months(day, months)
    assert (later.year * 12 + later.month) - (day.year * 12 + day.month) == months
    assert later.day <= day.day


def test_prepaid_validity_runs_from_the_last_topup():
    assert profile_rules.valid_until("prepaid", "active", date(2020, 5, 1)) == date(2021, 5, 1)
    assert profile_rules.valid_until("prepaid", "active", date(2020, 5, 1),
                               date(2026, 11, 2)) == date(2027, 11, 2)
    # a top-up older than the activation (a moved number's history) does not shorten it
    assert profile_rules.valid_until("prepaid", "active", date(2026, 1, 10),
                               date(2025, 1, 1)) == date(2027, 1, 10)


@pytest.mark.parametrize("payment,status", [("contract", "active"), ("prepaid", "closed")])
def test_no_end_date(payment, status):
    assert profile_rules.valid_until(payment, status, date(2020, 1, 1)) is None


@pytest.mark.parametrize("iccid", ["8938003992020000015", "89380039920200000000"[:19] + "1",
                                   "89380062300000000009"])
def test_iccid_shapes(iccid):
    assert profile_rules.is_iccid(iccid) == numbers_rules.luhn_ok(iccid)


def test_known_iccid():
    assert numbers_rules.luhn_ok("79927398713")  # the textbook Luhn example
    assert not numbers_rules.luhn_ok("79927398710")
    assert profile_rules.is_iccid("8938003992020000017") is numbers_rules.luhn_ok("8938003992020000017")


@pytest.mark.parametrize("text", ["", "89", "1938003992020000015", "89380039920200000a5",
                                  "893800399202000001", "893800399202000000155",
                                  "８９38003992020000015"])
def test_not_iccids(text):
    assert not profile_rules.is_iccid(text)


@given(st.text(alphabet="0123456789", min_size=18, max_size=19))
def test_a_check_digit_makes_an_iccid(body):
    body = "89" + body[2:]
    check = next(d for d in "0123456789" if numbers_rules.luhn_ok(body + d))
    assert profile_rules.is_iccid(body + check)
    wrong = str((int(check) + 1) % 10)
    assert not profile_rules.is_iccid(body + wrong)


def test_format_iccid():
    assert profile_rules.format_iccid("8938003992020000017") == "8938 0039 9202 0000 017"


@pytest.mark.parametrize("text,ok", [("12345678", True), ("1234567", False), ("1234567a", False),
                                     ("", False)])
def test_puk(text, ok):
    assert profile_rules.is_puk(text) is ok


SHOP = ["Київ", "Kyiv", "Киев", "вул. Хрещатик, 22", "Khreshchatyk St, 22", "ул. Крещатик, 22"]


@pytest.mark.parametrize("query,found", [("", True), ("київ", True), ("KYIV", True),
                                         ("киев крещатик", True), ("Хрещатик 22", True),
                                         ("Львів", False), ("kyiv lviv", False)])
def test_shop_search(query, found):
    assert profile_rules.matches(SHOP, query) is found


def test_apostrophes_do_not_matter():
    assert profile_rules.matches(["Кам’янець-Подільський"], "кам'янець")
    assert profile_rules.matches(["Кам'янець-Подільський"], "Камʼянець")


@pytest.mark.parametrize("agent,expected", [
    ("Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/120.0 Mobile Safari/537.36", ("Chrome", "Android")),
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
     "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1", ("Safari", "iOS")),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0",
     ("Firefox", "Windows")),
    ("Mozilla/5.0 (Windows NT 10.0) AppleWebKit/537.36 Chrome/120.0 Safari/537.36 Edg/120.0",
     ("Edge", "Windows")),
    ("curl/8.0", (None, None)), ("", (None, None)), (None, (None, None))])
def test_user_agents(agent, expected):
    assert profile_rules.describe_user_agent(agent) == expected
