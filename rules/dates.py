"""Calendar arithmetic the other rules share."""
import calendar
from datetime import date


def month_start(day):
    return day.replace(day=1)


def add_months(day, months):
    """The same day `months` later (or earlier), or the month's last day when it has no
    such day: 31 January + 1 month is 28 or 29 February."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))
