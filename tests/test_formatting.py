"""The one formatter, in each language: what a report prints on every line, and the CSV's
amounts."""
from datetime import date, datetime, timezone

import pytest
from babel import Locale
from babel.dates import format_date
from hypothesis import HealthCheck, given, settings, strategies as st

from portal.core import formatting
from portal.core.i18n import in_language
from rules.dates import KYIV, local
from tests.helpers import kyiv

KB_195_8_MB = 200_500  # 195.8 MB (1 MB = 1024 KB)


@pytest.mark.parametrize("language,volume,moment,month", [
    ("uk", "195,8\u00a0МБ", "03.11.2026 09:15:02,125", "листопад 2026"),
    ("ru", "195,8\u00a0МБ", "03.11.2026 09:15:02,125", "ноябрь 2026"),
    ("en", "195.8\u00a0MB", "03.11.2026 09:15:02.125", "November 2026"),
])
def test_a_report_line_in_the_readers_language(app, language, volume, moment, month):
    with app.test_request_context(headers={"Accept-Language": language}):
        reader = formatting.Reader()
        assert reader.volume(KB_195_8_MB) == volume
        assert reader.volume(512) == "512\u00a0" + ("KB" if language == "en" else "КБ")
        assert reader.moment(kyiv(2026, 11, 3, 9, 15, 2, 125999)) == moment
        assert reader.duration(125) == "2:05" and reader.duration(3723) == "1:02:03"
        assert formatting.month(date(2026, 11, 25)) == month
        for kopiyky in (0, 5, -5, 123456, -100000000):
            assert reader.money(kopiyky) == formatting.money(kopiyky)
            assert reader.money(kopiyky, currency=False) == formatting.money(
                kopiyky, currency=False)


def test_a_reader_needs_no_request_once_made(app):
    """A streamed file formats its lines after the view has returned."""
    with app.test_request_context(headers={"Accept-Language": "uk"}):
        reader = formatting.Reader()
    assert reader.volume(KB_195_8_MB) == "195,8\u00a0МБ"


@pytest.mark.parametrize("kopiyky,cell", [(450, "4,50"), (-450, "-4,50"), (123450, "1234,50"),
                                          (0, "0,00"), (-5, "-0,05")])
def test_spreadsheet_amounts_have_a_decimal_comma_and_no_grouping(kopiyky, cell):
    assert formatting.sheet_amount(kopiyky) == cell


def test_a_number_never_breaks_and_other_text_stays():
    assert formatting.phone_unbroken("+380501112233") == "+380\u00a050\u00a0111\u00a022\u00a033"
    assert formatting.phone_unbroken("Хто дзвонив") == "Хто дзвонив"
    assert formatting.phone_unbroken("10000001") == "10000001"


@pytest.mark.parametrize("language,shown", [("uk", "50\u00a0000"), ("ru", "50\u00a0000"),
                                            ("en", "50,000")])
def test_a_count_is_grouped_as_the_reader_groups(app, language, shown):
    with app.test_request_context(headers={"Accept-Language": language}):
        assert formatting.whole_number(50_000) == shown
        assert formatting.whole_number(7) == "7"


def test_the_language_is_asked_once_a_request_and_again_inside_another(app, monkeypatch):
    """Money printing asks the language for every amount (a report prints a hundred): it is
    kept for the request, and changed only inside i18n.in_language."""
    from portal.core import i18n
    from portal.core.formatting import money
    asked = []
    real = i18n.get_locale
    monkeypatch.setattr(i18n, "get_locale", lambda: asked.append(1) or real())
    with app.test_request_context("/", headers={"Cookie": "lang=en"}):
        assert [money(123456) for _ in range(3)] == [
            '<data value="1234.56">1,234.56\u00a0₴</data>'] * 3
        with i18n.in_language("uk"):
            assert money(123456) == '<data value="1234.56">1\u00a0234,56\u00a0₴</data>'
        assert money(123456) == '<data value="1234.56">1,234.56\u00a0₴</data>'
    assert len(asked) == 2  # English once, Ukrainian once


@given(st.dates(), st.sampled_from(["uk", "ru", "en"]))
def test_a_day_is_what_babel_writes(value, language):
    """day() writes a date out itself (a report prints thirty): Babel's 'dd.MM.yyyy'."""
    assert formatting.day(value) == format_date(value, "dd.MM.yyyy", locale=language)


def test_an_instants_day_is_its_day_in_kyiv(app):
    with app.test_request_context():
        assert formatting.day(kyiv(2026, 11, 3, 0, 30)) == "03.11.2026"


def test_a_month_is_named_in_the_language_in_force(app):
    """Month names are kept per language: a text made in another language inside a request
    (an SMS in its cabinet's) names the month in that one, and the page's stays its own."""
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert formatting.month(date(2026, 3, 1)) == "March 2026"
        with in_language("uk"):
            assert formatting.month(date(2026, 3, 31)) == "березень 2026"
        with in_language("ru"):
            assert formatting.month(date(2026, 3, 15)) == "март 2026"
        assert formatting.month(date(2026, 3, 2)) == "March 2026"
        # An instant is named by its month in Kyiv: 22:30 UTC on 31 March is 1 April there.
        assert formatting.month(datetime(2026, 3, 31, 22, 30, tzinfo=timezone.utc)) == \
            "April 2026"


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31)),
       st.sampled_from(["uk", "en", "ru"]))
def test_a_month_is_named_as_babel_names_it(day, language):
    assert formatting._month_name(language, day.year, day.month) == format_date(
        day, "LLLL yyyy", locale=Locale.parse(language))


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])  # the app only reads
@given(st.datetimes(min_value=datetime(1000, 1, 1), max_value=datetime(9999, 12, 30),
                    timezones=st.just(timezone.utc)))
def test_a_record_is_timed_as_strftime_would_time_it(app, moment):
    """A report line's start, written out field by field, is strftime's '%d.%m.%Y
    %H:%M:%S' of the Kyiv time and the milliseconds after the reader's decimal mark."""
    with app.test_request_context(headers={"Accept-Language": "uk"}):
        reader = formatting.Reader()
    kyiv_time = moment.astimezone(KYIV)
    assert reader.moment(moment) == (
        f"{kyiv_time.strftime('%d.%m.%Y %H:%M:%S')},{kyiv_time.microsecond // 1000:03d}")


@given(st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30),
                    timezones=st.sampled_from([timezone.utc, KYIV, None])),
       st.sampled_from(["seconds", "milliseconds", "minutes", "auto"]))
def test_an_instant_for_machines_is_what_isoformat_writes(moment, timespec):
    """iso_moment writes the seconds and milliseconds out itself: isoformat's text of the
    Kyiv time, offset and all (LMT's seconds in 1880, summer time, either side of a
    change), of an instant in any zone or of a naive Kyiv wall time."""
    assert formatting.iso_moment(moment, timespec) == local(moment).isoformat(
        timespec=timespec)
