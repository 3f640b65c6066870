import re
from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import given, strategies as st

from rules.expenses import (
    CALLS,
    GROUP_OF_TYPE,
    GROUPS,
    INTERNET,
    MAX_SPAN_DAYS,
    PAYMENTS,
    SPENDING_GROUPS,
    TYPES,
    Period,
    asks_for_days,
    bar_chart,
    dashboard_periods,
    format_cursor,
    format_duration,
    format_volume,
    month_period,
    nice_ceiling,
    parse_cursor,
    parse_group,
    parse_period,
    parse_started_at,
    parse_usage_row,
    quantity_unit,
    summarize,
    types_of,
)
from tests.helpers import kyiv

TODAY = date(2026, 11, 25)
NOW = kyiv(2026, 11, 25, 10, 0)


# ---------------------------------------------------------------- periods

def test_default_is_the_current_month():
    period, errors = parse_period("", None, "  ", TODAY)
    assert errors == []
    assert period == Period(date(2026, 11, 1), date(2026, 11, 30), True)
    assert period.month == "2026-11"
    assert period.since == kyiv(2026, 11, 1)
    assert period.until == kyiv(2026, 12, 1)
    assert len(period.days) == 30
    assert period.query() == {"month": "2026-11"}


@pytest.mark.parametrize("month,start,end", [
    ("2026-02", date(2026, 2, 1), date(2026, 2, 28)),
    ("2024-02", date(2024, 2, 1), date(2024, 2, 29)),
    ("2025-12", date(2025, 12, 1), date(2025, 12, 31)),
    ("2000-01", date(2000, 1, 1), date(2000, 1, 31)),
])
def test_months(month, start, end):
    period, errors = parse_period(month, "", "", TODAY)
    assert errors == [] and (period.start, period.end, period.is_month) == (start, end, True)
    assert period.slug == month


def test_month_navigation_crosses_years():
    january = month_period(2026, 1)
    assert january.previous_month() == month_period(2025, 12)
    assert month_period(2025, 12).next_month() == january


def test_span():
    period, errors = parse_period("", "2026-10-27", "2026-11-25", TODAY)
    assert errors == []
    assert (period.start, period.end, period.is_month) == (date(2026, 10, 27), TODAY, False)
    assert len(period.days) == MAX_SPAN_DAYS
    assert period.query() == {"from": "2026-10-27", "to": "2026-11-25"}
    assert period.slug == "2026-10-27_2026-11-25"
    assert period.month == ""


def test_a_span_may_end_after_today_but_not_start_after_it():
    assert parse_period("", "2026-11-20", "2026-11-30", TODAY)[1] == []
    _, [error] = parse_period("", "2026-11-26", "2026-11-30", TODAY)
    assert (error.field, error.code, error.params["latest"]) == ("from", "future", TODAY)


@pytest.mark.parametrize("month,date_from,date_to,field,code", [
    ("2026-13", "", "", "month", "month_format"),
    ("2026-00", "", "", "month", "month_format"),
    ("2026-1", "", "", "month", "month_format"),
    ("26-11", "", "", "month", "month_format"),
    ("2026/11", "", "", "month", "month_format"),
    ("２０２６-11", "", "", "month", "month_format"),
    ("1999-12", "", "", "month", "too_early"),
    ("2026-12", "", "", "month", "future"),
    ("2026-11", "2026-11-01", "", "month", "mixed"),
    ("", "2026-11-01", "", "to", "required"),
    ("", "", "2026-11-01", "from", "required"),
    ("", "2026-11-31", "2026-11-01", "from", "date_format"),
    ("", "01.11.2026", "2026-11-02", "from", "date_format"),
    ("", "2026-11-01", "2026-11-1", "to", "date_format"),
    ("", "1999-12-31", "2000-01-01", "from", "too_early"),
    ("", "2026-11-10", "2026-11-09", "to", "before_start"),
    ("", "2026-10-26", "2026-11-25", "to", "too_long"),
    ("", "2025-01-01", "2026-01-01", "to", "too_long"),
])
def test_bad_periods(month, date_from, date_to, field, code):
    period, errors = parse_period(month, date_from, date_to, TODAY)
    assert period is None
    assert (errors[0].field, errors[0].code) == (field, code)


