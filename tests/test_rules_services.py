"""Rules of services, tariffs and requests."""
from dataclasses import replace
from datetime import timedelta

import pytest
from hypothesis import given, strategies as st

from rules import services as services_rules
from tests.helpers import kyiv

NOW = kyiv(2026, 11, 25, 10, 0)
MOBILE = services_rules.Subscriber(kind="mobile", status="active", payment="prepaid", balance=10000,
                      tariff="smart")
HOME = services_rules.Subscriber(kind="home_internet", status="active", payment="contract", balance=0,
                    tariff="fast")
WHO_CALLED = services_rules.Offer(code="who-called", kind="mobile", fee=0)
PAID = services_rules.Offer(code="music", kind="mobile", fee=2500)
UNLIM = services_rules.Offer(code="unlim", kind="mobile", payment="contract")
FREE_50 = services_rules.Offer(code="free-50", kind="mobile", payment="prepaid", fee=0)
ULTRA = services_rules.Offer(code="ultra", kind="home_internet")


def code(refusal):
    return refusal.code if refusal else None


# Services ---------------------------------------------------------------------------------

def test_connect_a_free_service():
    assert services_rules.can_connect(MOBILE, WHO_CALLED, set()) is None


@pytest.mark.parametrize("subscriber, service, connected, expected", [
    (MOBILE, services_rules.Offer("tv", "home_internet"), set(), "wrong_kind"),
    (HOME, WHO_CALLED, set(), "wrong_kind"),
    (replace(MOBILE, status="suspended"), WHO_CALLED, set(), "state"),
    (replace(MOBILE, status="debt_blocked"), WHO_CALLED, set(), "state"),
    (replace(MOBILE, status="closed"), WHO_CALLED, set(), "state"),
    (replace(MOBILE, sim_blocked=True), WHO_CALLED, set(), "state"),
    (MOBILE, WHO_CALLED, {"who-called"}, "already"),
    (replace(MOBILE, balance=2499), PAID, set(), "balance"),
    (replace(MOBILE, balance=-100), PAID, set(), "balance"),
])
def test_connect_refusals(subscriber, service, connected, expected):
    assert code(services_rules.can_connect(subscriber, service, connected)) == expected


def test_a_short_balance_says_how_much_is_missing():
    refusal = services_rules.can_connect(replace(MOBILE, balance=1000), PAID, set())
    assert (refusal.fee, refusal.balance, refusal.missing) == (2500, 1000, 1500)


def test_a_free_service_connects_even_with_a_negative_balance():
    assert services_rules.can_connect(replace(MOBILE, balance=-500), WHO_CALLED, set()) is None


@given(balance=st.integers(-10**7, 10**7), fee=st.integers(0, 10**6))
def test_connect_is_allowed_exactly_when_the_balance_covers_the_fee(balance, fee):
    refusal = services_rules.can_connect(replace(MOBILE, balance=balance), replace(PAID, fee=fee), set())
    assert (refusal is None) == (fee == 0 or balance >= fee)
    if refusal:
        assert refusal.missing == fee - balance > 0


@pytest.mark.parametrize("status", ["active", "suspended", "debt_blocked"])
def test_disconnect_is_allowed_in_debt_and_pause(status):
    subscriber = replace(MOBILE, status=status, balance=-5000)
    assert services_rules.can_disconnect(subscriber, PAID, {"music"}) is None


@pytest.mark.parametrize("subscriber, connected, expected", [
    (MOBILE, set(), "not_connected"),
    (MOBILE, {"who-called"}, "not_connected"),
    (replace(MOBILE, status="closed"), {"music"}, "state"),
])
def test_disconnect_refusals(subscriber, connected, expected):
    assert code(services_rules.can_disconnect(subscriber, PAID, connected)) == expected


# Tariffs ----------------------------------------------------------------------------------

def test_switch_to_a_tariff_of_the_same_kind_and_payment():
    assert services_rules.can_switch_tariff(MOBILE, FREE_50, None, NOW) is None
    assert services_rules.can_switch_tariff(HOME, ULTRA, None, NOW) is None


@pytest.mark.parametrize("subscriber, tariff, last, expected", [
    (MOBILE, services_rules.Offer("smart", "mobile"), None, "already"),
    (MOBILE, ULTRA, None, "wrong_kind"),
    (HOME, FREE_50, None, "wrong_kind"),
    (MOBILE, UNLIM, None, "wrong_payment"),
    (replace(MOBILE, status="debt_blocked"), FREE_50, None, "state"),
    (replace(MOBILE, status="suspended"), FREE_50, None, "state"),
    (MOBILE, FREE_50, NOW - timedelta(hours=23, minutes=59), "too_soon"),
    (MOBILE, replace(FREE_50, fee=5000), None, None),
    (replace(MOBILE, balance=4999), replace(FREE_50, fee=5000), None, "balance"),
    (MOBILE, FREE_50, NOW - timedelta(days=1), None),
])
def test_switch_rules(subscriber, tariff, last, expected):
    assert code(services_rules.can_switch_tariff(subscriber, tariff, last, NOW)) == expected


