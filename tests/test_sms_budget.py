"""Every SMS inside a budget (docs/sms-budgets.md): codes in sliding windows at a window's
edge, notices per recipient folded into a summary, strangers' phones in their own budget,
the payer's open top-ups; each with a burst of threads on two app instances sharing one
database (on PostgreSQL with PORTAL_TEST_DATABASE_URL)."""

import models
from rules.budget import Limits
from tests.helpers import (
    PASSWORD,
    VICTIM,
    burst,
    codes_at_once,
    full_until,
    kyiv,
    last_code,
    nodes,
    page,
    payment_key,
    review_key,
    sms_to,
    top_up,
)


def signed_in_as(app, number):
    browser = app.test_client()
    assert browser.post("/login", data={"login": number[4:], "password": PASSWORD}
                        ).status_code == 303
    return browser


def review(browser, target, amount):
    return review_key(page(browser.post("/transfer", data={"target": target, "amount": amount})))


def transfer(browser, target, amount):
    key = review(browser, target, amount)
    return browser.post("/transfer", data={"target": target, "amount": amount, "key": key})


def received(app, number=VICTIM):
    return [text for text in sms_to(app, number) if "1,00" in text]


def held(app):
    with app.app_context():
        models.db.connect(reuse_if_open=True)
        return {row.to: row.count for row in models.HeldNotice.select()}


# Codes: sliding windows ---------------------------------------------------------------------

def test_no_ten_minutes_across_a_window_edge_hold_more_than_five_codes(app, client, victim,
                                                                         clock):
    """The probe: fixed windows let 9 codes reach one phone within 132 s across 10:10.
    Now the five of 10:07-10:09 keep the window full until 10:17."""
    clock.set(kyiv(2026, 11, 25, 10, 7))
    for step in range(3):
        assert client.post("/login/sms", data={"login": VICTIM}).status_code == 200
        if step < 2:
            assert client.post("/register", data={"login": VICTIM}).status_code == 200
        clock.advance(seconds=61)
    clock.set(kyiv(2026, 11, 25, 10, 10, 3))  # a fixed window would start afresh here
    full_until(app, client, clock, kyiv(2026, 11, 25, 10, 17), "25.11 10:17")


def test_an_address_burst_on_two_nodes_spends_its_window_exactly(app, second_node, factory):
    app.config["SMS_LIMITS"] = second_node.config["SMS_LIMITS"] = Limits(per_address_short=3)
    statuses = codes_at_once(app, second_node, factory, 10)
    assert sorted(statuses) == [200] * 3 + [429] * 7


# Notices per recipient ------------------------------------------------------------------------

def test_twenty_transfers_put_ten_notices_an_hour_on_one_phone_and_one_summary(
        app, factory, victim, clock):
    """The probe: 20 transfers of 1 UAH put 20 "you received" SMS on a third person's
    phone. Now ten in the hour; the rest are folded into one summary once the hour frees."""
    factory.subscriber(number="+380671234567", balance=100_000)
    sender = signed_in_as(app, "+380671234567")
    for _ in range(20):
        assert transfer(sender, VICTIM, "1").status_code == 303
        clock.advance(seconds=30)
    assert len(received(app)) == 10
    assert held(app)[VICTIM] == 10
    with app.app_context():  # the money moved all the same
        assert models.Subscription.by_number(VICTIM).balance == 1000 + 20_00
    runner = app.test_cli_runner()
    assert "summaries of held notices: 0" in runner.invoke(args=["send-sms"]).output
    clock.set(kyiv(2026, 11, 25, 11, 0, 30))  # the hour's first notice has left
    assert "summaries of held notices: 2" in runner.invoke(args=["send-sms"]).output
    summary = sms_to(app, VICTIM)[0]
    assert "10" in summary and VICTIM not in held(app)
    assert "summaries of held notices: 0" in runner.invoke(args=["send-sms"]).output


def test_a_burst_of_transfers_on_two_nodes_sends_ten_notices(app, second_node, factory,
                                                             victim):
    senders = [f"+38067123450{index:01d}" if index < 10 else f"+3806712345{index:02d}"
               for index in range(12)]
    browsers = []
    for index, number in enumerate(senders):
        factory.subscriber(number=number, balance=10_000)
        browser = signed_in_as(app if index % 2 == 0 else second_node, number)
        browsers.append((browser, review(browser, VICTIM, "1")))
    statuses = burst(12, lambda i: browsers[i][0].post("/transfer", data={
        "target": VICTIM, "amount": "1", "key": browsers[i][1]}).status_code)
    assert statuses == [303] * 12
    assert len(received(app)) == 10 and held(app)[VICTIM] == 2


