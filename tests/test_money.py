"""Balance transfers, Home Internet bonus moves, the monthly accrual and the lapse."""
import threading
from datetime import date, datetime

import pytest

import models
from portal.bonuses import service as bonuses_service
from tests.helpers import field_error, kyiv, sms_to

FRIEND = "+380681234567"


def page(response):
    return response.get_data(as_text=True)


def fresh(subscription):
    return models.Subscription.get_by_id(subscription.id)


@pytest.fixture
def friend(factory):
    return factory.subscriber(number=FRIEND, name="Друг", balance=5000)


def review(client, target="0681234567", amount="50", url="/transfer", **extra):
    return client.post(url, data={"target": target, "amount": amount, **extra})


def confirm(client, html, url="/transfer"):
    import re
    data = dict(re.findall(r'<input type="hidden" name="(number|target|amount|key)" value="([^"]*)"',
                           html))
    return client.post(url, data=data)


# Balance transfer ----------------------------------------------------------------------

def test_transfer_needs_a_sign_in(client):
    assert client.get("/transfer").status_code == 303
    assert client.post("/transfer", data={"target": FRIEND, "amount": "5"}).status_code == 303


def test_transfer_review_then_confirm_moves_money_with_ledger_usage_and_sms(
        client, signed_in, friend, db, app):
    response = review(client)
    assert response.status_code == 200
    html = page(response)
    assert "Confirm the transfer" in html and '<data value="50.00">' in html
    assert fresh(signed_in).balance == 10000  # the review moves nothing
    response = confirm(client, html)
    assert response.status_code == 303
    assert fresh(signed_in).balance == 5000 and fresh(friend).balance == 10000
    entries = list(models.LedgerEntry.select().order_by(models.LedgerEntry.id))
    assert [(e.kind, e.balance_change) for e in entries] == [("transfer_out", -5000),
                                                             ("transfer_in", 5000)]
    usage = {u.type: u.amount for u in models.UsageRecord.select()}
    assert usage == {"transfer_out": 5000, "transfer_in": -5000}
    assert "50,00" in sms_to(app, FRIEND)[0] and "50,00" in sms_to(app, signed_in.number)[0]
    done = page(client.get(response.headers["Location"]))
    assert "Money sent" in done


def test_a_replayed_confirmation_moves_money_once(client, signed_in, friend, db):
    html = page(review(client))
    first = confirm(client, html)
    second = confirm(client, html)
    assert second.status_code == 303
    assert second.headers["Location"] == first.headers["Location"]
    assert fresh(signed_in).balance == 5000 and models.Transfer.select().count() == 1


@pytest.mark.parametrize("target, amount, field, message", [
    ("", "10", "target", "Enter the number"),
    ("12345", "10", "target", "not a phone number"),
    ("0501234567", "10", "target", "another operator"),
    ("0971112233", "10", "target", "no subscriber of ours"),
    ("0671234567", "10", "target", "the number you send from"),
    ("0681234567", "", "amount", "Enter an amount"),
    ("0681234567", "abc", "amount", "Type an amount"),
    ("0681234567", "10.555", "amount", "Type an amount"),
    ("0681234567", "-5", "amount", "Type an amount"),
    ("0681234567", "0.50", "amount", "At least"),
    ("0681234567", "1000.01", "amount", "At most"),
    ("0681234567", "100.01", "amount", "Not enough money"),
])
def test_bad_transfers_are_refused_on_their_field(client, signed_in, friend, db, target, amount,
                                                  field, message):
    response = review(client, target, amount)
    assert response.status_code == 422
    assert message in field_error(page(response), field)
    assert fresh(signed_in).balance == 10000


@pytest.mark.parametrize("target,target_message", [
    ("0501234567", "another operator"),  # refused by the field itself
    ("0971112233", "no subscriber of ours"),  # refused by the rules
    ("0671234567", "the number you send from"),
])
def test_a_refused_target_never_hides_a_refused_amount(client, signed_in, friend, db, target,
                                                       target_message):
    response = review(client, target, "1000.01")
    assert response.status_code == 422
    html = page(response)
    assert target_message in field_error(html, "target")
    assert "At most 1,000.00 ₴ in one transfer." in field_error(html, "amount")
    assert fresh(signed_in).balance == 10000


