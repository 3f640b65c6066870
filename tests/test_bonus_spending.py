"""Moved bonuses pay for usage through the usage feed's `bonus_amount`: checked against
the guide and the live lots, taken off them oldest first in the import's transaction, shown
on the dashboard and in the expenses report, CSV and PDF. Both databases."""
import io
from datetime import date, timedelta

import pytest

import models
from portal.bonuses import service as bonuses_service
from portal.feeds.service import FeedError, import_usage
from rules.money import lapse_date
from tests.helpers import START, burst, kyiv, page

HEADER = "number,started_at,type,counterpart,quantity,amount,bonus_amount\n"


def move(app, target, amount, at):
    """Bonuses that arrived on `target` by a move at `at`, as BonusMove books them."""
    with app.app_context():
        models.db.connect(reuse_if_open=True)
        account = models.Subscription.get_or_none(models.Subscription.kind == "home_internet")
        if account is None:
            account = models.Subscription.create(
                number="10000001", kind="home_internet", profile=target.profile_id,
                tariff="fast", holder_name="Тест", payment="contract", customer="individual",
                status="active", activated_on=START.date())
        done = models.Transfer.create(key=f"k{at.timestamp()}{amount}", kind="bonus",
                                      source=account, target=target, amount=amount,
                                      created_at=at)
        with models.locking_transaction():
            models.LedgerEntry.post(target, "bonus_transfer_in", at, bonus_change=amount,
                                    reference=f"transfer:{done.id}")
            return models.BonusLot.create(subscription=target, transfer=done, amount=amount,
                                          arrived_on=at.date(), lapses_on=lapse_date(at.date()))


def feed(*rows):
    return io.StringIO(HEADER + "".join(",".join(row) + "\n" for row in rows))


def call(at="2026-11-24T09:15:00", to="+380501234567", amount="4.50", bonus="4.50",
         number="+380671234567", kind="call_out"):
    return (number, at, kind, to, "180", amount, bonus)


def fresh(subscription):
    return models.Subscription.get_by_id(subscription.id)


@pytest.fixture
def phone(factory):
    return factory.subscriber(bonus_balance=0)


def test_a_call_paid_by_bonuses_takes_them_off_the_oldest_lot(app, db, phone):
    older = move(app, phone, 1000, START - timedelta(days=10))
    newer = move(app, phone, 3000, START - timedelta(days=3))
    count = import_usage(feed(call(bonus="12.00", amount="12.00"),
                              call(kind="internet", to="internet", amount="2.00", bonus="1.50",
                                   at="2026-11-24T10:00:00")), START)
    assert count == 2
    assert fresh(phone).bonus_balance == 4000 - 1350
    assert models.BonusLot.get_by_id(older.id).spent == 1000
    assert models.BonusLot.get_by_id(newer.id).spent == 350
    entries = list(models.LedgerEntry.select().where(models.LedgerEntry.kind == "bonus_spend")
                   .order_by(models.LedgerEntry.at))
    assert [(e.bonus_change, e.bonus_after) for e in entries] == [(-1200, 2800), (-150, 2650)]
    # What was spent no longer lapses: the older lot's day comes and nothing is left of it.
    assert bonuses_service.lapse(lapse_date(older.arrived_on), START + timedelta(days=1)) == (1, 0)


def test_a_file_without_the_column_or_with_it_empty_pays_nothing_from_bonuses(app, db, phone):
    move(app, phone, 1000, START - timedelta(days=1))
    plain = io.StringIO("number,started_at,type,counterpart,quantity,amount\n"
                        "+380671234567,2026-11-24T09:15:00,call_out,+380501234567,60,1.50\n")
    assert import_usage(plain, START) == 1
    assert import_usage(feed(call(bonus="")), START) == 1
    assert fresh(phone).bonus_balance == 1000
    assert models.BonusLot.get().spent == 0


@pytest.mark.parametrize("row, reason", [
    (call(to="+48221234567"), "bonuses pay only for calls and messages to Ukrainian numbers"),
    (call(kind="service", to="Хто дзвонив"), "bonuses pay only for outgoing calls"),
    (call(bonus="5.00"), "more than the 4.50 UAH charged"),
    (call(bonus="abc"), "'abc' is not an amount in UAH"),
    (call(bonus="-1"), "'-1' is not an amount in UAH"),
    (call(bonus="11.00", amount="11.00"), "more than the 9.00 UAH of moved bonuses live"),
    (call(at="2026-11-20T09:00:00"), "more than the 0.00 UAH of moved bonuses live"),
], ids=["abroad", "a service", "more than charged", "not an amount", "negative",
        "more than live", "before the move"])
