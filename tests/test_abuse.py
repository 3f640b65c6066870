"""The portal under abuse: SMS bombing through every door that sends a code, bursts of
simultaneous requests against every count (threads against two app instances on one
database: on PostgreSQL, two nodes), password guessing, duplicate confirmations."""

import pytest

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
    staff_secret,
    top_up,
)

# SMS bombing ------------------------------------------------------------------------------

def test_thirty_top_up_starts_send_one_code(app, client, victim):
    statuses = [top_up(client).status_code for _ in range(30)]
    assert statuses == [200] + [429] * 29
    assert len(sms_to(app, VICTIM)) == 1
    assert "You can ask for a new one at 10:01:00" in page(top_up(client))
    with app.app_context():  # every refused start released its card hold at once
        assert models.Payment.select().count() == 1


def test_a_burst_of_code_requests_on_two_nodes_sends_one(app, second_node, victim):
    browsers = nodes(app, second_node, 20)
    statuses = burst(20, lambda i: browsers[i].post(
        "/login/sms", data={"login": VICTIM}).status_code)
    assert sorted(statuses) == [200] + [429] * 19
    assert len(sms_to(app, VICTIM)) == 1


def test_every_door_shares_the_budget_of_a_number(app, client, factory, victim, clock):
    """Kinds apart (a subscriber who registers and at once tops up gets both codes), but
    five SMS in ten minutes to one number at most, whatever their kinds."""
    assert client.post("/register", data={"login": VICTIM}).status_code == 200
    assert top_up(client).status_code == 200
    assert client.post("/login/sms", data={"login": VICTIM}).status_code == 200
    factory.subscriber(number="+380671110000", name="Інша")  # adds the victim's number
    helper = app.test_client()
    helper.post("/login", data={"login": "0671110000", "password": PASSWORD})
    assert helper.post("/profile/numbers/add", data={"number": VICTIM}).status_code == 200
    clock.advance(minutes=1)
    assert client.post("/login/sms", data={"login": VICTIM}).status_code == 200  # the 5th
    clock.advance(minutes=1)
    full_until(app, client, clock, kyiv(2026, 11, 25, 10, 10), "10:10")


