"""Self-service credit: the page and its refusals, the grant (once, under the lock), the
repayment by the next top-up or transfer, the charge after seven days, the dashboard, the
staff look-up and the audit log."""
import re
from datetime import date

import pytest

import models
from tests.helpers import (
    PASSWORD,
    burst,
    confirmed_top_up,
    field_error,
    kyiv,
    page,
    review_key,
    sms_to,
)

NUMBER = "+380671234567"
FRIEND = "+380681234567"


def fresh(subscription):
    return models.Subscription.get_by_id(subscription.id)


def form_of(html):
    """The credit form's hidden fields and its offered amounts."""
    hidden = dict(re.findall(r'<input type="hidden" name="(number|key)" value="([^"]*)"', html))
    return hidden, re.findall(r'name="amount" id="amount-\d+" value="([0-9.]+)"', html)


def take(client, amount=None, **changes):
    """Open /credit and press its button with `amount` (the first offered by default)."""
    hidden, offered = form_of(page(client.get("/credit")))
    data = {**hidden, "amount": amount or (offered[0] if offered else "20"), **changes}
    return client.post("/credit", data=data)


def spend(subscription, *monthly):
    """Spending records in the three whole months before 25 November 2026."""
    rows = [(subscription.id, kyiv(2026, month, 10, 12), "call_out", "+380501234567", 60,
             amount) for month, amount in zip((8, 9, 10), monthly, strict=False)]
    with models.db.atomic():
        models.UsageRecord.insert_rows(rows)


def settle(app, day=None):
    args = ["settle-credits"] + (["--date", day] if day else [])
    return app.test_cli_runner().invoke(args=args)


def credits():
    return list(models.Credit.select().order_by(models.Credit.id))


# The page and the grant --------------------------------------------------------------------

def test_credit_needs_a_sign_in(client):
    assert client.get("/credit").status_code == 303
    assert client.post("/credit", data={"amount": "20"}).status_code == 303


def test_a_number_that_spent_little_is_offered_the_smallest(client, signed_in, db):
    hidden, offered = form_of(page(client.get("/credit")))
    assert offered == ["20.00"] and hidden["number"] == NUMBER
    assert re.fullmatch(r"[0-9a-f]{32}", hidden["key"])


def test_the_amounts_grow_with_the_spending_of_three_whole_months(client, signed_in, db):
    spend(signed_in, 20000, 10000, 15000)  # 150 UAH a month on average
    assert form_of(page(client.get("/credit")))[1] == ["20.00", "50.00"]
    spend(signed_in, 60000, 0, 0)  # 350 a month now
    assert form_of(page(client.get("/credit")))[1] == ["20.00", "50.00", "100.00"]


def test_payments_and_this_months_spending_do_not_count(client, signed_in, db):
    with models.db.atomic():
        models.UsageRecord.insert_rows([
            (signed_in.id, kyiv(2026, 9, 3, 9), "topup", "card", 1, -90000),
            (signed_in.id, kyiv(2026, 9, 4, 9), "transfer_out", FRIEND, 1, 90000),
            (signed_in.id, kyiv(2026, 11, 2, 9), "service", "Роумінг", 1, 90000),
            (signed_in.id, kyiv(2026, 7, 31, 9), "service", "Роумінг", 1, 90000)])
    assert form_of(page(client.get("/credit")))[1] == ["20.00"]


def test_taking_a_credit_puts_it_on_the_balance_at_once(app, client, signed_in, db):
    valid_until = re.search(r'id="valid-until" value="([0-9-]+)"',
                            page(client.get("/settings"))).group(1)
    response = take(client, "20")
    assert response.status_code == 303 and response.headers["Location"] == "/credit"
    assert fresh(signed_in).balance == 12000
    (credit,) = credits()
    assert (credit.amount, credit.owed, credit.state, credit.last_day) == (
        2000, 2000, "open", date(2026, 12, 2))
    entry = models.LedgerEntry.get()
    assert (entry.kind, entry.balance_change, entry.reference) == ("credit", 2000,
                                                                    credit.reference)
    record = models.UsageRecord.get()
    assert (record.type, record.amount, record.counterpart) == ("transfer_out", -2000, "Кредит")
    assert "20,00" in sms_to(app, NUMBER)[0] and "02.12.2026" in sms_to(app, NUMBER)[0]
    assert models.AuditEvent.get(models.AuditEvent.event == "credit_granted").subject == NUMBER
    html = page(client.get("/credit"))
    assert "The credit is on your balance" in html
    assert "The credit is on your balance" not in page(client.get("/credit"))  # told once and 'id="credit-owed"' in html
    assert 'name="amount"' not in html
    # A credit is not a payment: the number's last valid day stays where it was.
    assert f'id="valid-until" value="{valid_until}"' in page(client.get("/settings"))