def test_too_long_carries_the_numbers_for_its_message():
    _, [error] = parse_period("", "2026-10-01", "2026-11-15", TODAY)
    assert error.params == {"days": 46, "max_days": 30, "latest_end": date(2026, 10, 30)}


def test_both_bounds_missing_or_bad_are_both_reported():
    _, errors = parse_period("", "x", "y", TODAY)
    assert [(e.field, e.code) for e in errors] == [("from", "date_format"), ("to", "date_format")]


@given(st.dates(date(2000, 1, 1), date(2030, 12, 31)), st.integers(0, 60))
def test_spans_up_to_thirty_days_pass_and_longer_ones_do_not(start, extra):
    today = max(start, TODAY)
    end = start + timedelta(days=extra)
    period, errors = parse_period("", start.isoformat(), end.isoformat(), today)
    if extra < MAX_SPAN_DAYS:
        assert errors == [] and len(period.days) == extra + 1
        assert period.since <= kyiv(end.year, end.month, end.day, 23, 59, 59) < period.until
    else:
        assert period is None and errors[0].code == "too_long"


@given(st.dates(date(2000, 1, 1), date(2030, 12, 31)))
def test_a_month_covers_its_days_exactly(day):
    period, errors = parse_period(f"{day:%Y-%m}", "", "", date(2031, 1, 1))
    assert errors == [] and period.month == f"{day:%Y-%m}"
    assert day in period.days
    assert all(d.month == day.month for d in period.days)
    assert period.previous_month().end + timedelta(days=1) == period.start
    assert period.next_month().start == period.end + timedelta(days=1)


def test_dashboard_periods():
    periods = dict(dashboard_periods(date(2026, 1, 1)))
    assert periods["previous_month"] == month_period(2025, 12)
    assert periods["this_month"] == month_period(2026, 1)
    assert periods["yesterday"].days == [date(2025, 12, 31)]
    assert periods["today"].days == [date(2026, 1, 1)]


# ---------------------------------------------------------------- types and groups

def test_every_type_has_a_group_and_groups_split_spending_from_payments():
    assert set(GROUP_OF_TYPE.values()) == set(GROUPS)
    assert PAYMENTS not in SPENDING_GROUPS
    assert set(types_of(PAYMENTS)) == {"topup", "transfer_in", "transfer_out"}
    assert set(types_of(CALLS)) == {"call_in", "call_out"}
    assert types_of("") == TYPES


@pytest.mark.parametrize("text,group", [("", ""), ("calls", CALLS), (" internet ", INTERNET),
                                        ("payments", PAYMENTS)])
def test_group_filter(text, group):
    assert parse_group(text) == (group, [])


@pytest.mark.parametrize("text", ["call_out", "Calls", "all", "sms,calls"])
def test_bad_group_filter(text):
    group, [error] = parse_group(text)
    assert group is None and (error.field, error.code) == ("type", "choice")


@pytest.mark.parametrize("usage_type,unit", [("call_in", "seconds"), ("internet", "kilobytes"),
                                             ("sms_out", "count"), ("topup", "count")])
def test_quantity_units(usage_type, unit):
    assert quantity_unit(usage_type) == unit


@pytest.mark.parametrize("seconds,text", [(0, "0:00"), (7, "0:07"), (725, "12:05"),
                                          (3723, "1:02:03"), (36000, "10:00:00")])
def test_durations(seconds, text):
    assert format_duration(seconds) == text


@given(st.integers(0, 10**7))
def test_a_duration_is_its_clock_figures(seconds):
    hours, minutes, secs = seconds // 3600, seconds // 60 % 60, seconds % 60
    assert format_duration(seconds) == (
        f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}")


