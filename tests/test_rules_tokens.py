"""The rules of personal API tokens (rules.tokens): names, the cap, the Bearer header, the
rate and how often a use is written down."""
import base64
import unicodedata
from datetime import datetime, timedelta

import pytest
from hypothesis import given, strategies as st

from rules import tokens as tokens_rules
from rules.profile import ProfileRefused
from tests.helpers import kyiv

NOW = kyiv(2026, 11, 25, 10, 7, 30)


def refusal(action, *args):
    with pytest.raises(ProfileRefused) as refused:
        action(*args)
    return refused.value


# Names ------------------------------------------------------------------------------------

@pytest.mark.parametrize("text,expected", [
    ("widget on my phone", "widget on my phone"), ("  Віджет   на телефоні ", "Віджет на телефоні"),
    ("x" * 40, "x" * 40), ("Home Assistant ✓", "Home Assistant ✓")])
def test_names(text, expected):
    assert tokens_rules.clean_name(text) == expected


@pytest.mark.parametrize("text,code", [
    ("", "required"), ("   ", "required"), (None, "required"), ("\t\n", "required"),
    ("x" * 41, "too_long"), ("bell\x07", "characters"), ("zero\u200bwidth", "characters"),
    ("nul\x00", "characters"), ("c1\x9b", "characters")])
def test_bad_names(text, code):
    assert refusal(tokens_rules.clean_name, text).code == code


def test_too_long_names_the_limit():
    assert refusal(tokens_rules.clean_name, "x" * 41).limit == tokens_rules.NAME_MAX == 40


@given(st.text(max_size=80))
def test_a_name_is_clean_or_refused(text):
    try:
        cleaned = tokens_rules.clean_name(text)
    except ProfileRefused as refused:
        assert refused.code in ("required", "too_long", "characters")
        if refused.code == "required":
            assert not text.strip()
    else:
        assert 0 < len(cleaned) <= 40
        assert cleaned == cleaned.strip() and "  " not in cleaned
        assert not any(unicodedata.category(ch) in ("Cc", "Cf", "Co", "Cs") for ch in cleaned)


@given(st.text(st.characters(min_codepoint=0, max_codepoint=0x9f), min_size=1, max_size=60))
def test_no_control_character_is_kept(text):
    try:
        cleaned = tokens_rules.clean_name(text)
    except ProfileRefused:
        return
    assert not any(ord(ch) < 0x20 or 0x7f <= ord(ch) <= 0x9f for ch in cleaned)


# The cap ----------------------------------------------------------------------------------

@pytest.mark.parametrize("live", [0, 1, 9])
def test_a_cabinet_with_room_makes_a_token(live):
    tokens_rules.check_new_token(live)


@given(st.integers(min_value=10, max_value=10_000))
def test_a_full_cabinet_makes_none(live):
    refused = refusal(tokens_rules.check_new_token, live)
    assert (refused.code, refused.limit) == ("tokens_full", 10)


# The header -------------------------------------------------------------------------------

# One token as secrets.token_urlsafe(32) makes them (with a "-" and a "_"), fixed: a name drawn
# at import would differ in each xdist worker, whose collections must agree.
TOKEN = "pk_O5A-aygCam9KUI7kC-7OyltVA09knhgVVT19_s8_nO8"


@pytest.mark.parametrize("header", [f"Bearer {TOKEN}", f"bearer {TOKEN}", f"BEARER  {TOKEN} "])
def test_a_bearer_header_carries_the_token(header):
    assert tokens_rules.bearer_token(header) == TOKEN


@pytest.mark.parametrize("header", [
    None, "", "Bearer", "Bearer ", f"Basic {TOKEN}", f"Token {TOKEN}", TOKEN, f"Bearer{TOKEN}",
    f"Bearer {TOKEN[3:]}", "Bearer pk_short", f"Bearer {TOKEN}x{'y' * 100}",
    f"Bearer {TOKEN} extra", f"Bearer {TOKEN}\x00", f"Bearer pk_{'=' * 40}",
    f"Bearer\t{TOKEN}"])
def test_anything_else_carries_none(header):
    assert tokens_rules.bearer_token(header) is None


@given(st.text(max_size=200))
def test_what_a_header_carries_is_a_token_of_ours_or_nothing(text):
    found = tokens_rules.bearer_token(text)
    if found is not None:
        assert found.startswith("pk_") and found in text and found.isascii()
        assert " " not in found


@given(st.binary(min_size=32, max_size=64))
def test_every_made_token_is_carried(raw):
    token = "pk_" + base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
    assert tokens_rules.bearer_token("Bearer " + token) == token


# The rate ---------------------------------------------------------------------------------

def test_a_counted_call_waits_for_nothing():
    assert tokens_rules.retry_after(None, NOW) is None


@pytest.mark.parametrize("oldest, wait", [
    (NOW - timedelta(seconds=30), 30), (NOW - timedelta(seconds=59, microseconds=1), 1),
    (NOW - timedelta(microseconds=1), 60)])
def test_past_the_rate_the_wait_ends_when_the_oldest_call_leaves(oldest, wait):
    calls = [oldest] + [NOW] * 59
    assert tokens_rules.retry_after(calls, NOW) == wait


@given(st.lists(st.integers(min_value=0, max_value=59_999), min_size=60, max_size=60),
       st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2040, 1, 1)))
def test_the_wait_lets_the_next_call_into_a_minute_of_sixty(ages_ms, now):
    calls = [now - timedelta(milliseconds=age) for age in ages_ms]
    wait = tokens_rules.retry_after(calls, now)
    assert 1 <= wait <= 60
    later = now + timedelta(seconds=wait)
    assert sum(call > later - tokens_rules.WINDOW for call in calls) < 60


# Last use ---------------------------------------------------------------------------------

@pytest.mark.parametrize("last,due", [
    (None, True), (NOW, False), (NOW - timedelta(seconds=59), False),
    (NOW - timedelta(minutes=1), True), (NOW - timedelta(days=3), True)])
def test_a_use_is_written_at_most_once_a_minute(last, due):
    assert tokens_rules.touch_due(last, NOW) is due