def test_too_soon_says_when_a_switch_is_allowed_again():
    last = NOW - timedelta(hours=3)
    refusal = services_rules.can_switch_tariff(MOBILE, FREE_50, last, NOW)
    assert refusal.allowed_at == last + timedelta(days=1)


@given(hours=st.integers(0, 100))
def test_at_most_one_switch_a_day(hours):
    last = NOW - timedelta(hours=hours)
    refusal = services_rules.can_switch_tariff(MOBILE, FREE_50, last, NOW)
    assert (refusal is None) == (hours >= 24)


# SIM block and Home Internet pause --------------------------------------------------------

@pytest.mark.parametrize("subscriber, pending, expected", [
    (MOBILE, (), None),
    (replace(MOBILE, status="debt_blocked"), (), None),
    (replace(MOBILE, status="suspended"), (), None),
    (replace(MOBILE, status="closed"), (), "state"),
    (HOME, (), "wrong_kind"),
    (replace(MOBILE, sim_blocked=True), (), "already"),
    (MOBILE, ("sim_block",), "pending"),
    (MOBILE, ("sim_unblock",), "pending"),
    (MOBILE, ("pause",), None),
])
def test_sim_block(subscriber, pending, expected):
    assert code(services_rules.can_block_sim(subscriber, pending)) == expected


@pytest.mark.parametrize("subscriber, pending, expected", [
    (replace(MOBILE, sim_blocked=True), (), None),
    (MOBILE, (), "not_blocked"),
    (replace(MOBILE, sim_blocked=True, status="closed"), (), "state"),
    (HOME, (), "wrong_kind"),
    (replace(MOBILE, sim_blocked=True), ("sim_unblock",), "pending"),
])
def test_sim_unblock(subscriber, pending, expected):
    assert code(services_rules.can_unblock_sim(subscriber, pending)) == expected


@pytest.mark.parametrize("subscriber, pending, expected", [
    (HOME, (), None),
    (MOBILE, (), None),  # a mobile number may be paused too
    (replace(MOBILE, sim_blocked=True), (), "state"),
    (replace(HOME, status="suspended"), (), "already"),
    (replace(HOME, status="debt_blocked"), (), "state"),
    (replace(HOME, status="closed"), (), "state"),
    (HOME, ("pause",), "pending"),
])
def test_pause(subscriber, pending, expected):
    assert code(services_rules.can_pause(subscriber, pending)) == expected


@pytest.mark.parametrize("subscriber, pending, expected", [
    (replace(HOME, status="suspended"), (), None),
    (HOME, (), "not_paused"),
    (replace(HOME, status="debt_blocked"), (), "not_paused"),
    (replace(MOBILE, status="suspended"), (), None),
    (replace(HOME, status="suspended"), ("resume",), "pending"),
])
def test_resume(subscriber, pending, expected):
    assert code(services_rules.can_resume(subscriber, pending)) == expected


def test_status_after_a_deferred_request():
    assert services_rules.status_after("pause", "active") == "suspended"
    assert services_rules.status_after("resume", "suspended") == "active"
    assert services_rules.status_after("sim_block", "debt_blocked") == "debt_blocked"
    assert services_rules.sim_blocked_after("sim_block", False) is True
    assert services_rules.sim_blocked_after("sim_unblock", True) is False
    assert services_rules.sim_blocked_after("pause", True) is True


def test_check_deferred_covers_every_deferred_kind():
    assert set(services_rules.DEFERRED_CHECKS) == set(services_rules.DEFERRED_KINDS)
    assert code(services_rules.check_deferred("pause", MOBILE)) is None
    assert code(services_rules.check_deferred("sim_block", HOME)) == "wrong_kind"


# Request states ---------------------------------------------------------------------------

@pytest.mark.parametrize("state, new_state, allowed", [
    ("pending", "done", True),
    ("pending", "rejected", True),
    ("pending", "pending", False),
    ("done", "rejected", False),
    ("done", "pending", False),
    ("rejected", "done", False),
    ("unknown", "done", False),
])
def test_transitions(state, new_state, allowed):
    assert services_rules.can_transition(state, new_state) is allowed


def test_a_request_is_due_after_thirty_minutes():
    assert services_rules.due_at(NOW) == NOW + timedelta(minutes=30)


