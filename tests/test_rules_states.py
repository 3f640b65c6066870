"""The one state model (rules.states): every action in every state."""
import pytest
from hypothesis import given, strategies as st

from rules import states as states_rules


@given(st.sampled_from(states_rules.ACTIONS), st.sampled_from(states_rules.STATES))
def test_every_action_in_every_state_is_allowed_or_refused_with_a_reason(action, state):
    refused = states_rules.refusal(action, state)
    assert (refused is None) == (action in states_rules.ALLOWED[state])
    if refused is not None:
        assert (refused.action, refused.state) == (action, state)
        assert refused.code in ("state", "already", "not_paused", "not_blocked")


@given(st.sampled_from(states_rules.STATES))
def test_the_next_step_of_a_state_is_allowed_in_it(state):
    step = states_rules.next_step(state)
    if step is not None:
        assert states_rules.refusal(step, state) is None


@given(st.sampled_from(["active", "suspended", "debt_blocked", "closed"]), st.booleans())
def test_a_subscription_is_in_exactly_one_state(status, sim_blocked):
    state = states_rules.state_of(status, sim_blocked)
    assert state in states_rules.STATES
    if status == "closed":
        assert state == "closed"
    elif sim_blocked:
        assert state == "sim_blocked"
    else:
        assert state == status


@pytest.mark.parametrize("action, state, code", [
    # What the issue found: a SIM-blocked number sent free SMS and started transfers.
    (states_rules.SMS_OUT, states_rules.SIM_BLOCKED, "state"), (states_rules.TRANSFER_OUT, states_rules.SIM_BLOCKED, "state"),
    (states_rules.TRANSFER_OUT, states_rules.DEBT_BLOCKED, "state"), (states_rules.BONUS_OUT, states_rules.SUSPENDED, "state"),
    (states_rules.PAUSE, states_rules.SUSPENDED, "already"), (states_rules.SIM_BLOCK, states_rules.SIM_BLOCKED, "already"),
    (states_rules.RESUME, states_rules.ACTIVE, "not_paused"), (states_rules.RESUME, states_rules.SIM_BLOCKED, "state"),
    (states_rules.SIM_UNBLOCK, states_rules.SUSPENDED, "not_blocked"), (states_rules.TOP_UP, states_rules.CLOSED, "state"),
])
def test_refusals(action, state, code):
    assert states_rules.refusal(action, state).code == code


@pytest.mark.parametrize("action, state", [
    (states_rules.TOP_UP, states_rules.DEBT_BLOCKED), (states_rules.TRANSFER_IN, states_rules.DEBT_BLOCKED), (states_rules.RESUME, states_rules.SUSPENDED),
    (states_rules.SIM_UNBLOCK, states_rules.SIM_BLOCKED), (states_rules.BONUS_OUT, states_rules.DEBT_BLOCKED), (states_rules.SIM_BLOCK, states_rules.DEBT_BLOCKED),
    (states_rules.SERVICE_DISCONNECT, states_rules.SUSPENDED), (states_rules.CABINET_REMOVE, states_rules.CLOSED),
])
def test_the_ways_out_stay_open(action, state):
    assert states_rules.refusal(action, state) is None


@given(st.integers(-10**9, 10**9))
def test_a_debt_block_is_lifted_at_zero_or_more(balance):
    assert states_rules.unblocked_by(states_rules.DEBT_BLOCKED, balance) is (balance >= 0)
    assert not states_rules.unblocked_by(states_rules.ACTIVE, balance)
    assert states_rules.amount_due(balance) == (-balance if balance < 0 else 0)