def test_a_bonus_part_the_guide_refuses_refuses_the_file(app, db, phone, row, reason):
    move(app, phone, 1000, kyiv(2026, 11, 22, 12, 0))
    with pytest.raises(FeedError) as refused:
        import_usage(feed(call(amount="1.00", bonus="1.00"), row), START)
    ((line, message),) = refused.value.problems
    assert line == 3 and message.startswith("bonus_amount: ") and reason in message, message
    assert models.UsageRecord.select().count() == 0
    assert fresh(phone).bonus_balance == 1000 and models.BonusLot.get().spent == 0


def test_no_bonus_part_on_a_free_tariff_or_a_home_internet_account(app, db, factory):
    free = factory.subscriber(number="+380771234567", tariff="free-50")
    move(app, free, 1000, START - timedelta(days=1))
    account = models.Subscription.get(models.Subscription.kind == "home_internet")
    rows = (call(number="+380771234567"),
            call(number=account.number, kind="internet", to="", amount="3.00", bonus="3.00"))
    with pytest.raises(FeedError) as refused:
        import_usage(feed(*rows), START)
    assert [message for _, message in refused.value.problems] == [
        "bonus_amount: bonuses pay for nothing on the “Free” (Svobodnyi) tariffs",
        "bonus_amount: bonuses pay for mobile numbers' usage only, not a Home Internet "
        "account's"]


def test_200_a_month_across_imports(app, db, phone):
    for days in (15, 10, 5):
        move(app, phone, 10000, START - timedelta(days=days))
    import_usage(feed(call(amount="150.00", bonus="150.00")), START)
    with pytest.raises(FeedError) as refused:
        import_usage(feed(call(amount="60.00", bonus="60.00", at="2026-11-25T09:00:00")), START)
    assert refused.value.problems == [(2, "bonus_amount: past the 200.00 UAH a month bonuses "
                                          "may pay: 50.00 UAH were left this month")]
    assert import_usage(feed(call(amount="50.00", bonus="50.00", at="2026-11-25T09:00:00")),
                        START) == 1
    assert fresh(phone).bonus_balance == 30000 - 20000
    # December has 200 of its own.
    assert import_usage(feed(call(amount="20.00", bonus="20.00", at="2026-12-01T09:00:00")),
                        START + timedelta(days=7)) == 1


def test_two_imports_at_once_never_spend_a_bonus_twice(app, db, phone):
    move(app, phone, 1000, START - timedelta(days=1))
    models.db.close()

    def run(index):
        with app.app_context():
            models.db.connect(reuse_if_open=True)
            try:
                return import_usage(feed(call(amount="8.00", bonus="8.00",
                                              at=f"2026-11-24T11:1{index}:00")), START)
            except FeedError as refused:
                return refused.problems[0][1]

    results = burst(2, run)
    models.db.connect(reuse_if_open=True)
    assert sorted(results, key=str) == [1, "bonus_amount: more than the 2.00 UAH of moved "
                                           "bonuses live on the number at that moment"]
    assert fresh(phone).bonus_balance == 200 and models.BonusLot.get().spent == 800


def test_the_dashboard_and_the_report_show_what_bonuses_paid(app, client, signed_in, db):
    move(app, signed_in, 3000, START - timedelta(days=2))
    import_usage(feed(call(amount="4.50", bonus="4.50"),
                      call(amount="3.00", bonus="1.00", at="2026-11-24T11:00:00")), START)
    html = page(client.get("/"))
    assert '<data value="24.50" id="bonus-balance">' in html
    html = page(client.get("/expenses?month=2026-11"))
    assert 'id="paid-by-bonuses"' in html and '<data value="5.50"' in html
    # The money balance changed by what bonuses did not pay.
    assert '<data value="-2.00" id="balance-change">' in html
    csv_text = client.get("/expenses.csv?month=2026-11").get_data(as_text=True)
    assert "Paid by bonuses, UAH" in csv_text and ";4,50;0,00" in csv_text
    assert client.get("/expenses.pdf?month=2026-11").status_code == 200


# The bonus history ---------------------------------------------------------------------------

def test_the_history_of_a_number_shows_each_change_with_the_balance_after(app, client,
                                                                          signed_in, db, clock,
                                                                          auth):
    move(app, signed_in, 3000, START - timedelta(days=4))
    import_usage(feed(call(amount="4.50", bonus="4.50")), START)
    bonuses_service.lapse(START.date() + timedelta(days=17), START + timedelta(days=17))
    html = page(client.get("/bonuses?month=2026-11"))
    assert "Moved from account 10000001" in html
    assert "Paid for a call to +380 50 123 45 67" in html
    assert '<data value="-4.50">' in html and '<data value="25.50">' in html
    assert "*110#" in html and "answering" in html
    assert 'id="bonus-opening"' in html
    clock.advance(days=17)
    auth.login()
    december = page(client.get("/bonuses?month=2026-12"))
    assert "Lapsed: 20 days after the move" in december and '<data value="0.00">' in december