def test_the_dashboard_shows_the_open_credit_and_its_last_day(client, signed_in, db):
    assert "Take a credit now" in page(client.get("/"))
    take(client)
    html = page(client.get("/"))
    assert '<data value="20.00" id="credit-owed">' in html and "02.12.2026" in html


def test_a_replayed_press_grants_once(app, client, signed_in, db):
    hidden, _ = form_of(page(client.get("/credit")))
    first = client.post("/credit", data={**hidden, "amount": "20"})
    second = client.post("/credit", data={**hidden, "amount": "20"})
    assert first.status_code == second.status_code == 303
    assert fresh(signed_in).balance == 12000 and len(credits()) == 1
    assert len(sms_to(app, NUMBER)) == 1


def test_a_press_without_a_key_still_grants_once(client, signed_in, db):
    assert client.post("/credit", data={"amount": "20"}).status_code == 303
    assert client.post("/credit", data={"amount": "20"}).status_code == 409
    assert fresh(signed_in).balance == 12000


@pytest.mark.parametrize("amount, message", [
    ("", "Choose an amount"), ("abc", "Type an amount"),
    ("50", "Choose one of the amounts offered: 20.00 ₴."),
    ("19.99", "Choose one of the amounts offered"),
])
def test_an_amount_not_offered_is_refused_on_its_field(client, signed_in, db, amount, message):
    response = take(client, amount) if amount else client.post(
        "/credit", data={**form_of(page(client.get("/credit")))[0], "amount": ""})
    assert response.status_code == 422
    assert message in field_error(page(response), "amount")
    assert fresh(signed_in).balance == 10000 and credits() == []


def test_a_forged_key_is_400(client, signed_in, db):
    assert take(client, key="not-a-key").status_code == 400
    assert credits() == []


def test_someone_elses_number_is_404(client, signed_in, factory, db):
    other = factory.subscriber(number=FRIEND, name="Інший")
    response = client.post("/credit", data={"number": FRIEND, "amount": "20"})
    assert response.status_code == 404 and fresh(other).balance == 10000


def test_someone_elses_key_is_404(app, client, signed_in, factory, auth, db):
    factory.subscriber(number=FRIEND, name="Інший")
    hidden, _ = form_of(page(client.get("/credit")))
    take(client, key=hidden["key"])
    auth.logout()
    auth.login("0681234567")
    response = client.post("/credit", data={"number": FRIEND, "key": hidden["key"],
                                            "amount": "20"})
    assert response.status_code == 404 and len(credits()) == 1


# Refusals ----------------------------------------------------------------------------------

@pytest.mark.parametrize("status, sim_blocked, message", [
    ("suspended", False, "paused at your request"),
    ("active", True, "SIM card of this number is blocked"),
    ("closed", False, "This number is closed"),
])
def test_a_state_that_forbids_it_refuses_the_page_and_the_press(
        client, factory, auth, db, status, sim_blocked, message):
    """Shown from another number of the cabinet (a closed number cannot sign in)."""
    holder = factory.subscriber(number="+380971112233")
    subscription = factory.subscriber(status=status, profile=holder.profile,
                                      balance=-500 if status == "debt_blocked" else 10000)
    models.Subscription.update(sim_blocked=sim_blocked).where(
        models.Subscription.id == subscription.id).execute()
    auth.login("0971112233")
    client.post("/numbers/select", data={"number": NUMBER})
    html = page(client.get("/credit"))
    assert message in html and 'role="alert"' in html and 'name="amount"' not in html
    response = client.post("/credit", data={"number": NUMBER, "amount": "20"})
    assert response.status_code == 409 and message in page(response)
    assert credits() == [] and fresh(subscription).balance == subscription.balance
    assert "Take a credit now" not in page(client.get("/"))


@pytest.mark.parametrize("fields, message", [
    (dict(payment="contract", tariff="unlim"), "for prepaid numbers"),
    (dict(customer="business"), "not of businesses"),
    (dict(activated_on=date(2026, 10, 1)), "after 90 days with us: from 30.12.2026"),
])
def test_who_may_not_take_one_is_told_why_and_when(client, factory, auth, db, fields, message):
    factory.subscriber(**fields)
    auth.login()
    html = page(client.get("/credit"))
    assert message in html and 'name="amount"' not in html
    assert take(client, "20").status_code == 409 and credits() == []


def test_a_home_internet_account_is_told_it_is_for_mobile_numbers(client, signed_in, factory,
                                                                   db):
    account = factory.account(signed_in.profile)
    client.post("/numbers/select", data={"number": account.number})
    assert "for mobile numbers only" in page(client.get("/credit"))
    response = client.post("/credit", data={"number": account.number, "amount": "20"})
    assert response.status_code == 409 and credits() == []


