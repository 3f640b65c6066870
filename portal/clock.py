"""The one clock of the app. Nothing else reads the wall clock, so tests and demo copies
can say what "now" is. Times are naive, in Kyiv local time, the time subscribers live in."""
from datetime import datetime, timedelta
import time
from zoneinfo import ZoneInfo

KYIV = ZoneInfo("Europe/Kyiv")


def kyiv_now():
    return datetime.now(KYIV).replace(tzinfo=None)


class SystemClock:
    def now(self):
        return kyiv_now()

    def today(self):
        return self.now().date()


class ShiftedClock(SystemClock):
    """Starts at a given moment and runs on from there (demo mode's PORTAL_NOW), so codes
    still expire and lockouts still end while a class goes on."""

    def __init__(self, start):
        self.start = start
        self.started = time.monotonic()

    def now(self):
        return self.start + timedelta(seconds=time.monotonic() - self.started)


class ManualClock(SystemClock):
    """Stands still until moved: for tests."""

    def __init__(self, start):
        self.current = start

    def now(self):
        return self.current

    def advance(self, **delta):
        self.current += timedelta(**delta)

    def set(self, moment):
        self.current = moment


def parse_now(text):
    """PORTAL_NOW: '2026-12-04T10:00' or a date alone (taken at noon)."""
    moment = datetime.fromisoformat(text.strip())
    if len(text.strip()) == 10:
        moment = moment.replace(hour=12)
    return moment.replace(tzinfo=None) if moment.tzinfo is None else (
        moment.astimezone(KYIV).replace(tzinfo=None))
