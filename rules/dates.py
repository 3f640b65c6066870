"""Calendar arithmetic the other rules share."""
import calendar
from datetime import date, datetime, time, timezone
from zoneinfo import ZoneInfo


def month_start(day):
    return day.replace(day=1)


def add_months(day, months):
    """The same day `months` later (or earlier), or the month's last day when it has no
    such day: 31 January + 1 month is 28 or 29 February."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


# Time: an instant is an aware datetime, kept and compared in UTC, so that "five minutes
# from now" lasts five minutes and records sort as they happened when the clocks go back in
# October. People read and live in Kyiv time: days, months, the hour on a page and in a
# feed are Kyiv wall time. A naive datetime anywhere stands for Kyiv wall time (the
# billing's feeds and the guide speak it); in the hour that repeats in October it means the
# first of the two (fold=0), and a wall time that the March change skips means the
# instant an hour later.
KYIV = ZoneInfo("Europe/Kyiv")


def instant(moment):
    """`moment` as an aware UTC datetime (a naive one read as Kyiv wall time)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=KYIV)
    return moment.astimezone(timezone.utc)


def local(moment):
    """`moment` as Kyiv wall time (aware, so it still compares as an instant)."""
    tzinfo = moment.tzinfo
    if tzinfo is KYIV:  # what astimezone would answer (itself), without parsing its arguments
        return moment
    if tzinfo is None:
        moment = instant(moment)  # through UTC: a skipped wall time becomes a real one
    return moment.astimezone(KYIV)  # from any zone at once


def local_day(moment):
    """The Kyiv calendar day of `moment`."""
    return local(moment).date()


def day_start(day):
    """The instant Kyiv's `day` begins (midnight); a day lasts 23 hours in March and 25 in
    October, so the next day's start is the only honest end of a day."""
    return on_day(day, time.min)


def on_day(day, wall_time):
    """The instant Kyiv's clocks show `wall_time` on `day` (a `datetime.time`)."""
    return instant(datetime.combine(day, wall_time))