def test_one_open_and_one_a_month(app, client, signed_in, auth, db, clock):
    take(client)
    html = page(client.get("/credit"))
    assert 'name="amount"' not in html and "Last day" in html
    response = client.post("/credit", data={"number": NUMBER, "amount": "20"})
    assert response.status_code == 409
    assert "to repay by 02.12.2026" in page(response) and "from 01.12.2026" in page(response)
    with models.db.atomic():
        models.Credit.update(state="repaid", owed=0).execute()
    html = page(client.get("/credit"))
    assert "One credit a calendar month: the next is possible from 01.12.2026" in html
    clock.set(kyiv(2026, 12, 1, 0, 1))
    auth.login()  # a new sign-in: the session has been idle since
    assert take(client).status_code == 303 and len(credits()) == 2


# Repayment ---------------------------------------------------------------------------------

def top_up(app, client, amount):
    """A card top-up of the signed-in number, confirmed with its SMS code."""
    return confirmed_top_up(app, client, NUMBER[4:], amount, NUMBER)


def test_the_next_top_up_repays_it_first(app, client, signed_in, db):
    take(client)
    assert top_up(app, client, "50").status_code == 303
    assert fresh(signed_in).balance == 12000 + 5000 - 2000
    (credit,) = credits()
    assert (credit.state, credit.owed) == ("repaid", 0)
    kinds = [e.kind for e in models.LedgerEntry.select().order_by(models.LedgerEntry.id)]
    assert kinds == ["credit", "topup", "credit_repay"]
    repaid = models.UsageRecord.get(models.UsageRecord.counterpart == "Кредит: погашення")
    assert (repaid.type, repaid.amount) == ("transfer_out", 2000)
    assert "кредит 20,00" in sms_to(app, NUMBER)[1] and "погашено" in sms_to(app, NUMBER)[1]
    assert models.AuditEvent.select().where(
        models.AuditEvent.event == "credit_repaid").count() == 1


def test_a_small_top_up_repays_part_and_the_rest_stays_open(app, client, signed_in, db):
    spend(signed_in, 35000, 35000, 35000)
    take(client, "100")
    top_up(app, client, "30")
    (credit,) = credits()
    assert (credit.state, credit.owed) == ("open", 7000)
    assert fresh(signed_in).balance == 10000 + 10000  # the 30 went to the credit
    assert '<data value="70.00" id="credit-owed">' in page(client.get("/"))


def test_money_received_repays_it(app, client, signed_in, factory, db):
    take(client)
    friend = factory.subscriber(number=FRIEND, name="Друг", balance=50000)
    friend_client = app.test_client()
    friend_client.post("/login", data={"login": "0681234567", "password": PASSWORD})
    review = friend_client.post("/transfer", data={"target": NUMBER, "amount": "15"})
    key = review_key(page(review))
    assert friend_client.post("/transfer", data={"target": NUMBER, "amount": "15",
                                                 "key": key}).status_code == 303
    (credit,) = credits()
    assert (credit.state, credit.owed) == ("open", 500)
    assert fresh(signed_in).balance == 12000 and fresh(friend).balance == 48500


@pytest.mark.parametrize("paid, lifted", [("30", False), ("45", True)])
def test_a_debt_block_is_lifted_only_when_the_balance_after_the_repayment_is_paid(
        app, client, signed_in, db, paid, lifted):
    take(client)  # balance 120, then the feed blocks it for a debt of 20
    models.Subscription.update(status="debt_blocked", balance=-2000).where(
        models.Subscription.id == signed_in.id).execute()
    top_up(app, client, paid)
    after = fresh(signed_in)
    assert after.balance == -2000 + int(paid) * 100 - 2000
    assert (after.status == "active") is lifted
    assert credits()[0].state == "repaid"


@pytest.mark.parametrize("debt, lifted", [(1500, True), (2000, True), (2500, False)])
def test_a_credit_that_covers_the_debt_lifts_the_block(app, client, signed_in, db, debt,
                                                       lifted):
    """A credit is a way out of a debt block, like a payment: the block is lifted in the
    same transaction when the balance after it is zero or more."""
    models.Subscription.update(status="debt_blocked", balance=-debt).where(
        models.Subscription.id == signed_in.id).execute()
    hidden, _ = form_of(page(client.get("/credit")))
    assert client.post("/credit", data={**hidden, "amount": "20"}).status_code == 303
    after = fresh(signed_in)
    assert after.balance == 2000 - debt and (after.status == "active") is lifted
    assert credits()[0].state == "open"


def test_a_paused_number_is_refused_under_the_lock(app, client, signed_in, db):
    """Paused between the page and the press: refused where it counts."""
    hidden, _ = form_of(page(client.get("/credit")))
    models.Subscription.update(status="suspended").where(
        models.Subscription.id == signed_in.id).execute()
    assert client.post("/credit", data={**hidden, "amount": "20"}).status_code == 409
    assert fresh(signed_in).status == "suspended" and credits() == []