def test_free_sms_and_codes_are_not_held_by_the_notice_budget(app, client, victim, factory):
    app.config["SMS_LIMITS"] = Limits(notices_per_hour=1)
    factory.subscriber(number="+380671234567", balance=100_000)
    sender = signed_in_as(app, "+380671234567")
    for _ in range(2):
        transfer(sender, VICTIM, "1")
    assert len(received(app)) == 1
    assert client.post("/login/sms", data={"login": VICTIM}).status_code == 200
    assert sender.post("/sms/send", data={"to": VICTIM[4:], "text": "Привіт"}
                       ).status_code == 303
    assert any("Привіт" in text for text in sms_to(app, VICTIM))


# Strangers' phones --------------------------------------------------------------------------

def test_one_address_texts_ten_strangers_in_ten_minutes_on_two_nodes(app, second_node,
                                                                       victim):
    """The probe: one address texted 300 people who are not subscribers in 17 s."""
    strangers = [f"+3809355500{index:02d}" for index in range(20)]
    browsers = nodes(app, second_node, 20)
    statuses = burst(20, lambda i: top_up(browsers[i], strangers[i]).status_code)
    assert sorted(statuses) == [200] * 10 + [429] * 10
    assert sum(bool(sms_to(app, number)) for number in strangers) == 10
    with app.app_context():  # every refused start released its card hold
        assert models.Payment.select().count() == 10


def test_a_strangers_phone_gets_three_codes_in_ten_minutes(app, client, victim, clock):
    for index in range(3):
        assert top_up(client, "+380935550000", target=VICTIM[1:],
                      amount=str(index + 1)).status_code == 200
        clock.advance(minutes=1)
    assert top_up(client, "+380935550000").status_code == 429


def test_strangers_never_use_more_than_their_share_of_the_day(app, client, factory, victim):
    app.config["SMS_LIMITS"] = Limits(portal_day=20, strangers_share=10)
    for index in range(2):
        assert top_up(client, f"+38093555000{index}").status_code == 200
    refused = top_up(client, "+380935550009")
    assert refused.status_code == 429 and "26.11 00:00" in page(refused)
    # Subscribers' codes still go: the rest of the day's total is theirs.
    assert top_up(client, VICTIM).status_code == 200


# The payer's open top-ups (issue 25) -----------------------------------------------------------

def test_a_second_top_up_after_the_first_is_paid_goes_at_once(app, client, victim):
    first = top_up(client, VICTIM)
    assert client.post(f"/topup/{payment_key(first)}/confirm",
                       data={"code": last_code(app, VICTIM)}).status_code == 303
    assert top_up(client, VICTIM).status_code == 200


def test_a_second_top_up_to_another_number_goes_while_the_first_is_open(app, client, victim,
                                                                          factory):
    factory.subscriber(number="+380671234567")
    assert top_up(client, VICTIM).status_code == 200
    assert top_up(client, VICTIM, target="0671234567").status_code == 200
    assert len(sms_to(app, VICTIM)) == 2


def test_a_payer_holds_three_open_top_ups_on_two_nodes(app, second_node, victim, factory):
    targets = [f"+38067123456{index}" for index in range(9)]
    for number in targets:
        factory.subscriber(number=number)
    browsers = nodes(app, second_node, 8)
    statuses = burst(8, lambda i: top_up(browsers[i], VICTIM, target=targets[i][1:]
                                         ).status_code)
    assert sorted(statuses) == [200] * 3 + [429] * 5
    refused = top_up(app.test_client(), VICTIM, target=targets[8][1:])  # none open to it
    assert "already waiting for their codes" in page(refused)


def test_an_open_top_up_frees_the_payer_when_it_lapses(app, client, victim, factory, clock):
    for index in range(3):
        factory.subscriber(number=f"+38067123456{index}")
        assert top_up(client, VICTIM, target=f"067123456{index}").status_code == 200
    factory.subscriber(number="+380671234569")
    assert top_up(client, VICTIM, target="0671234569").status_code == 429
    clock.advance(minutes=10)
    assert top_up(client, VICTIM, target="0671234569").status_code == 200


def test_debits_at_once_on_two_nodes_send_one_alert(app, second_node, factory, clock):
    """Six debits at once on two servers, each below the threshold: one alert."""
    owner = factory.subscriber(number="+380671234567", balance=10_000)
    with app.app_context():
        models.db.connect(reuse_if_open=True)
        models.Subscription.update(alert_threshold=9_000).where(
            models.Subscription.id == owner.id).execute()
    factory.subscriber(number="+380681234567", balance=0)
    browsers = [signed_in_as(node, "+380671234567") for node in (app, second_node) * 3]
    keys = [review(browser, "+380681234567", "5") for browser in browsers]
    statuses = burst(6, lambda i: browsers[i].post("/transfer", data={
        "target": "+380681234567", "amount": "5", "key": keys[i]}).status_code)
    assert statuses == [303] * 6
    alerts = [text for text in sms_to(app, "+380671234567") if "нижче за ваш поріг" in text]
    assert len(alerts) == 1
