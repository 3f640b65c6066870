"""The low-balance alert: set in /settings, one SMS when a debit (a transfer out, a
service fee, a settled credit, a usage import) takes the balance below it, none again until
the balance has been at or above it."""
import io
import re

import pytest

import models
from portal.feeds.service import FeedError, import_usage
from tests.helpers import (
    PASSWORD,
    START,
    before_migration,
    confirmed_top_up,
    connect_service,
    field_error,
    page,
    review_key,
    sms_to,
    upgrade,
)
from tests.test_budgets import QueryCounter

NUMBER = "+380671234567"
FRIEND = "+380681234567"
HEADER = "number,started_at,type,counterpart,quantity,amount\n"


def fresh(subscription):
    return models.Subscription.get_by_id(subscription.id)


def set_alert(client, threshold, number=NUMBER):
    return client.post("/settings/alert", data={"number": number, "threshold": threshold})


def alerts_to(app, number=NUMBER):
    """The alerts queued for `number` in the outbox (in its cabinet's language, Ukrainian),
    newest first."""
    return [message.text for message in models.SmsMessage.newest_first(number)
            if "нижче за ваш поріг" in message.text]


@pytest.fixture
def friend(factory):
    return factory.subscriber(number=FRIEND, name="Друг", balance=0)


def send_money(client, amount, target="0681234567"):
    review = client.post("/transfer", data={"target": target, "amount": amount})
    assert review.status_code == 200, page(review)
    key = review_key(page(review))
    return client.post("/transfer", data={"target": target, "amount": amount, "key": key})


# The form -----------------------------------------------------------------------------------

def test_the_settings_page_has_the_alert_form_of_the_number_on_show(client, signed_in, db):
    html = page(client.get("/settings"))
    form = html.split('id="alert-card"')[1].split("</section>")[0]
    assert 'action="/settings/alert"' in form and 'name="threshold"' in form
    assert f'name="number" value="{NUMBER}"' in form and "Off." in form


def test_setting_and_turning_off_the_alert(client, signed_in, db, app):
    response = set_alert(client, "50")
    assert response.status_code == 303
    assert response.headers["Location"] == "/settings"
    after = fresh(signed_in)
    assert (after.alert_threshold, after.alert_sent) == (5000, False)
    html = page(client.get(response.headers["Location"]))
    assert "The alert is saved." in html and 'value="50.00"' in html
    response = set_alert(client, "")
    assert response.headers["Location"] == "/settings"
    assert "The alert is off." in page(client.get("/settings"))
    assert fresh(signed_in).alert_threshold is None
    assert sms_to(app, NUMBER) == []


@pytest.mark.parametrize("threshold, message", [
    ("abc", "Type an amount in hryvnias"), ("-5", "Type an amount in hryvnias"),
    ("0.50", "At least 1.00"), ("5000.01", "At most 5,000.00"),
])
def test_bad_thresholds_are_refused_on_the_field(client, signed_in, db, threshold, message):
    set_alert(client, "50")
    response = set_alert(client, threshold)
    assert response.status_code == 422
    assert message in field_error(page(response), "threshold")
    assert fresh(signed_in).alert_threshold == 5000


def test_the_htmx_answer_is_the_alert_block(client, signed_in, db):
    response = client.post("/settings/alert", data={"number": NUMBER, "threshold": "x"},
                           headers={"HX-Request": "true"})
    assert response.status_code == 422
    assert page(response).lstrip().startswith('<section id="alert-card"')
    assert "<html" not in page(response) and "Type an amount" in page(response)


def test_someone_elses_number_and_an_account_are_404(client, signed_in, factory, friend, db):
    assert set_alert(client, "50", FRIEND).status_code == 404
    account = factory.account(signed_in.profile)
    assert set_alert(client, "50", account.number).status_code == 404
    assert fresh(friend).alert_threshold is None and fresh(account).alert_threshold is None
    client.post("/numbers/select", data={"number": account.number})
    assert 'id="alert-card"' not in page(client.get("/settings"))


def test_a_threshold_above_the_balance_sends_nothing_until_the_balance_is_back(
        client, signed_in, friend, db, app):
    set_alert(client, "150")  # the balance is 100
    assert fresh(signed_in).alert_sent is True
    send_money(client, "10")
    assert alerts_to(app) == []


# Debits in the portal -----------------------------------------------------------------------

def test_a_transfer_below_the_threshold_sends_one_sms(client, signed_in, friend, db, app):
    set_alert(client, "50")
    send_money(client, "40")  # 100 -> 60
    assert alerts_to(app) == []
    send_money(client, "20")  # 60 -> 40: below
    (text,) = alerts_to(app)
    assert "40,00" in text and "50,00" in text
    send_money(client, "10")  # still below: no second SMS
    assert len(alerts_to(app)) == 1 and fresh(signed_in).alert_sent is True


