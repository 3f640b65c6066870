"""Each misleading sentence the walk of issue 25 found, read again on its page (item 6):
the words fit the number's state and kind (mobile or Home Internet), and no page promises
what is not there."""
from datetime import date

import pytest

import models
from tests.helpers import PASSWORD, START, kyiv, page
from tests.test_states import put_in_state


@pytest.fixture
def home(app, factory, signed_in):
    """A Home Internet account in the signed-in cabinet."""
    return factory.account(signed_in.profile_id, activated_on=date(2024, 3, 1))


def in_state(app, subscription, state):
    with app.app_context():
        models.db.connect(reuse_if_open=True)
        put_in_state(subscription, state)


def show(client, subscription):
    assert client.post("/numbers/select", data={"number": subscription.number}).status_code == 303


def test_a_sim_block_is_not_read_as_working_again(app, client, signed_in):
    in_state(app, signed_in, "sim_blocked")
    html = page(client.get("/requests"))
    assert "The SIM card is blocked now. Once you ask, the number works again" in html
    assert "The number works again within 30 minutes." not in html


def test_pausing_a_mobile_number_says_nothing_of_bonuses(client, signed_in):
    html = page(client.get("/requests"))
    assert "No calls, SMS or internet and no monthly fee while paused" in html
    assert "bonus" not in html.lower()


def test_pausing_home_internet_speaks_of_internet_and_bonuses(client, home):
    show(client, home)
    html = page(client.get("/requests"))
    actions = html[html.index('id="request-actions"'):html.index('id="archive-title"')]
    assert "No internet, no monthly fee and no bonuses while paused" in actions
    assert "SMS" not in actions and "SIM" not in actions


@pytest.mark.parametrize(("state", "words"), [
    ("debt_blocked", "to unblock the account: Home Internet works again at once"),
    ("suspended", "Paused at your request: no internet, no monthly fee."),
])
def test_home_internet_next_step_in_home_internet_words(app, client, home, state, words):
    in_state(app, home, state)
    show(client, home)
    html = page(client.get("/"))
    assert words in html
    assert "unblock the number" not in html and "calls, SMS" not in html


def test_the_dashboard_title_names_the_cabinet_once(client, signed_in):
    assert "<title>My cabinet</title>" in page(client.get("/"))
    assert "<title>Payments and expenses · My cabinet</title>" in page(client.get("/expenses"))


def test_the_profile_dates_the_customer_by_the_oldest_number_not_the_cabinet(client, signed_in):
    html = page(client.get("/profile"))  # the number since 01.01.2022, the cabinet this year
    assert "Customer since" in html and "01.01.2022" in html
    assert "Cabinet since" not in html


@pytest.mark.parametrize(("accrued", "next_on"), [(False, "04.12.2026"), (True, "04.01.2027")])
def test_on_the_4th_the_next_accrual_is_next_months_once_made(app, client, clock, home,
                                                               accrued, next_on):
    clock.set(kyiv(2026, 12, 4, 10, 0))  # days later: the session has ended
    assert client.post("/login", data={"login": "0671234567", "password": PASSWORD}).status_code == 303
    if accrued:
        with app.app_context():
            models.db.connect(reuse_if_open=True)
            models.BonusAccrual.create(subscription=home.id, month=date(2026, 11, 1), amount=0,
                                       created_at=kyiv(2026, 12, 4, 3, 0))
    show(client, home)
    assert f"Next bonus accrual: {next_on}." in page(client.get("/"))


def add_records(app, subscription, rows):
    with app.app_context():
        models.db.connect(reuse_if_open=True)
        models.UsageRecord.insert_rows([(subscription.id, *row) for row in rows])


def test_the_day_table_ends_today(app, client, signed_in):
    add_records(app, signed_in, [(kyiv(2026, 11, 3, 9, 0), "sms_out", "+380501112233", 1, 80)])
    html = page(client.get("/expenses?month=2026-11"))  # the clock: 25.11.2026
    assert "<td>25.11.2026</td>" in html and "<td>26.11.2026</td>" not in html


def test_the_payments_view_shows_no_empty_spending_totals(app, client, signed_in):
    add_records(app, signed_in, [
        (kyiv(2026, 11, 15, 18, 0), "topup", "card", 1, -20000),
        (kyiv(2026, 11, 16, 18, 0), "topup", "card", 1, -10000)])
    html = page(client.get("/expenses?month=2026-11&type=payments"))
    assert "Payments in" in html and 'id="paid-in"' in html
    assert 'id="spent-total"' not in html and "Spent in all" not in html


def test_home_internet_reports_have_no_calls_or_sms(client, home):
    show(client, home)
    html = page(client.get("/expenses?month=2026-11"))
    assert 'id="spent-internet"' in html
    assert 'id="spent-calls"' not in html and 'id="spent-sms"' not in html


def test_a_paused_account_is_told_to_resume_and_offered_no_form(app, client, home):
    in_state(app, home, "suspended")
    show(client, home)
    html = page(client.get("/bonuses/transfer"))
    assert "Resume it first" in html and 'name="target"' not in html
    assert 'href="/requests"' in html


def test_an_open_fault_is_pointed_to_where_it_is(app, client, home):
    with app.app_context():
        models.db.connect(reuse_if_open=True)
        models.Fault.create(subscription=home.id, problem="slow", since=START.date(),
                            created_at=START, updated_at=START)
    response = client.post("/support/fault", data={
        "account": home.number, "problem": "slow", "since": "2026-11-20"})
    html = page(response)
    assert response.status_code == 409, html
    assert "follow it on the Support page" in html and "below" not in html



def test_a_closed_number_is_offered_no_top_up(app, client, signed_in):
    target = 'href="/topup?target=%2B380671234567"'
    assert target in page(client.get("/"))
    in_state(app, signed_in, "closed")
    html = page(client.get("/"))
    assert "Closed" in html and target not in html