# Settlement --------------------------------------------------------------------------------

def test_an_unpaid_credit_is_charged_after_seven_days_once(app, client, signed_in, db):
    take(client)
    models.Subscription.update(balance=500).where(
        models.Subscription.id == signed_in.id).execute()
    result = settle(app, "2026-12-02")  # its last day: not yet
    assert result.exit_code == 0 and "Credits settled: 0" in result.output
    result = settle(app, "2026-12-03")
    assert result.exit_code == 0 and "Credits settled: 1, 20.00 UAH" in result.output
    assert fresh(signed_in).balance == -1500  # into a negative balance
    assert "Credits settled: 0" in settle(app, "2026-12-03").output
    assert fresh(signed_in).balance == -1500
    (credit,) = credits()
    assert (credit.state, credit.owed) == ("settled", 0)
    assert "02.12.2026" in sms_to(app, NUMBER)[0]
    record = models.UsageRecord.get(models.UsageRecord.counterpart == "Кредит: списання")
    assert (record.type, record.amount) == ("transfer_out", 2000)
    assert models.AuditEvent.select().where(
        models.AuditEvent.event == "credit_settled").count() == 1


def test_settlement_charges_what_is_left_after_a_part_repaid(app, client, signed_in, db,
                                                             clock):
    spend(signed_in, 35000, 35000, 35000)
    take(client, "100")
    top_up(app, client, "30")
    clock.set(kyiv(2026, 12, 3, 0, 15))
    assert "Credits settled: 1, 70.00 UAH" in settle(app).output
    assert fresh(signed_in).balance == 20000 - 7000


# Races -------------------------------------------------------------------------------------

def signed_in_clients(nodes, count):
    clients = []
    for index in range(count):
        browser = nodes[index % len(nodes)].test_client()
        assert browser.post("/login", data={"login": NUMBER[4:],
                                            "password": PASSWORD}).status_code == 303
        clients.append(browser)
    return clients


def test_presses_from_many_tabs_on_two_nodes_grant_one(app, second_node, signed_in,
                                                       db):
    browsers = signed_in_clients([app, second_node], 8)
    forms = [form_of(page(browser.get("/credit")))[0] for browser in browsers]
    assert len({form["key"] for form in forms}) == 8  # each tab its own key
    models.db.close()
    statuses = burst(8, lambda i: browsers[i].post(
        "/credit", data={**forms[i], "amount": "20"}).status_code)
    models.db.connect(reuse_if_open=True)
    assert sorted(statuses) == [303] + [409] * 7
    assert fresh(signed_in).balance == 12000 and len(credits()) == 1


def test_one_key_pressed_at_once_on_two_nodes_grants_once(app, second_node, signed_in,
                                                          db):
    browsers = signed_in_clients([app, second_node], 6)
    form = form_of(page(browsers[0].get("/credit")))[0]
    models.db.close()
    statuses = burst(6, lambda i: browsers[i].post(
        "/credit", data={**form, "amount": "20"}).status_code)
    models.db.connect(reuse_if_open=True)
    assert statuses == [303] * 6
    assert fresh(signed_in).balance == 12000 and len(credits()) == 1
    assert models.LedgerEntry.select().count() == 1


# Staff -------------------------------------------------------------------------------------

def test_the_staff_look_up_lists_the_cabinets_credits(client, signed_in, factory,
                                                      agent_client, db):
    factory.subscriber(number="+380971112233", profile=signed_in.profile)
    for key, granted in (("old", kyiv(2025, 10, 5, 9)),
                         ("october", kyiv(2026, 10, 5, 9))):
        models.Credit.create(key=key, subscription=signed_in, amount=5000, owed=0,
                             granted_at=granted, last_day=granted.date(), state="repaid")
    take(client)
    html = page(agent_client.get("/staff/lookup?number=0971112233"))
    credits = html.split('id="credits-title"')[1].split("</section>")[0]
    assert credits.count("<li>") == 2  # this year's, newest first; none older
    assert credits.index("02.12.2026") < credits.index("05.10.2026")
    assert "20.00" in credits and "open" in credits and "repaid" in credits
    assert html.count("<tr") == 3  # the cabinet's two numbers, once each, under the header


def test_the_audit_log_names_the_credit_events():
    from portal.staff.lookup import EVENT_LABELS
    assert {"credit_granted", "credit_repaid", "credit_settled"} <= set(EVENT_LABELS)


def test_the_demo_has_an_open_credit(demo_app, db):
    from portal.demo import money
    from portal.demo.loading import load_demo_data
    with demo_app.app_context():
        load_demo_data()
        load_demo_data()  # safe to run again
        (credit,) = models.Credit.select()
    assert credit.subscription.number == "+380672223344" and credit.state == "open"
    assert credit.key == money.DEMO_KEY