def card_top_up(app, client, amount):
    """A signed-in card top-up of the number, its code read back and confirmed."""
    assert confirmed_top_up(app, client, "0671234567", amount, NUMBER).status_code == 303


def test_money_moved_in_does_not_re_arm_the_alert_a_top_up_does(
        client, signed_in, friend, db, app, clock):
    set_alert(client, "50")
    send_money(client, "60")  # 100 -> 40: one SMS
    friend_client = app.test_client()
    friend_client.post("/login", data={"login": "0681234567", "password": PASSWORD})
    models.Subscription.update(balance=10000).where(models.Subscription.id == friend.id).execute()
    send_money(friend_client, "15", target="0671234567")  # 40 -> 55: back above by a transfer
    assert fresh(signed_in).alert_sent is True  # ... which re-arms nothing
    send_money(client, "10")  # 55 -> 45: no second SMS
    assert len(alerts_to(app)) == 1
    card_top_up(app, client, "10")  # 45 -> 55 by a top-up: re-armed
    assert fresh(signed_in).alert_sent is False
    clock.advance(hours=24)
    client.post("/login", data={"login": "0671234567", "password": PASSWORD})
    send_money(client, "10")  # 55 -> 45: below again, a day later
    assert len(alerts_to(app)) == 2


def test_at_most_one_alert_a_day_however_often_top_ups_re_arm_it(
        client, signed_in, friend, db, app, clock):
    set_alert(client, "50")
    send_money(client, "60")  # 100 -> 40: the day's alert
    for _ in range(3):
        card_top_up(app, client, "20")  # 40 -> 60: re-armed
        clock.advance(minutes=2)
        send_money(client, "20")  # 60 -> 40: below again, no second SMS today
    assert len(alerts_to(app)) == 1
    clock.advance(hours=23, minutes=55)  # 24 hours after the first
    client.post("/login", data={"login": "0671234567", "password": PASSWORD})
    card_top_up(app, client, "20")
    send_money(client, "20")
    assert len(alerts_to(app)) == 2


def test_twenty_cycles_of_one_uah_back_and_forth_send_one_alert(
        client, signed_in, friend, db, app):
    """The probe: 1 UAH moved back and forth 20 times between two numbers sent 20 alerts."""
    models.Subscription.update(balance=5050).where(models.Subscription.id == signed_in.id
                                                   ).execute()
    set_alert(client, "50")
    friend_client = app.test_client()
    friend_client.post("/login", data={"login": "0681234567", "password": PASSWORD})
    for _ in range(20):
        send_money(client, "1")  # 50.50 -> 49.50
        send_money(friend_client, "1", target="0671234567")  # and back
    assert len(alerts_to(app)) == 1


def test_a_service_fee_below_the_threshold_alerts(client, signed_in, db, app):
    set_alert(client, "95")
    assert connect_service(client, "ringback").status_code == 303  # a fee of 10 UAH
    assert fresh(signed_in).balance == 9000
    (text,) = alerts_to(app)
    assert "90,00" in text


def test_a_settled_credit_below_the_threshold_alerts(client, signed_in, db, app):
    hidden = dict(re.findall(r'<input type="hidden" name="(number|key)" value="([^"]*)"',
                             page(client.get("/credit"))))
    client.post("/credit", data={**hidden, "amount": "20"})  # 100 -> 120
    set_alert(client, "110")
    result = app.test_cli_runner().invoke(args=["settle-credits", "--date", "2026-12-03"])
    assert result.exit_code == 0 and fresh(signed_in).balance == 10000
    (text,) = alerts_to(app)
    assert "100,00" in text


# The usage import ---------------------------------------------------------------------------

def feed(*rows):
    return io.StringIO(HEADER + "".join(f"{number},2026-11-24T{hour:02d}:00:00,{kind},x,1,"
                                        f"{amount}\n" for number, hour, kind, amount in rows))


def test_an_import_alerts_on_the_balance_it_implies(app, signed_in, friend, db):
    """The import leaves the balance (the billing's) as it is; the alert compares the
    balance on file less what the file charges, net."""
    for subscription, threshold in ((signed_in, 5000), (friend, 100)):
        models.Subscription.update(alert_threshold=threshold).where(
            models.Subscription.id == subscription.id).execute()
    models.Subscription.update(balance=5000).where(models.Subscription.id == friend.id).execute()
    import_usage(feed((NUMBER, 8, "call_out", "30.00"), (NUMBER, 9, "internet", "25.00"),
                      (NUMBER, 10, "topup", "-10.00"),  # 100 - 55 + 10 = 55: not below
                      (FRIEND, 8, "sms_out", "0.80")), START)  # 50 - 0.80: far above 1
    assert alerts_to(app) == [] and alerts_to(app, FRIEND) == []
    assert fresh(signed_in).balance == 10000  # the balance stays the billing's
    import_usage(feed((NUMBER, 11, "service", "50.01")), START)  # 100 - 50.01 = 49.99
    (text,) = alerts_to(app)
    assert "49,99" in text and fresh(signed_in).alert_sent is True
    import_usage(feed((NUMBER, 12, "service", "60.00")), START)  # below still: no second
    assert len(alerts_to(app)) == 1
    import_usage(feed((NUMBER, 13, "topup", "-1.00")), START)  # implies 101: clears the flag
    assert fresh(signed_in).alert_sent is False