def test_the_transfer_form_and_its_review_can_be_left(client, signed_in, friend, db):
    response = client.get("/transfer")
    assert response.status_code == 200
    assert '<a href="/">Cancel</a>' in page(response)
    html = page(review(client))
    assert "Confirm the transfer" in html and '<a href="/">Cancel</a>' in html


def test_daily_cap(client, signed_in, friend, db):
    models.Subscription.update(balance=1_000_000).where(
        models.Subscription.id == signed_in.id).execute()
    for _ in range(2):
        assert confirm(client, page(review(client, amount="1000"))).status_code == 303
    response = review(client, amount="1")
    assert response.status_code == 422 and "next transfer is possible on 26.11.2026" in page(response)


def test_someone_elses_number_is_404(client, signed_in, friend, db):
    response = client.post("/transfer", data={"number": FRIEND, "target": "0671234567",
                                              "amount": "5"})
    assert response.status_code == 404
    assert fresh(friend).balance == 5000


def test_someone_elses_done_page_is_404(client, signed_in, friend, db, auth):
    confirm(client, page(review(client)))
    key = models.Transfer.get().key
    auth.logout()
    auth.login("0681234567")
    assert client.get(f"/transfer/done/{key}").status_code == 404


def test_concurrent_confirmations_never_overdraw(app, factory, db):
    """Four browsers confirm 100 UAH each from a balance of 150 at the same moment: one
    goes through, the others are refused, and no kopiyka is created or lost."""
    from tests.helpers import PASSWORD
    sender = factory.subscriber(balance=15000)
    factory.subscriber(number=FRIEND, balance=0, name="Друг")
    clients, htmls = [], []
    for _ in range(4):
        c = app.test_client()
        assert c.post("/login", data={"login": "0671234567",
                                      "password": PASSWORD}).status_code == 303
        clients.append(c)
        htmls.append(page(review(c, amount="100")))
    models.db.close()
    results, start = [], threading.Barrier(4)

    def go(c, html):
        start.wait()
        results.append(confirm(c, html).status_code)

    threads = [threading.Thread(target=go, args=pair) for pair in zip(clients, htmls, strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    models.db.connect(reuse_if_open=True)
    assert sorted(results) == [303, 409, 409, 409]
    assert fresh(sender).balance == 5000
    assert models.Subscription.get(models.Subscription.number == FRIEND).balance == 10000
    assert models.Transfer.select().count() == 1


def test_concurrent_replays_of_one_key_move_money_once(app, signed_in, friend, client, db):
    html = page(review(client, amount="10"))
    models.db.close()
    results, start = [], threading.Barrier(3)

    def go():
        start.wait()
        results.append(confirm(client, html).status_code)

    threads = [threading.Thread(target=go) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    models.db.connect(reuse_if_open=True)
    assert results == [303, 303, 303]
    assert fresh(signed_in).balance == 9000 and models.Transfer.select().count() == 1


# Bonuses ------------------------------------------------------------------------------------

@pytest.fixture
def account(factory, signed_in):
    return factory.account(signed_in.profile, bonus_balance=30000)


def bonus_review(client, target="0681234567", amount="50"):
    return review(client, target, amount, url="/bonuses/transfer")


def test_bonus_move_review_confirm_lot_sms(client, account, friend, db, app, clock):
    html = page(bonus_review(client))
    assert "Confirm the move" in html and "14.12.2026" in html
    response = confirm(client, html, "/bonuses/transfer")
    assert response.status_code == 303
    assert fresh(account).bonus_balance == 25000 and fresh(friend).bonus_balance == 5000
    (lot,) = models.BonusLot.select()
    assert lot.lapses_on == date(2026, 12, 15)
    assert "бонус" in sms_to(app, FRIEND)[0]
    # replay moves nothing more
    assert confirm(client, html, "/bonuses/transfer").status_code == 303
    assert fresh(account).bonus_balance == 25000


def test_bonus_once_a_day(client, account, friend, db, clock):
    confirm(client, page(bonus_review(client, amount="10")), "/bonuses/transfer")
    response = bonus_review(client, amount="10")
    assert response.status_code == 409 and "once a day" in page(response)
    assert "26.11.2026" in page(response)


def test_bonus_monthly_cap_says_what_is_left(client, account, friend, db, clock):
    confirm(client, page(bonus_review(client, amount="150")), "/bonuses/transfer")
    clock.advance(days=1)
    from tests.helpers import PASSWORD
    client.post("/login", data={"login": "0671234567", "password": PASSWORD})
    response = bonus_review(client, amount="60")
    assert response.status_code == 422 and "50.00 more this month" in page(response)


@pytest.mark.parametrize("kwargs, message", [
    ({"tariff": "free-50"}, "“Free” family"),
    ({"payment": "contract", "customer": "business"}, "individuals"),
    ({"status": "closed"}, "closed"),
])
def test_bonus_target_rules(client, account, factory, db, kwargs, message):
    factory.subscriber(number=FRIEND, **kwargs)
    response = bonus_review(client)
    assert response.status_code == 422 and message in page(response)


def test_bonus_paused_refused_debt_blocked_allowed(client, account, friend, db):
    models.Subscription.update(status="suspended").where(
        models.Subscription.id == account.id).execute()
    response = bonus_review(client)
    assert response.status_code == 409 and "paused" in page(response)
    models.Subscription.update(status="debt_blocked").where(
        models.Subscription.id == account.id).execute()
    assert confirm(client, page(bonus_review(client)), "/bonuses/transfer").status_code == 303


def test_bonus_from_someone_elses_account_is_404(client, signed_in, factory, friend, db):
    other = factory.account(friend.profile, bonus_balance=30000)
    response = client.post("/bonuses/transfer", data={"number": other.number,
                                                      "target": "0671234567", "amount": "5"})
    assert response.status_code == 404


# Accrual and lapse --------------------------------------------------------------------------

def paid_fee(account, month_start, amount=10000):
    """The usage feed's monthly fee charged to `account` on the month's first day."""
    models.UsageRecord.create(subscription=account, started_at=datetime.combine(
        month_start, datetime.min.time()), type="subscription", counterpart="fast",
        quantity=1, amount=amount)


def test_accrual_once_a_month_minus_interrupted_days(app, factory, db):
    profile = factory.subscriber().profile
    full = factory.account(profile)
    paused = factory.account(profile)
    for account in (full, paused):
        paid_fee(account, date(2026, 10, 1))
    models.ServiceInterruption.create(subscription=paused, reason="suspended",
                                      start=date(2026, 10, 11), end=date(2026, 10, 20))
    month, count, total = bonuses_service.accrue(date(2026, 11, 4), kyiv(2026, 11, 4, 3, 30))
    assert month == date(2026, 10, 1) and count == 2
    assert fresh(full).bonus_balance == 10000
    assert fresh(paused).bonus_balance == 10000 * 21 // 31
    assert bonuses_service.accrue(date(2026, 11, 25), kyiv(2026, 11, 25))[1] == 0
    assert fresh(full).bonus_balance == 10000
    assert models.LedgerEntry.select().where(models.LedgerEntry.kind == "bonus_accrual").count() == 2


def test_bonuses_are_the_fee_paid_last_month(app, factory, db):
    """Nothing paid, no bonuses (an account imported paused, or with no charge in the
    feed); a discounted fee gives as many bonuses as were paid."""
    profile = factory.subscriber().profile
    unpaid, discounted = factory.account(profile), factory.account(profile)
    paid_fee(discounted, date(2026, 10, 1), amount=7500)
    paid_fee(unpaid, date(2026, 9, 1))  # September's fee says nothing of October
    bonuses_service.accrue(date(2026, 11, 4), kyiv(2026, 11, 4, 3, 30))
    assert (fresh(unpaid).bonus_balance, fresh(discounted).bonus_balance) == (0, 7500)


def test_accrue_bonuses_command(app, factory, db):
    profile = factory.subscriber().profile
    acc = factory.account(profile)
    paid_fee(acc, date(2026, 11, 1))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["accrue-bonuses", "--date", "2026-12-04"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["accrue-bonuses", "--date", "2026-12-05"])
    assert "0 account(s)" in result.output
    models.db.connect(reuse_if_open=True)
    assert fresh(acc).bonus_balance == 10000


def test_interruptions_follow_the_status(db, factory):
    acc = factory.account(factory.subscriber().profile)
    paid_fee(acc, date(2026, 10, 1))
    track = models.ServiceInterruption.track
    track(acc.id, "active", date(2026, 10, 1))
    assert models.ServiceInterruption.select().count() == 0
    track(acc.id, "suspended", date(2026, 10, 5))
    track(acc.id, "suspended", date(2026, 10, 6))  # the same status again changes nothing
    track(acc.id, "debt_blocked", date(2026, 10, 10))
    track(acc.id, "active", date(2026, 10, 15))
    rows = [(r.reason, r.start, r.end) for r in
            models.ServiceInterruption.select().order_by(models.ServiceInterruption.id)]
    assert rows == [("suspended", date(2026, 10, 5), date(2026, 10, 9)),
                    ("debt_blocked", date(2026, 10, 10), date(2026, 10, 14))]
    bonuses_service.accrue(date(2026, 11, 4), kyiv(2026, 11, 4))
    assert fresh(acc).bonus_balance == 10000 * 21 // 31


def test_the_subscriber_feed_records_interruptions(app, db, tmp_path):
    from portal.feeds.service import import_subscriber_file
    feed = tmp_path / "feed.csv"
    header = "number,kind,name,tariff,payment,customer,status,balance,bonus_balance,activated_on,profile\n"
    feed.write_text(header + "10000009,home_internet,Тест,fast,contract,individual,suspended,0,0,2024-01-01,\n")
    import_subscriber_file(feed, app.config["CLOCK"])
    (row,) = models.ServiceInterruption.select()
    assert (row.reason, row.start, row.end) == ("suspended", date(2026, 11, 25), None)


def test_moved_bonuses_lapse_after_20_days(client, account, friend, db, clock):
    confirm(client, page(bonus_review(client, amount="50")), "/bonuses/transfer")
    assert bonuses_service.lapse(date(2026, 12, 14), kyiv(2026, 12, 14)) == (0, 0)
    assert fresh(friend).bonus_balance == 5000
    assert bonuses_service.lapse(date(2026, 12, 15), kyiv(2026, 12, 15)) == (1, 5000)
    assert fresh(friend).bonus_balance == 0
    assert bonuses_service.lapse(date(2026, 12, 16), kyiv(2026, 12, 16)) == (0, 0)


def test_dashboard_panel(client, account, friend, db):
    html = page(client.get("/"))
    assert 'href="/topup"' in html
    client.post("/numbers/select", data={"number": account.number})
    html = page(client.get("/"))
    assert "Next bonus accrual: 04.12.2026" in html and "/bonuses/transfer" in html


def test_dashboard_shows_moved_bonuses_with_their_last_day(client, account, db):
    confirm(client, page(bonus_review(client, target="0671234567", amount="50")),
            "/bonuses/transfer")
    client.post("/numbers/select", data={"number": "0671234567"})
    html = page(client.get("/"))
    assert "50.00</data> bonuses, valid until 14.12.2026" in html


def test_the_dashboard_leaves_out_what_lapsed_before_the_nightly_run(client, account, db,
                                                                      clock):
    """A page only reads: what is due to lapse is left out of what it shows, and the
    nightly run writes it off."""
    confirm(client, page(bonus_review(client, target="0671234567", amount="50")),
            "/bonuses/transfer")
    client.post("/numbers/select", data={"number": "0671234567"})
    clock.advance(days=20)
    from tests.helpers import PASSWORD
    client.post("/login", data={"login": "0671234567", "password": PASSWORD})
    html = page(client.get("/"))
    assert "valid until" not in html
    assert '<data value="0.00" id="bonus-balance">' in html
    phone = models.Subscription.get(models.Subscription.number == "+380671234567")
    assert phone.bonus_balance == 5000  # untouched by the page
    assert bonuses_service.lapse(clock.today(), clock.now()) == (1, 5000)
    assert models.Subscription.get_by_id(phone.id).bonus_balance == 0
    assert models.LedgerEntry.get(models.LedgerEntry.kind == "bonus_lapse").bonus_change == -5000


def test_demo_data_has_a_bonus_move_and_runs_twice(app, db):
    from portal.demo.loading import load_demo_data
    load_demo_data()
    load_demo_data()
    phone = models.Subscription.get(models.Subscription.number == "+380671234567")
    (lot,) = models.BonusLot.select()
    assert lot.subscription_id == phone.id and lot.amount == 3000
    paused = models.ServiceInterruption.get(models.ServiceInterruption.subscription
                                            == models.Subscription.get(
                                                models.Subscription.number == "10000002"))
    assert paused.start == date(2026, 10, 11) and paused.end is None


def test_a_pause_and_its_resume_are_recorded_as_an_interruption(app, client, account, clock):
    from portal.orders.service import process_due
    client.post("/requests/pause", data={"confirmed": "yes", "number": account.number})
    clock.advance(days=2)
    with app.app_context():
        models.db.connect(reuse_if_open=True)
        process_due(clock.now())
    from tests.helpers import PASSWORD
    client.post("/login", data={"login": "0671234567", "password": PASSWORD})
    assert client.post("/requests/resume", data={"number": account.number}).status_code == 303
    clock.advance(days=3)
    with app.app_context():
        models.db.connect(reuse_if_open=True)
        process_due(clock.now())
        (row,) = models.ServiceInterruption.select()
        assert (row.reason, row.start, row.end) == ("suspended", date(2026, 11, 27),
                                                    date(2026, 11, 29))


@pytest.mark.parametrize("amount, status, message", [
    ("0.5", 422, "At least 1.00 bonus"),
    ("300.01", 422, "At most 200.00 bonuses a month: 200.00 more this month"),
    ("x", 422, "Type an amount"),
])
def test_bad_bonus_amounts(client, account, friend, db, amount, status, message):
    response = bonus_review(client, amount=amount)
    assert response.status_code == status and message in page(response)


def test_not_more_bonuses_than_the_account_has(client, factory, signed_in, friend, db):
    factory.account(signed_in.profile, bonus_balance=4000)
    response = bonus_review(client, amount="50")
    assert response.status_code == 422 and "the account has 40.00" in page(response)


def test_a_refused_bonus_target_never_hides_a_refused_amount(client, account, factory, db):
    factory.subscriber(number=FRIEND, tariff="free-50")
    response = bonus_review(client, amount="300.01")
    assert response.status_code == 422
    html = page(response)
    assert "“Free” family" in field_error(html, "target")
    assert "200.00 more this month" in field_error(html, "amount")


def test_the_bonus_move_and_its_review_can_be_left(client, account, friend, db):
    assert '<a href="/">Cancel</a>' in page(client.get("/bonuses/transfer"))
    html = page(bonus_review(client))
    assert "Confirm the move" in html and '<a href="/">Cancel</a>' in html


def test_bonus_to_an_unknown_number(client, account, db):
    response = bonus_review(client, target="0971112299")
    assert response.status_code == 422 and "no subscriber of ours" in page(response)


@pytest.mark.parametrize("url", ["/transfer", "/bonuses/transfer"])
def test_a_forged_key_is_refused(client, account, friend, db, url):
    response = client.post(url, data={"target": FRIEND, "amount": "5", "key": "x" * 80})
    assert response.status_code == 400
    assert models.Transfer.select().count() == 0