def test_the_history_of_an_account_shows_the_accrual_with_its_fee_and_the_tips(
        app, client, factory, signed_in, db, clock):
    account = factory.account(signed_in.profile, bonus_balance=0)
    with app.app_context():
        models.db.connect(reuse_if_open=True)
        models.UsageRecord.create(subscription=account, started_at=kyiv(2026, 10, 1, 0, 5),
                                  type="subscription", counterpart="fast", quantity=1,
                                  amount=10000)
        models.ServiceInterruption.create(subscription=account, reason="suspended",
                                          start=date(2026, 10, 11),
                                          end=date(2026, 10, 16))
        bonuses_service.accrue(START.date(), START)
    client.post("/numbers/select", data={"number": account.number})
    html = page(client.get("/bonuses"))
    assert "Accrual for October 2026: the fee paid, 100.00" in html
    assert "6 day(s) without service left out" in html
    assert '<data value="80.64">' in html  # 100 × 25/31, rounded down
    assert "never lapse" in html and "10–15" in html and "*460#" in html


@pytest.mark.parametrize("month", ["2026-13", "nope", "1999-12", "2027-01", "9" * 40])
def test_a_bad_month_is_a_message_next_to_the_field(client, signed_in, month):
    response = client.get("/bonuses", query_string={"month": month})
    assert response.status_code == 422
    html = page(response)
    assert 'aria-invalid="true"' in html and 'id="month-error"' in html


def test_the_history_is_the_cabinets_own(client, factory, signed_in):
    factory.subscriber(number="+380681234567", bonus_balance=5000)
    assert client.get("/bonuses").status_code == 200
    response = client.post("/numbers/select", data={"number": "0681234567"})
    assert response.status_code == 404
    assert client.get("/bonuses", headers={"HX-Request": "true"}).status_code == 200


def test_a_billing_correction_shows_in_the_history(app, client, signed_in, tmp_path, db):
    from portal.feeds.service import import_subscriber_file
    path = tmp_path / "subscribers.csv"
    path.write_text("number,kind,name,tariff,payment,customer,status,balance,bonus_balance,"
                    "activated_on\n0671234567,mobile,Тест,smart,prepaid,individual,active,"
                    "100,12.00,2022-01-01\n", encoding="utf-8")
    import_subscriber_file(path, app.config["CLOCK"])
    html = page(client.get("/bonuses"))
    assert "Correction by the billing" in html and '<data value="12.00">' in html
    assert fresh(signed_in).bonus_balance == 1200


def test_the_demo_spends_bonuses_on_a_call_and_shows_the_history(app, db):
    from portal.demo.loading import load_demo_data
    load_demo_data()
    load_demo_data()  # safe to run again: nothing spent twice, no correction
    phone = models.Subscription.get(models.Subscription.number == "+380671234567")
    (spend,) = models.LedgerEntry.select().where(models.LedgerEntry.kind == "bonus_spend")
    assert (spend.subscription_id, spend.bonus_change) == (phone.id, -750)
    assert phone.bonus_balance == 3000 - 750 and models.BonusLot.get().spent == 750
    assert spend.bonus_after == 2250
    assert models.LedgerEntry.select().where(
        models.LedgerEntry.kind == bonuses_service.CORRECTION).count() == 0
    record = models.UsageRecord.get(models.UsageRecord.bonus_amount > 0)
    assert (record.type, record.amount, record.bonus_amount) == ("call_out", 750, 750)
    account = models.Subscription.get(models.Subscription.number == "10000001")
    kinds = [e.kind for e in models.LedgerEntry.select().where(
        models.LedgerEntry.subscription == account).order_by(models.LedgerEntry.at)]
    assert kinds == ["bonus_accrual", "bonus_transfer_out"]


def test_migration_0010_adds_the_columns_to_a_database_from_before(app, db):
    from peewee import Table

    from portal.database.service import init_db
    for table, column in (("usage_record", "bonus_amount"), ("usage_day", "bonus_amount"),
                          ("bonus_lot", "spent"), ("bonus_accrual", "fee_paid"),
                          ("bonus_accrual", "days_out")):
        models.db.execute_sql(f'ALTER TABLE "{table}" DROP COLUMN "{column}"')
    history = Table("schema_migration", ("name",)).bind(models.db.obj)
    history.delete().where(history.name.startswith("0010")).execute()
    _fresh, applied, _counts = init_db()
    assert applied == ["0010_bonus_spending"]
    assert models.UsageDay.recount() == {}