def test_a_balance_the_subscriber_feed_brings_back_above_clears_the_flag(app, signed_in, db,
                                                                         tmp_path):
    models.Subscription.update(alert_threshold=5000, alert_sent=True, balance=1000).execute()
    path = tmp_path / "subscribers.csv"
    for balance, alerted in (("30.00", True), ("50.00", False)):
        path.write_text("number,kind,name,tariff,payment,customer,status,balance,"
                        "bonus_balance,activated_on\n0671234567,mobile,Тест,smart,prepaid,"
                        f"individual,active,{balance},0,2022-01-01\n")
        result = app.test_cli_runner().invoke(args=["import-subscribers", str(path)])
        assert result.exit_code == 0, result.output
        assert fresh(signed_in).alert_sent is alerted


def test_a_file_that_dips_below_and_comes_back_sends_nothing(app, signed_in, db):
    models.Subscription.update(alert_threshold=5000).where(
        models.Subscription.id == signed_in.id).execute()
    import_usage(feed((NUMBER, 8, "service", "80.00"), (NUMBER, 9, "topup", "-100.00")), START)
    assert alerts_to(app) == []


def test_a_refused_import_sends_nothing(app, signed_in, db):
    models.Subscription.update(alert_threshold=5000).where(
        models.Subscription.id == signed_in.id).execute()
    stream = feed((NUMBER, 8, "service", "80.00"), (NUMBER, 9, "nonsense", "1.00"))
    with pytest.raises(FeedError):
        import_usage(stream, START)
    assert models.SmsMessage.select().count() == 0 and fresh(signed_in).alert_sent is False


def test_the_command_delivers_the_alerts_after_the_import(app, signed_in, db, tmp_path):
    models.Subscription.update(alert_threshold=5000).where(
        models.Subscription.id == signed_in.id).execute()
    path = tmp_path / "usage.csv"
    path.write_text(feed((NUMBER, 8, "service", "80.00")).getvalue())
    result = app.test_cli_runner().invoke(args=["import-usage", str(path)])
    assert result.exit_code == 0, result.output
    (text,) = sms_to(app, NUMBER)  # handed to the gateway, not only queued
    assert "нижче за ваш поріг" in text
    assert models.SmsMessage.get().state == models.SmsMessage.SENT


def test_an_import_reads_no_more_for_more_rows(app, signed_in, friend, db):
    """One pass: the statements an import sends do not grow with its rows or with the
    numbers that cross (beyond each one's SMS)."""
    for subscription in (signed_in, friend):
        models.Subscription.update(alert_threshold=100, balance=10**7).where(
            models.Subscription.id == subscription.id).execute()

    def statements(rows):
        lines = [(number, 8 + n % 12, "sms_out", "0.80") for n in range(rows)
                 for number in (NUMBER, FRIEND)]
        with QueryCounter(models.db.obj) as counter:
            import_usage(feed(*lines), START, batch=100_000)
        return len(counter.statements)

    assert statements(10) == statements(500)
    models.Subscription.update(balance=100).execute()  # now both cross: an SMS each
    with QueryCounter(models.db.obj) as counter:
        import_usage(feed((NUMBER, 8, "sms_out", "0.80"), (FRIEND, 8, "sms_out", "0.80")),
                     START)
    assert len(alerts_to(app)) == len(alerts_to(app, FRIEND)) == 1
    assert len([sql for sql in counter.statements if "sms_message" in sql]) == 2


# Schema and demo ----------------------------------------------------------------------------

def test_an_older_database_gets_the_alert_columns_from_init_db(app, db):
    before_migration("0004_low_balance_alert",
                     "ALTER TABLE subscription DROP COLUMN alert_threshold",
                     "ALTER TABLE subscription DROP COLUMN alert_sent")
    upgrade(app)
    columns = {column.name: column for column in models.db.get_columns("subscription")}
    assert columns["alert_threshold"].null and not columns["alert_sent"].null


def test_the_demo_has_an_alert_set(demo_app, db):
    from portal.demo.loading import load_demo_data
    with demo_app.app_context():
        load_demo_data()
        olena = models.Subscription.by_number(NUMBER)
    assert olena.alert_threshold == 10000 and olena.alert_sent is False
