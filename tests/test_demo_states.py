"""The demo data agrees with the numbers' states (issue 25 item 6): no paused, blocked or
closed number has usage after its state began, and `demo-data` checks it."""
from datetime import timedelta

import models
from portal.demo.usage import usage_after_state


def test_demo_data_has_no_usage_after_a_state_began_and_says_so_when_it_has(app, clock):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["demo-data"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        models.db.connect(reuse_if_open=True)
        states = {sub.number: sub.state for sub in models.Subscription.select()}
        assert {"suspended", "debt_blocked", "sim_blocked", "closed"} <= set(states.values())
        assert usage_after_state(clock.now()) == []
        # A call made on a paused number yesterday is the contradiction the check finds.
        paused = models.Subscription.get(models.Subscription.number == "+380961234567")
        models.UsageRecord.insert_rows([(paused.id, clock.now() - timedelta(days=1),
                                         "call_out", "+380671112233", 60, 150)])
        assert [found[:2] for found in usage_after_state(clock.now())] == [
            ("+380961234567", "suspended")]
    result = runner.invoke(args=["demo-data"])
    assert result.exit_code == 1 and "+380961234567 is suspended since" in result.output