@pytest.mark.parametrize("kilobytes,shown", [
    (0, ("0", "KB")), (1023, ("1023", "KB")), (1024, ("1.0", "MB")), (1536, ("1.5", "MB")),
    (1024 * 1024 - 1, ("1.0", "GB")), (1024 * 1024 * 3 // 2, ("1.5", "GB")),
    (1024 * 1023, ("1023.0", "MB")),
])
def test_volumes(kilobytes, shown):
    assert format_volume(kilobytes) == shown


# ---------------------------------------------------------------- totals

def test_summary_separates_spending_from_payments():
    period = Period(date(2026, 11, 1), date(2026, 11, 3), False)
    rows = [
        (date(2026, 11, 1), "call_out", 3, 450),
        (date(2026, 11, 1), "internet", 2, 1001),
        (date(2026, 11, 2), "topup", 1, -10000),
        (date(2026, 11, 2), "transfer_out", 1, 2500),
        (date(2026, 11, 2), "transfer_in", 1, -700),
        (date(2026, 11, 3), "service", 1, -99),  # a refund
        (date(2026, 11, 3), "sms_out", 4, 120),
    ]
    summary = summarize(rows, period)
    assert summary.by_group[CALLS].amount == 450 and summary.by_group[CALLS].count == 3
    assert summary.spending.amount == 450 + 1001 - 99 + 120
    assert summary.spending.count == 10
    assert summary.payments.amount == -10000 + 2500 - 700
    assert summary.paid_in == 10700 and summary.paid_out == 2500
    assert summary.record_count == 13
    assert summary.balance_change == -(450 + 1001 - 99 + 120 - 10000 + 2500 - 700)
    assert summary.by_day == [(date(2026, 11, 1), 1451), (date(2026, 11, 2), 0),
                              (date(2026, 11, 3), 21)]


record_rows = st.lists(st.tuples(st.dates(date(2026, 11, 1), date(2026, 11, 30)),
                                 st.sampled_from(TYPES), st.integers(-10**6, 10**7)))


@given(record_rows)
def test_totals_agree_however_they_are_cut(records):
    period = month_period(2026, 11)
    summary = summarize([(day, t, 1, amount) for day, t, amount in records], period)
    assert summary.spending.amount == sum(summary.by_group[g].amount for g in SPENDING_GROUPS)
    assert summary.spending.amount == sum(amount for _, amount in summary.by_day)
    assert sum(t.amount for t in summary.by_type.values()) == sum(a for _, _, a in records)
    assert summary.record_count == len(records)
    # Pre-aggregating per day and type (as SQL GROUP BY does) gives the same summary.
    grouped = {}
    for day, t, amount in records:
        count, total = grouped.get((day, t), (0, 0))
        grouped[(day, t)] = (count + 1, total + amount)
    again = summarize([(d, t, c, a) for (d, t), (c, a) in grouped.items()], period)
    assert again == summary


# ---------------------------------------------------------------- usage feed rows

def usage(**changes):
    row = {"number": "0971234567", "started_at": "2026-11-24T09:15:02.125", "type": "call_out",
           "counterpart": "+380501112233", "quantity": "125", "amount": "1.50"}
    row.update(changes)
    return row


def test_a_good_row():
    record, errors = parse_usage_row(usage(), NOW)
    assert errors == []
    assert record.number == "+380971234567"
    assert record.started_at == kyiv(2026, 11, 24, 9, 15, 2, 125000)
    assert (record.type, record.counterpart, record.quantity, record.amount) == (
        "call_out", "+380501112233", 125, 150)


@pytest.mark.parametrize("changes,expected", [
    ({"number": "12345678", "type": "subscription", "counterpart": "", "quantity": "1",
      "amount": "100"}, {"number": "12345678", "amount": 10000}),
    ({"number": "+380 97 123 45 67", "type": "topup", "amount": "-200.00", "quantity": "1"},
     {"number": "+380971234567", "amount": -20000}),
    ({"type": "transfer_in", "amount": "-0.01", "quantity": "1"}, {"amount": -1}),
    ({"type": "service", "amount": "-5"}, {"amount": -500}),  # a refund is allowed
    ({"started_at": "2026-11-24 09:15"}, {"started_at": kyiv(2026, 11, 24, 9, 15)}),
    ({"started_at": "2026-11-24T07:15:02.5Z"},
     {"started_at": kyiv(2026, 11, 24, 9, 15, 2, 500000)}),
    ({"started_at": "2026-07-24T09:15:02+03:00"},
     {"started_at": kyiv(2026, 7, 24, 9, 15, 2)}),
    ({"started_at": "2026-11-25T10:00:00"}, {"started_at": NOW}),
    ({"counterpart": "  internet  "}, {"counterpart": "internet"}),
])
def test_good_variants(changes, expected):
    record, errors = parse_usage_row(usage(**changes), NOW)
    assert errors == []
    for name, value in expected.items():
        assert getattr(record, name) == value


@pytest.mark.parametrize("changes,field,code", [
    ({"number": ""}, "number", "required"),
    ({"number": "0501234567"}, "number", "foreign"),
    ({"number": "097123"}, "number", "invalid"),
    ({"number": "1234567"}, "number", "invalid"),
    ({"started_at": ""}, "started_at", "datetime"),
    ({"started_at": "2026-11-24"}, "started_at", "datetime"),
    ({"started_at": "24.11.2026 09:15"}, "started_at", "datetime"),
    ({"started_at": "2026-11-31T09:15"}, "started_at", "datetime"),
    ({"started_at": "2026-11-25T10:00:00.001"}, "started_at", "future"),
    ({"started_at": "1999-12-31T23:59"}, "started_at", "too_early"),
    ({"type": "call"}, "type", "choice"),
    ({"type": ""}, "type", "choice"),
    ({"counterpart": "x" * 65}, "counterpart", "too_long"),
    ({"counterpart": "a\x00b"}, "counterpart", "control"),
    ({"quantity": ""}, "quantity", "quantity"),
    ({"quantity": "-1"}, "quantity", "quantity"),
    ({"quantity": "1.5"}, "quantity", "quantity"),
    ({"quantity": "99999999999999"}, "quantity", "quantity"),
    ({"amount": ""}, "amount", "amount"),
    ({"amount": "1.234"}, "amount", "amount"),
    ({"amount": "1e3"}, "amount", "amount"),
    ({"type": "topup", "amount": "100"}, "amount", "credit_expected"),
    ({"type": "transfer_out", "amount": "-100"}, "amount", "charge_expected"),
])
def test_bad_rows(changes, field, code):
    record, errors = parse_usage_row(usage(**changes), NOW)
    assert record is None
    assert [(e.field, e.code) for e in errors] == [(field, code)]


def test_every_bad_field_is_reported_at_once():
    record, errors = parse_usage_row({"type": "x"}, NOW)
    assert record is None
    assert [e.field for e in errors] == ["number", "started_at", "type", "quantity", "amount"]


def test_started_at_keeps_microseconds_and_drops_finer_fractions():
    assert parse_started_at("2026-11-24T09:15:02.123456789").microsecond == 123456


def test_started_at_refuses_a_decimal_comma():
    assert parse_started_at("2026-11-24T09:15:02,5") is None


# ---------------------------------------------------------------- the chart

@pytest.mark.parametrize("kopiyky,ceiling", [(0, 100), (1, 100), (100, 100), (101, 200),
                                             (450, 500), (501, 1000), (123456, 200000)])
def test_nice_ceiling(kopiyky, ceiling):
    assert nice_ceiling(kopiyky) == ceiling


def test_chart_geometry():
    days = [(date(2026, 11, 1), 500), (date(2026, 11, 2), 0), (date(2026, 11, 3), 250),
            (date(2026, 11, 4), -100)]
    chart = bar_chart(days, width=400, height=120, top=10, bottom=10)
    assert chart.scale == 500
    assert [bar.height for bar in chart.bars] == [100, 0, 50, 0]
    assert [bar.x for bar in chart.bars] == [15, 115, 215, 315]
    assert all(bar.width == 70 and bar.y + bar.height == 110 for bar in chart.bars)
    assert [line.amount for line in chart.gridlines] == [0, 125, 250, 375, 500]
    assert [line.y for line in chart.gridlines] == [110, 85, 60, 35, 10]
    # As the page draws them: the bars with a height, the gridlines, the days' labels.
    assert chart.bars_path == "M15 10h70v100h-70zM215 60h70v50h-70z"
    assert chart.grid_path == "M0 110H400M0 85H400M0 60H400M0 35H400M0 10H400"
    assert chart.day_labels == [("50", 1)]


@given(st.lists(st.integers(-10**6, 10**8), min_size=1, max_size=31))
def test_bars_stay_inside_the_plot_and_keep_their_order(amounts):
    days = [(date(2026, 10, 1) + timedelta(days=n), a) for n, a in enumerate(amounts)]
    chart = bar_chart(days)
    for bar in chart.bars:
        assert chart.plot_top - 0.01 <= bar.y <= chart.plot_bottom
        assert 0 <= bar.x and bar.x + bar.width <= chart.width + 0.01
    tallest = max(range(len(amounts)), key=lambda n: amounts[n])
    assert chart.bars[tallest].height == max(bar.height for bar in chart.bars)
    # The path holds exactly the bars with a height, each a rectangle of its geometry.
    drawn = re.findall(r"M([\d.]+) ([\d.]+)h([\d.]+)v([\d.]+)h-([\d.]+)z", chart.bars_path)
    assert "".join(f"M{x} {y}h{w}v{h}h-{w2}z" for x, y, w, h, w2 in drawn) == chart.bars_path
    assert [tuple(map(float, rect[:4])) for rect in drawn] == [
        (bar.x, bar.y, bar.width, bar.height) for bar in chart.bars if bar.height > 0]


@given(st.lists(st.integers(-10**6, 10**8), min_size=1, max_size=31),
       st.integers(100, 1000))
def test_every_bar_is_where_its_day_and_amount_put_it(amounts, width):
    """The columns kept for a month's length, and a day without spending left at the floor,
    draw what each bar's own arithmetic gives."""
    days = [(date(2026, 10, 1) + timedelta(days=n), a) for n, a in enumerate(amounts)]
    chart = bar_chart(days, width=width)
    pitch, plot_height = width / len(days), chart.plot_bottom - chart.plot_top
    bar_width = round(pitch * 0.7, 2)
    for index, (bar, amount) in enumerate(zip(chart.bars, amounts, strict=True)):
        y = round(chart.plot_bottom - plot_height * max(amount, 0) / chart.scale, 2)
        assert bar == (days[index][0], amount, round(index * pitch + (pitch - bar_width) / 2, 2),
                       y, bar_width, round(chart.plot_bottom - y, 2))


# ---------------------------------------------------------------- paging and the dashboard

@given(st.datetimes(datetime(2000, 1, 1), datetime(2100, 1, 1), timezones=st.just(timezone.utc)),
       st.integers(1, 10**15))
def test_cursor_round_trip(moment, record_id):
    assert parse_cursor(format_cursor(moment, record_id)) == (moment, record_id)


@given(st.datetimes(datetime(2000, 1, 1), datetime(2100, 1, 1), timezones=st.just(timezone.utc)),
       st.integers(0, 9),
       st.integers(1, 10**15))
def test_cursor_of_two_numbers_round_trip(moment, source, record_id):
    text = format_cursor(moment, source, record_id)
    assert parse_cursor(text, numbers=2) == (moment, source, record_id)
    assert parse_cursor(text) is None  # one number expected, two given


@pytest.mark.parametrize("text", ["", "~", "2026-11-24T09:15:02~", "2026-11-24T09:15:02~x",
                                  "2026-11-24~5", "x~5", "2026-11-24T09:15:02~-5",
                                  "2026-11-24T09:15:02~٣"])
def test_bad_cursors(text):
    assert parse_cursor(text) is None


@given(*[st.sampled_from(["", " ", None, "2026-11", "2026-11-03", " 2026-11-20 ", "x"])] * 3)
def test_a_span_of_days_is_asked_for_as_parse_period_reads_the_fields(month, date_from,
                                                                      date_to):
    """asks_for_days reads the fields as parse_period does: where a period is accepted, it
    is a span of days exactly when asks_for_days says so."""
    period, _errors = parse_period(month, date_from, date_to, TODAY)
    if period is not None:
        assert asks_for_days(month, date_from, date_to) == (not period.is_month)
