"""Kyiv's clocks go forward an hour on the last Sunday of March (03:00 → 04:00) and back on
the last Sunday of October (04:00 → 03:00). Instants are kept in UTC (rules.dates), so a
code, a session or a lockout lasts as long on those nights as on any other, records sort
as they happened, a report's day has 23 or 25 hours, and monthly jobs find Kyiv's month.
Each test walks the test clock through the change, as a server's clock would go."""
import io
from datetime import date, datetime, time, timedelta, timezone

import pytest
from hypothesis import given, strategies as st
from peewee import DateTimeField

import models
from models.base import MomentField
from portal.bonuses import service as bonuses_service
from rules.dates import day_start, instant, local, on_day
from tests.helpers import as_kept_before, before_migration, kyiv, last_code, page, upgrade
from tests.test_expenses import add_records, csv_rows

NUMBER = "+380671234567"
SPRING = date(2026, 3, 29)  # 03:00 EET does not happen: 04:00 EEST follows 02:59:59
AUTUMN = date(2026, 10, 25)  # 03:00-03:59 happens twice: EEST (fold=0), then EET (fold=1)


def second(hour, minute):
    """The second time of a wall time in the hour October repeats."""
    return instant(datetime(2026, 10, 25, hour, minute, fold=1))


def test_the_nights_of_the_change_as_the_rules_see_them():
    assert day_start(SPRING + timedelta(days=1)) - day_start(SPRING) == timedelta(hours=23)
    assert day_start(AUTUMN + timedelta(days=1)) - day_start(AUTUMN) == timedelta(hours=25)
    assert second(3, 30) - kyiv(2026, 10, 25, 3, 30) == timedelta(hours=1)
    assert kyiv(2026, 3, 29, 4, 0) - kyiv(2026, 3, 29, 2, 59) == timedelta(minutes=1)


def verify(client, app):
    return client.post("/login/sms/verify", data={"login": "0671234567",
                                                  "code": last_code(app, NUMBER)})


def test_a_code_lasts_ten_minutes_when_the_clocks_go_back(app, client, subscriber, clock):
    clock.set(kyiv(2026, 10, 25, 3, 55))  # the first 03:55
    client.post("/login/sms", data={"login": "0671234567"})
    clock.advance(minutes=10)  # the wall clock reads 03:05 (the second time)
    assert local(clock.now()).strftime("%H:%M") == "03:05"
    response = verify(client, app)
    assert response.status_code == 422 and "expired" in page(response)


def test_a_code_is_good_for_its_ten_minutes_when_the_clocks_go_forward(app, client, subscriber,
                                                                        clock):
    clock.set(kyiv(2026, 3, 29, 2, 55))
    client.post("/login/sms", data={"login": "0671234567"})
    clock.advance(minutes=9)  # 04:04 on the wall: an hour and nine minutes by it
    assert verify(client, app).status_code == 303


def test_an_idle_session_ends_after_thirty_minutes_when_the_clocks_go_back(client, auth,
                                                                          subscriber, clock):
    clock.set(kyiv(2026, 10, 25, 3, 40))
    assert auth.login().status_code == 303
    clock.advance(minutes=29)  # 03:09, the second time
    assert client.get("/").status_code == 200
    clock.advance(minutes=31)  # 03:40 again on the wall, an hour after the sign-in
    assert client.get("/").status_code == 303


def test_a_session_lives_through_the_hour_march_skips(client, auth, subscriber, clock):
    clock.set(kyiv(2026, 3, 29, 2, 50))
    assert auth.login().status_code == 303
    clock.advance(minutes=29)  # 04:19 on the wall
    assert client.get("/").status_code == 200


def test_a_lockout_lasts_fifteen_minutes_and_says_when_by_the_wall_clock(auth, subscriber,
                                                                         clock):
    clock.set(kyiv(2026, 10, 25, 3, 58))  # the first 03:58: the lockout ends at the second 03:13
    for _ in range(9):
        assert auth.login(password="Wrong-pass1").status_code == 422
    response = auth.login(password="Wrong-pass1")
    assert response.status_code == 429 and "try again at 03:13" in page(response)
    clock.advance(minutes=14)  # 03:12, the second time: the first 04:12 by a naive wall clock
    assert auth.login().status_code == 429
    clock.advance(minutes=1, seconds=1)
    assert auth.login().status_code == 303


