"""Instants and Kyiv wall time (rules.dates)."""
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from hypothesis import given, strategies as st

from rules.dates import KYIV, instant, local

ZONES = [timezone.utc, KYIV, ZoneInfo("America/New_York"), timezone(timedelta(hours=5, minutes=30))]
MOMENTS = st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2200, 1, 1))


@given(MOMENTS, st.sampled_from(ZONES), st.booleans())
def test_local_is_the_instant_read_in_kyiv(moment, zone, naive):
    """An aware moment goes to Kyiv at once; a naive one (Kyiv wall time) through UTC, so
    that a wall time the March change skips is the instant an hour later. Either way the
    same as taking the instant first."""
    if not naive:
        moment = moment.replace(tzinfo=zone)
    shown = local(moment)
    assert shown.tzinfo is KYIV
    # (== across zones is False for a time in October's repeated hour: PEP 495)
    assert shown.astimezone(timezone.utc) == instant(moment)
    assert shown.replace(tzinfo=None) == instant(moment).astimezone(KYIV).replace(tzinfo=None)
    assert shown.utcoffset() == instant(moment).astimezone(KYIV).utcoffset()
    assert shown.isoformat() == instant(moment).astimezone(KYIV).isoformat()
