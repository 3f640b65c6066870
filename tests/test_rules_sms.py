"""Free SMS rules: GSM-7 or UCS-2, characters and parts, the limits."""
import math

import pytest
from hypothesis import given, strategies as st

from rules import sms as sms_rules
from rules.sms import GSM7, UCS2, SmsRefused, count
from rules.states import StateRefusal

gsm_basic = st.text(alphabet=sms_rules.GSM7_BASIC, max_size=1000)
gsm_any = st.text(alphabet=sms_rules.GSM7_BASIC + sms_rules.GSM7_EXTENSION, max_size=1000)
any_text = st.text(max_size=600)


def test_the_alphabets():
    assert len(sms_rules.GSM7_BASIC) == len(set(sms_rules.GSM7_BASIC)) == 127  # 128 less the escape
    assert len(sms_rules.GSM7_EXTENSION) == 10
    assert not set(sms_rules.GSM7_BASIC) & set(sms_rules.GSM7_EXTENSION)


@pytest.mark.parametrize("text,encoding,units,parts", [
    ("", GSM7, 0, 0),
    ("Hello", GSM7, 5, 1),
    ("a" * 160, GSM7, 160, 1),
    ("a" * 161, GSM7, 161, 2),
    ("a" * 306, GSM7, 306, 2),
    ("a" * 307, GSM7, 307, 3),
    ("€", GSM7, 2, 1),
    ("a" * 158 + "€", GSM7, 160, 1),
    ("a" * 159 + "€", GSM7, 161, 2),
    # an escape pair is not split: 152 + 2 does not fit 153, so the € opens part two
    ("a" * 152 + "€" + "a" * 152, GSM7, 306, 3),
    ("Привіт", UCS2, 6, 1),
    ("ы" * 70, UCS2, 70, 1),
    ("ы" * 71, UCS2, 71, 2),
    ("ы" * 134, UCS2, 134, 2),
    ("ы" * 135, UCS2, 135, 3),
    ("a" * 159 + "ї", UCS2, 160, 3),  # one Cyrillic letter makes the whole text UCS-2
    ("😀", UCS2, 2, 1),
    ("ы" * 66 + "😀" + "ы" * 66, UCS2, 134, 3),  # a surrogate pair is not split
    ("Ç\n@£$¥", GSM7, 6, 1),
    ("ç", UCS2, 1, 1),  # only the capital Ç is in GSM-7
])
def test_known_counts(text, encoding, units, parts):
    counted = count(text)
    assert (counted.encoding, counted.units, counted.parts) == (encoding, units, parts)


def test_left_in_the_part():
    assert count("a" * 150).left == 10
    assert count("a" * 160).left == 0
    assert count("a" * 200).left == 153 - 47
    assert count("ы" * 10).left == 60
    assert count("").left == 160


@given(gsm_basic)
def test_plain_gsm_parts_follow_the_formula(text):
    counted = count(text)
    assert counted.encoding == GSM7 and counted.units == len(text)
    expected = 0 if not text else 1 if len(text) <= 160 else math.ceil(len(text) / 153)
    assert counted.parts == expected


@given(gsm_any)
def test_extension_characters_take_two_septets(text):
    counted = count(text)
    extension = sum(ch in sms_rules.GSM7_EXTENSION for ch in text)
    assert counted.units == len(text) + extension
    assert counted.characters == len(text)
    # never fewer parts than the septets need, at most one more for every part's unsplit pair
    if counted.units > 160:
        assert math.ceil(counted.units / 153) <= counted.parts <= math.ceil(counted.units / 152)


@given(any_text)
def test_any_text_counts(text):
    counted = count(text)
    assert counted.encoding in (GSM7, UCS2)
    if counted.encoding == UCS2:
        assert counted.units == len(text.encode("utf-16-le")) // 2
        assert any(ch not in sms_rules.GSM7_BASIC + sms_rules.GSM7_EXTENSION for ch in text)
    assert 0 <= counted.left <= 160
    assert (counted.parts == 0) == (text == "")


@given(any_text, any_text)
def test_more_text_never_takes_fewer_parts(head, tail):
    assert count(head + tail).parts >= count(head).parts


@given(st.text(alphabet=sms_rules.GSM7_BASIC, min_size=1, max_size=300), st.sampled_from("їЁ😀"))
def test_one_foreign_character_switches_the_whole_text(text, foreign):
    assert count(text + foreign).encoding == UCS2
    assert count(text + foreign).parts >= count(text).parts


def test_crlf_is_one_break():
    assert sms_rules.normalize("a\r\nb") == "a\nb"
    assert sms_rules.check_text("a\r\n" * 53 + "a").units == 107  # 53 × "a\n" + "a"


@pytest.mark.parametrize("text,code", [("", "empty"), ("   \n ", "empty"), (None, "empty"),
                                        ("a" * (153 * 6 + 1), "too_long"),
                                        ("ы" * (67 * 6 + 1), "too_long")])
def test_bad_texts(text, code):
    with pytest.raises(SmsRefused) as refused:
        sms_rules.check_text(text)
    assert refused.value.code == code
    if code == "too_long":
        assert (refused.value.limit, refused.value.parts) == (6, 7)


def test_the_longest_text_passes():
    assert sms_rules.check_text("a" * 153 * 6).parts == 6
    assert sms_rules.check_text("ы" * 67 * 6).parts == 6


@pytest.mark.parametrize("sent,parts,left_after", [(0, 1, 29), (0, 30, 0), (29, 1, 0),
                                                   (25, 5, 0)])
def test_daily_cap_allows(sent, parts, left_after):
    assert sms_rules.check_daily_cap(sent, parts) == left_after


@pytest.mark.parametrize("sent,parts,left", [(30, 1, 0), (29, 2, 1), (0, 31, 30), (40, 1, 0)])
def test_daily_cap_refuses(sent, parts, left):
    with pytest.raises(SmsRefused) as refused:
        sms_rules.check_daily_cap(sent, parts)
    assert (refused.value.code, refused.value.left, refused.value.limit) == ("cap", left, 30)


@given(st.integers(0, 100), st.integers(1, 10))
def test_cap_is_never_passed(sent, parts):
    try:
        sms_rules.check_daily_cap(sent, parts)
    except SmsRefused:
        assert sent + parts > sms_rules.DAILY_CAP
    else:
        assert sent + parts <= sms_rules.DAILY_CAP


def test_only_a_mobile_number_sends():
    with pytest.raises(SmsRefused) as refused:
        sms_rules.check_sender("home_internet", "active")
    assert refused.value.code == "not_mobile"


@pytest.mark.parametrize("state", ["suspended", "debt_blocked", "sim_blocked", "closed"])
def test_a_number_whose_state_forbids_it_does_not_send(state):
    with pytest.raises(StateRefusal) as refused:
        sms_rules.check_sender("mobile", state)
    assert (refused.value.action, refused.value.state) == ("sms_out", state)


def test_an_active_mobile_sends():
    sms_rules.check_sender("mobile", "active")