def csv_starts(client, query):
    return [row[0] for row in csv_rows(client.get(f"/expenses.csv?{query}"))[1:]]


def hourly_records(app, subscription, day, amount=100):
    """A record at the start of every hour of Kyiv's `day` (as many as the day has hours),
    one a second before it and one as the next day begins."""
    start, end = day_start(day), day_start(day + timedelta(days=1))
    hours = int((end - start) / timedelta(hours=1))
    moments = [start + timedelta(hours=n) for n in range(hours)]
    add_records(app, subscription, [(moment, "sms_out", "+380501112233", 1, amount)
                                    for moment in moments + [start - timedelta(seconds=1), end]])
    return hours


@pytest.mark.parametrize("day,hours,repeated", [(AUTUMN, 25, "03:00"), (SPRING, 23, None)])
def test_a_days_report_holds_each_of_its_hours(app, client, auth, subscriber, clock, db, day,
                                               hours, repeated):
    clock.set(on_day(day + timedelta(days=2), time(12)))
    assert hourly_records(app, subscriber, day) == hours
    auth.login()
    query = f"from={day}&to={day}"
    walls = [start[11:16] for start in csv_starts(client, query)]
    assert len(walls) == hours
    assert walls[0] == "00:00" and walls[-1] == "23:00"
    if repeated:  # the repeated hour twice, in the order it happened
        assert walls.count(repeated) == 2 and walls[3:5] == [repeated, repeated]
    else:
        assert "03:00" not in walls
    html = page(client.get(f"/expenses?{query}"))
    assert f'<data value="{hours}.00" id="spent-total">' in html
    days = models.UsageDay.select().where(models.UsageDay.subscription == subscriber.id)
    assert {row.day: row.records for row in days} == {
        day - timedelta(days=1): 1, day: hours, day + timedelta(days=1): 1}


def test_a_record_just_after_kyivs_midnight_is_in_the_new_month(app, client, auth, subscriber,
                                                                clock, db):
    """00:30 on 1 November in Kyiv is still 31 October in UTC."""
    add_records(app, subscriber, [(kyiv(2026, 11, 1, 0, 30), "sms_out", "+380501112233", 1, 80)])
    auth.login()
    assert csv_starts(client, "month=2026-11") == ["2026-11-01 00:30:00.000000"]
    assert csv_starts(client, "month=2026-10") == []


def test_the_monthly_accrual_finds_kyivs_month_after_midnight(app, factory, db, clock):
    """The timer runs the accrual on the 4th, at 00:30 Kyiv time (22:30 on the 3rd in UTC);
    October's fee, charged at 00:00:05 on 1 October (30 September in UTC), is October's."""
    profile = factory.subscriber().profile
    account = factory.account(profile)
    models.UsageRecord.create(subscription=account, started_at=kyiv(2026, 10, 1, 0, 0, 5),
                              type="subscription", counterpart="fast", quantity=1, amount=10000)
    clock.set(kyiv(2026, 11, 4, 0, 30))
    result = app.test_cli_runner().invoke(args=["accrue-bonuses"])
    assert result.exit_code == 0 and "Accrued 2026-10: 1 account(s), 100,00" in result.output
    models.db.connect(reuse_if_open=True)
    assert models.Subscription.get_by_id(account.id).bonus_balance == 10000
    assert bonuses_service.accrue(date(2026, 11, 4), clock.now())[1] == 0  # once a month


def test_the_daily_sms_budget_starts_at_kyivs_midnight(app, clock):
    """The portal's day of SMS (rules.budget.calendar_day) is Kyiv's calendar day."""
    from portal.core import sms_budget
    clock.set(kyiv(2026, 10, 26, 0, 30))
    with app.test_request_context():
        start, end = sms_budget.budget_rules.calendar_day(clock.now())
    assert (local(start).isoformat(), end - start) == ("2026-10-26T00:00:00+02:00",
                                                       timedelta(hours=24))


