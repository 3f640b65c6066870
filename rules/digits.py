"""Figures of a fixed width as days, months, times and kopiyky are written: '00' to '99',
and '000' to '999' for milliseconds.

Looked up, not formatted: an int formatted with a spec ('02d') has its spec parsed anew at
every call (0.2 µs, twenty times a lookup), and a report page writes some five hundred
(its lines' days, times, durations and amounts)."""

TWO_DIGITS = tuple(f"{number:02d}" for number in range(100))
THREE_DIGITS = tuple(f"{number:03d}" for number in range(1000))