def test_one_address_has_its_own_generous_limit(app, client, factory):
    app.config["SMS_LIMITS"] = Limits(per_address_short=3)
    numbers = [f"+38067555000{i}" for i in range(4)]
    for number in numbers:
        factory.subscriber(number=number)
    statuses = [client.post("/login/sms", data={"login": number}).status_code
                for number in numbers]
    assert statuses == [200, 200, 200, 429]
    other_address = client.post("/login/sms", data={"login": numbers[3]},
                                environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert other_address.status_code == 200


def test_the_portals_daily_total_refuses_politely_and_shows_to_staff(app, client, factory,
                                                                      victim):
    from portal.core.security import hash_password
    app.config["SMS_LIMITS"] = Limits(portal_day=2)
    for number in ("+380675550001", "+380675550002", "+380675550003"):
        factory.subscriber(number=number)
    assert client.post("/login/sms", data={"login": "0675550001"}).status_code == 200
    assert client.post("/login/sms", data={"login": "0675550002"}).status_code == 200
    response = client.post("/login/sms", data={"login": "0675550003"})
    assert response.status_code == 429
    assert "too many SMS right now" in page(response) and "26.11 00:00" in page(response)
    with app.app_context():
        models.db.connect(reuse_if_open=True)
        models.StaffUser.create(
            totp_secret=staff_secret(), login="agent", role="agent", password_hash=hash_password(
            PASSWORD), created_at=kyiv(2026, 1, 1), password_changed_at=kyiv(2026, 1, 1))
    staff = app.test_client()
    staff.post("/staff", data={"login": "agent", "password": PASSWORD})
    html = page(staff.get("/staff"))
    assert "SMS codes today: 2 of 2" in html and "spent" in html


def test_receipts_are_never_held_back(app, client, factory, victim, clock):
    for _ in range(3):
        client.post("/login/sms", data={"login": VICTIM})
        clock.advance(minutes=1)
    app.config["SMS_LIMITS"] = Limits(per_number_short=1)
    assert client.post("/login/sms", data={"login": VICTIM}).status_code == 429
    sender = factory.subscriber(number="+380671234567", balance=10000)
    payer = app.test_client()
    payer.post("/login", data={"login": "0671234567", "password": PASSWORD})
    html = page(payer.post("/transfer", data={"target": VICTIM, "amount": "5"}))
    key = review_key(html)
    assert payer.post("/transfer", data={"number": sender.number, "target": VICTIM,
                                         "amount": "5", "key": key}).status_code == 303
    assert "5,00" in sms_to(app, VICTIM)[0]


# Bursts against the counts ------------------------------------------------------------------

def test_forty_wrong_passwords_at_once_check_ten(app, second_node, victim):
    browsers = nodes(app, second_node, 40)
    statuses = burst(40, lambda i: browsers[i].post(
        "/login", data={"login": VICTIM, "password": f"Wrong-{i}x"}).status_code)
    # Exactly ten are checked; those that fail after the tenth see the wait at once.
    assert set(statuses) == {422, 429} and statuses.count(429) >= 30
    with app.app_context():
        models.db.connect(reuse_if_open=True)
        checked = models.AuditEvent.select().where(
            models.AuditEvent.event == "login_failed").count()
        assert checked == 10


def test_twenty_wrong_codes_at_once_count_five(app, second_node, victim):
    browser = app.test_client()
    browser.post("/login/sms", data={"login": VICTIM})
    code = last_code(app, VICTIM)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    with browser.session_transaction() as session:
        pending = dict(session)
    browsers = [app.test_client() for _ in range(20)]
    for other in browsers:  # the same browser session, twenty times over
        with other.session_transaction() as session:
            session.update(pending)
    statuses = burst(20, lambda i: browsers[i].post(
        "/login/sms/verify", data={"login": VICTIM, "code": wrong}).status_code)
    with app.app_context():
        models.db.connect(reuse_if_open=True)
        assert models.OneTimeCode.get().attempts == 5
        # The code is burnt; the account is not locked (the owner's next code works).
        assert models.FailedAttempt.select().count() == 0
    assert statuses == [422] * 20


def attack(client, clock, rounds=2):
    """The probe's combined lockout: 11 wrong passwords, a code asked and 5 wrong codes,
    again a minute later (23 requests in 62 seconds)."""
    statuses = []
    for _round in range(rounds):
        for attempt in range(11 if _round == 0 else 0):
            statuses.append(client.post("/login", data={
                "login": VICTIM, "password": f"Wrong-{attempt}x"}).status_code)
        statuses.append(client.post("/login/sms", data={"login": VICTIM}).status_code)
        for _ in range(5):
            statuses.append(client.post("/login/sms/verify", data={
                "login": VICTIM, "code": "000000"}).status_code)
        clock.advance(seconds=61)
    return statuses


def test_the_combined_lockout_leaves_the_owner_a_fresh_code(app, victim, clock):
    attacker, owner = app.test_client(), app.test_client()
    statuses = attack(attacker, clock)
    assert statuses[:11] == [422] * 9 + [429, 429] and 429 not in statuses[11:]
    assert len(sms_to(app, VICTIM)) == 2
    # The password waits, as it should; the code does not.
    assert owner.post("/login", data={"login": VICTIM, "password": PASSWORD}).status_code == 429
    assert owner.post("/login/sms", data={"login": VICTIM}).status_code == 200
    response = owner.post("/login/sms/verify",
                          data={"login": VICTIM, "code": last_code(app, VICTIM)})
    assert response.status_code == 303 and response.headers["Location"] == "/"


def test_the_attack_repeated_all_day_never_holds_back_the_owners_code(app, victim, clock):
    attacker = app.test_client()
    for _hour in range(3):
        attack(attacker, clock, rounds=2)
        clock.advance(minutes=1)
        owner = app.test_client()
        assert owner.post("/login/sms", data={"login": VICTIM}).status_code == 200
        assert owner.post("/login/sms/verify", data={
            "login": VICTIM, "code": last_code(app, VICTIM)}).status_code == 303
        clock.advance(minutes=60)


def test_wrong_codes_of_one_code_never_hold_back_the_next(app, client, victim, clock):
    for _ in range(4):  # four codes burnt by five wrong tries each: twenty wrong codes
        assert client.post("/login/sms", data={"login": VICTIM}).status_code == 200
        for _ in range(5):
            client.post("/login/sms/verify", data={"login": VICTIM, "code": "000000"})
        clock.advance(minutes=1)
    assert client.post("/login/sms", data={"login": VICTIM}).status_code == 200
    assert client.post("/login/sms/verify", data={
        "login": VICTIM, "code": last_code(app, VICTIM)}).status_code == 303


# Password spraying from one address --------------------------------------------------------

SPRAYER, NEIGHBOUR = "203.0.113.7", "198.51.100.9"


def from_address(app, address):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


@pytest.fixture
def twenty_numbers(factory):
    return [factory.subscriber(number=f"+38067100{index:04d}", name=f"Абонент {index}").number
            for index in range(20)]


def test_a_hundred_sprayed_passwords_check_the_address_limit_only(app, twenty_numbers):
    app.config["PASSWORD_FAILS_PER_ADDRESS"] = 50
    sprayer = from_address(app, SPRAYER)
    statuses = [sprayer.post("/login", data={"login": number, "password": f"Spray-{round_}x"}
                             ).status_code
                for round_ in range(5) for number in twenty_numbers]
    assert statuses == [422] * 50 + [429] * 50
    assert "Sign in with a code by SMS" in page(sprayer.post("/login", data={
        "login": twenty_numbers[0], "password": PASSWORD}))
    with app.app_context():
        models.db.connect(reuse_if_open=True)
        assert models.AuditEvent.select().where(
            models.AuditEvent.event == "login_failed").count() == 50
    # No account is locked: from another address the owner's password works ...
    neighbour = from_address(app, NEIGHBOUR)
    assert neighbour.post("/login", data={"login": twenty_numbers[0], "password": PASSWORD}
                          ).status_code == 303
    # ... and from the sprayer's address (a carrier NAT) the owner signs in by SMS code.
    owner = from_address(app, SPRAYER)
    assert owner.post("/login/sms", data={"login": twenty_numbers[1]}).status_code == 200
    assert owner.post("/login/sms/verify", data={
        "login": twenty_numbers[1], "code": last_code(app, twenty_numbers[1])}
        ).status_code == 303


def test_the_address_limit_is_200_an_hour_by_default(app, twenty_numbers, clock):
    assert app.config["PASSWORD_FAILS_PER_ADDRESS"] == 200
    sprayer = from_address(app, SPRAYER)
    statuses = []
    for round_ in range(11):
        for number in twenty_numbers:
            statuses.append(sprayer.post("/login", data={
                "login": number, "password": f"Spray-{round_}x"}).status_code)
        clock.advance(minutes=1)
        if round_ == 8:  # the accounts' own ten-a-quarter-hour waits pass
            clock.advance(minutes=16)
    assert statuses.count(429) >= 20 and "Sign in with a code by SMS" in page(sprayer.post(
        "/login", data={"login": twenty_numbers[0], "password": "Spray-x1"}))
    clock.advance(hours=1, minutes=1)
    assert sprayer.post("/login", data={"login": twenty_numbers[0], "password": PASSWORD}
                        ).status_code == 303


def test_a_burst_of_sprayed_passwords_checks_no_more_than_the_limit(app, second_node,
                                                                     twenty_numbers):
    for node in (app, second_node):
        node.config["PASSWORD_FAILS_PER_ADDRESS"] = 10
    browsers = [from_address(node, SPRAYER) for node in (app, second_node) * 10]
    statuses = burst(20, lambda i: browsers[i].post("/login", data={
        "login": twenty_numbers[i], "password": f"Spray-{i}x"}).status_code)
    assert statuses.count(422) == 10 and statuses.count(429) == 10
    with app.app_context():
        models.db.connect(reuse_if_open=True)
        assert models.AuditEvent.select().where(
            models.AuditEvent.event == "login_failed").count() == 10


def test_a_right_password_takes_back_its_own_count_only(app, twenty_numbers):
    app.config["PASSWORD_FAILS_PER_ADDRESS"] = 5
    sprayer = from_address(app, SPRAYER)
    for number in twenty_numbers[:4]:
        assert sprayer.post("/login", data={"login": number, "password": "Spray-1x"}
                            ).status_code == 422
    assert from_address(app, SPRAYER).post("/login", data={
        "login": twenty_numbers[5], "password": PASSWORD}).status_code == 303
    assert sprayer.post("/login", data={"login": twenty_numbers[6], "password": "Spray-1x"}
                        ).status_code == 422
    assert sprayer.post("/login", data={"login": twenty_numbers[7], "password": PASSWORD}
                        ).status_code == 429


def test_forty_chat_posts_at_once_store_twenty(app, second_node, signed_in):
    browsers = nodes(app, second_node, 40)
    for browser in browsers:
        browser.post("/login", data={"login": "0671234567", "password": PASSWORD})
    statuses = burst(40, lambda i: browsers[i].post(
        "/support/messages", data={"text": f"message {i}"}).status_code)
    assert sorted(set(statuses)) == [303, 429]
    with app.app_context():
        models.db.connect(reuse_if_open=True)
        assert models.ChatMessage.select().count() == 20


def test_six_top_ups_confirmed_at_once_stay_under_the_cap(app, second_node, victim, clock):
    browsers = nodes(app, second_node, 6)
    keys = []
    for index, browser in enumerate(browsers):
        payer = f"+38067777000{index}"
        started = top_up(browser, amount="5000", payer=payer)
        keys.append((payment_key(started), last_code(app, payer)))
    statuses = burst(6, lambda i: browsers[i].post(
        f"/topup/{keys[i][0]}/confirm", data={"code": keys[i][1]}).status_code)
    assert statuses == [303] * 6
    with app.app_context():
        models.db.connect(reuse_if_open=True)
        assert models.Subscription.get(models.Subscription.number == VICTIM).balance == (
            1000 + 15_000_00)
        states = sorted(p.state for p in models.Payment.select())
        assert states == ["cancelled"] * 3 + ["succeeded"] * 3
        assert {p.failure for p in models.Payment.select().where(
            models.Payment.state == "cancelled")} == {"cap"}


def test_thirty_code_requests_for_thirty_numbers_never_answer_5xx(app, second_node, factory):
    assert codes_at_once(app, second_node, factory, 30) == [200] * 30


def test_a_transfer_key_sent_twice_at_once_answers_the_first_result(app, second_node, factory):
    sender = factory.subscriber(number="+380671234567", balance=200)
    factory.subscriber(number="+380681234567", balance=0)
    browser = app.test_client()
    browser.post("/login", data={"login": "0671234567", "password": PASSWORD})
    html = page(browser.post("/transfer", data={"target": "0681234567", "amount": "2"}))
    key = review_key(html)
    with browser.session_transaction() as session:
        cookie_session = dict(session)
    twin = second_node.test_client()
    with twin.session_transaction() as session:
        session.update(cookie_session)
    for client in (browser, twin):
        client.set_cookie("session", browser.get_cookie("session").value)
    data = {"number": sender.number, "target": "0681234567", "amount": "2", "key": key}
    responses = burst(2, lambda i: (browser, twin)[i].post("/transfer", data=data))
    assert [r.status_code for r in responses] == [303, 303]
    assert responses[0].headers["Location"] == responses[1].headers["Location"]
    with app.app_context():
        models.db.connect(reuse_if_open=True)
        assert models.Transfer.select().count() == 1


# Password guessing ------------------------------------------------------------------------

def test_a_password_lockout_leaves_the_owner_the_sms_code(app, client, victim):
    for attempt in range(10):
        client.post("/login", data={"login": VICTIM, "password": f"Wrong-{attempt}x"})
    assert client.post("/login", data={"login": VICTIM,
                                       "password": PASSWORD}).status_code == 429
    assert client.post("/login/sms", data={"login": VICTIM}).status_code == 200
    response = client.post("/login/sms/verify",
                           data={"login": VICTIM, "code": last_code(app, VICTIM)})
    assert response.status_code == 303 and response.headers["Location"] == "/"


def test_a_number_nobody_has_costs_a_password_check_and_is_throttled(app, client, monkeypatch):
    from portal.core import security
    checks = []
    real = security.verify_password
    monkeypatch.setattr(security, "verify_password",
                        lambda stored, password: checks.append(stored) or real(stored, password))
    statuses = [client.post("/login", data={"login": "0971119999",
                                            "password": "Guess-1x"}).status_code
                for _ in range(11)]
    assert checks == [None] * 10  # the dummy hash's cost, as for a number that exists
    assert statuses == [422] * 9 + [429, 429]  # the tenth failure starts the wait


def test_numbers_nobody_has_are_throttled_per_address(app, client, monkeypatch):
    from portal.signin import views
    monkeypatch.setattr(views, "UNKNOWN_PER_ADDRESS", 3)
    statuses = [client.post("/login", data={"login": f"097111{index:04d}",
                                            "password": "Guess-1x"}).status_code
                for index in range(5)]
    assert statuses == [422, 422, 422, 429, 429]


# Abandoned top-ups ------------------------------------------------------------------------

def test_abandoned_top_ups_lapse_and_free_the_cap(app, client, victim, clock):
    payers = [f"+38067888000{index}" for index in range(3)]
    for payer in payers:
        assert top_up(client, amount="4999", payer=payer).status_code == 200
    with app.app_context():
        held = [p.provider_reference for p in models.Payment.select()]
    assert top_up(client, amount="50", payer="+380678880009").status_code == 200
    clock.advance(minutes=11)
    result = app.test_cli_runner().invoke(args=["expire-payments"])
    assert "Payments expired: 4." in result.output
    with app.app_context():
        models.db.connect(reuse_if_open=True)
        assert {p.state for p in models.Payment.select()} == {"cancelled"}
        assert len(held) == 3