# Times kept before: the migration ------------------------------------------------------------

def test_the_migration_moves_kept_times_to_utc(app, db, factory):
    subscription = factory.subscriber()
    moments = [kyiv(2026, 7, 1, 12, 0), kyiv(2026, 10, 25, 3, 30), kyiv(2026, 12, 1, 0, 15),
               kyiv(2026, 3, 29, 2, 30)]
    records = [models.UsageRecord.create(subscription=subscription, started_at=moment,
                                         type="sms_out", counterpart="x", quantity=1, amount=1)
               for moment in moments]
    event = models.AuditEvent.create(event="login", at=kyiv(2026, 11, 25, 10, 0))
    for record in records[:3]:
        as_kept_before("usage_record", "started_at", record.id)
    as_kept_before("usage_record", "started_at", records[3].id,
                   wall=datetime(2026, 3, 29, 3, 30))  # a wall time March skips
    as_kept_before("audit_event", "at", event.id)
    assert models.UsageRecord.get_by_id(records[0].id).started_at.hour == 12  # read as UTC: wrong
    before_migration("0014_times_in_utc")  # the runner applies what is not recorded
    result = upgrade(app)
    assert "migrations applied: 1" in result.output, result.output
    # The repeated hour's 03:30 kept without its offset is read as winter time, the second.
    assert [models.UsageRecord.get_by_id(r.id).started_at for r in records] == [
        moments[0], second(3, 30), moments[2], kyiv(2026, 3, 29, 3, 30)]
    assert models.AuditEvent.get_by_id(event.id).at == kyiv(2026, 11, 25, 10, 0)
    assert models.UsageRecord.get_by_id(records[0].id).started_at.hour == 9  # 12:00 EEST


# Times read from a feed ---------------------------------------------------------------------

def test_a_feed_time_without_an_offset_is_kyiv_time_and_one_with_it_is_kept(subscriber, db):
    from portal.feeds.service import import_usage
    feed = io.StringIO("number,started_at,type,counterpart,quantity,amount\n"
                       "+380671234567,2026-10-25T03:30:00,sms_out,x,1,0.80\n"
                       "+380671234567,2026-10-25T03:30:00+02:00,sms_out,y,1,0.80\n")
    import_usage(feed, kyiv(2026, 11, 25, 10, 0))
    kept = {r.counterpart: r.started_at for r in models.UsageRecord.select()}
    assert kept == {"x": kyiv(2026, 10, 25, 3, 30), "y": second(3, 30)}



@given(st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59)),
       st.sampled_from(["auto", "seconds", "milliseconds", "microseconds", "date"]))
def test_a_moment_is_read_from_sqlites_text_as_peewee_reads_it(moment, spec):
    """SQLite hands an instant back as the text it was written as: read in C
    (datetime.fromisoformat), it is the instant peewee's formats make of it."""
    text = moment.date().isoformat() if spec == "date" else moment.isoformat(" ", spec)
    expected = DateTimeField().python_value(text).replace(tzinfo=timezone.utc)
    read = MomentField().python_value(text)
    assert read == expected and read.tzinfo is timezone.utc


@given(st.datetimes(), st.sampled_from([0, 1]))
def test_a_moment_from_postgresql_is_its_utc_instant(stored, fold):
    """PostgreSQL hands a naive datetime (UTC as kept): the same wall time, fold and all,
    marked UTC."""
    stored = stored.replace(fold=fold)
    read = MomentField().python_value(stored)
    assert read.tzinfo is timezone.utc and read.fold == fold
    assert read.replace(tzinfo=None) == stored


@pytest.mark.parametrize("text", ["", "yesterday", "2026-13-01 10:00:00",
                                  "2026-11-03 10:00:00+02:00"])
def test_a_text_that_is_no_plain_moment_is_read_as_peewee_reads_it(text):
    as_peewee = DateTimeField().python_value(text)
    expected = as_peewee.replace(tzinfo=timezone.utc) if hasattr(as_peewee, "tzinfo") \
        else as_peewee
    assert MomentField().python_value(text) == expected
