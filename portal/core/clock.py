"""The one clock of the app. Nothing else reads the wall clock, so tests and demo copies
can say what "now" is. "Now" is an instant (an aware UTC datetime, rules.dates): it
compares, sorts and adds up the same on either side of a clock change. Days are Kyiv's:
`today()` is the Kyiv calendar day, and pages show Kyiv wall time (`rules.dates.local`).

Code running in a request or a command asks `clock.now()` and `clock.today()`; the clock
itself is the app's `CLOCK` setting (a test's ManualClock, demo mode's DemoClock)."""
from datetime import datetime, time, timedelta, timezone

import click
from flask import current_app

import models
from rules.dates import instant, local_day, on_day


# The app itself, not Flask's proxy of it (see portal.core.i18n.current_locale): a page
# asks the clock a few times.
def now():
    return current_app._get_current_object().config["CLOCK"].now()


def today():
    return current_app._get_current_object().config["CLOCK"].today()


def wall_now():
    return datetime.now(timezone.utc)


class SystemClock:
    def now(self):
        return wall_now()

    def today(self):
        return local_day(self.now())


class DemoClock(SystemClock):
    """Demo mode's PORTAL_NOW: starts at that moment and runs on from there, so codes still
    expire and lockouts still end while a class goes on. The distance from the wall clock
    is kept in the database (models.DemoTimeline), so every worker, restart and command
    shares one "now"."""

    def __init__(self, start):
        self.start = start
        self.offset = None

    def now(self):
        wall = wall_now()
        if self.offset is None:
            self.offset = models.DemoTimeline.offset_for(self.start, wall)
        return wall + self.offset


class ManualClock(SystemClock):
    """Stands still until moved: for tests. A naive start or moment is Kyiv wall time."""

    def __init__(self, start):
        self.current = instant(start)

    def now(self):
        return self.current

    def advance(self, **delta):
        self.current += timedelta(**delta)

    def set(self, moment):
        self.current = instant(moment)


def parse_now(text):
    """PORTAL_NOW: '2026-12-04T10:00' (Kyiv wall time unless it gives an offset) or a date
    alone (taken at Kyiv's noon)."""
    moment = datetime.fromisoformat(text.strip())
    if len(text.strip()) == 10:
        moment = moment.replace(hour=12)
    return instant(moment)


def command_clock(day):
    """(today, now) of a daily command run with `--date` (that day, 03:30 Kyiv time) or
    without."""
    if day is None:
        return today(), now()
    return day, on_day(day, time(3, 30))


DATE_OPTION = click.option("--date", "day", type=click.DateTime(formats=["%Y-%m-%d"]),
                           default=None, help="Act as on this day (YYYY-MM-DD); today by default.")
