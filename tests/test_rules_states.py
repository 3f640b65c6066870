"""The one state model (rules.states): every action in every state."""
import pytest
from hypothesis import given, strategies as st

from rules import states as s


@given(st.sampled_from(s.ACTIONS), st.sampled_from(s.STATES))
def test_every_action_in_every_state_is_allowed_or_refused_with_a_reason(action, state):
    refused = s.refusal(action, state)
    assert (refused is None) == (action in s.ALLOWED[state])
    if refused is not None:
        assert (refused.action, refused.state) == (action, state)
        assert refused.code in ("state", "already", "not_paused", "not_blocked")


@given(st.sampled_from(s.STATES))
def test_the_next_step_of_a_state_is_allowed_in_it(state):
    step = s.next_step(state)
    if step is not None:
        assert s.refusal(step, state) is None


@given(st.sampled_from(["active", "suspended", "debt_blocked", "closed"]), st.booleans())
def test_a_subscription_is_in_exactly_one_state(status, sim_blocked):
    state = s.state_of(status, sim_blocked)
    assert state in s.STATES
    if status == "closed":
        assert state == "closed"
    elif sim_blocked:
        assert state == "sim_blocked"
    else:
        assert state == status


@pytest.mark.parametrize("action, state, code", [
    # What the issue found: a SIM-blocked number sent free SMS and started transfers.
    (s.SMS_OUT, s.SIM_BLOCKED, "state"), (s.TRANSFER_OUT, s.SIM_BLOCKED, "state"),
    (s.TRANSFER_OUT, s.DEBT_BLOCKED, "state"), (s.BONUS_OUT, s.SUSPENDED, "state"),
    (s.PAUSE, s.SUSPENDED, "already"), (s.SIM_BLOCK, s.SIM_BLOCKED, "already"),
    (s.RESUME, s.ACTIVE, "not_paused"), (s.RESUME, s.SIM_BLOCKED, "state"),
    (s.SIM_UNBLOCK, s.SUSPENDED, "not_blocked"), (s.TOP_UP, s.CLOSED, "state"),
])
def test_refusals(action, state, code):
    assert s.refusal(action, state).code == code


@pytest.mark.parametrize("action, state", [
    (s.TOP_UP, s.DEBT_BLOCKED), (s.TRANSFER_IN, s.DEBT_BLOCKED), (s.RESUME, s.SUSPENDED),
    (s.SIM_UNBLOCK, s.SIM_BLOCKED), (s.BONUS_OUT, s.DEBT_BLOCKED), (s.SIM_BLOCK, s.DEBT_BLOCKED),
    (s.SERVICE_DISCONNECT, s.SUSPENDED), (s.CABINET_REMOVE, s.CLOSED),
])
def test_the_ways_out_stay_open(action, state):
    assert s.refusal(action, state) is None


@given(st.integers(-10**9, 10**9))
def test_a_debt_block_is_lifted_at_zero_or_more(balance):
    assert s.unblocked_by(s.DEBT_BLOCKED, balance) is (balance >= 0)
    assert not s.unblocked_by(s.ACTIVE, balance)
    assert s.amount_due(balance) == (-balance if balance < 0 else 0)
