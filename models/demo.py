"""Demo mode's one timeline."""
from datetime import timedelta

from peewee import BigIntegerField, IntegrityError

from .base import BaseModel, MomentField, db


class DemoTimeline(BaseModel):
    """PORTAL_NOW and how far it lies from the wall clock, fixed the first time any process
    meets that PORTAL_NOW: every worker, every restart and every command then share one
    "now", running on from it."""

    start = MomentField(primary_key=True)  # PORTAL_NOW
    offset_us = BigIntegerField()  # microseconds to add to the wall clock

    @classmethod
    def offset_for(cls, start, wall_now):
        row = cls.get_or_none(cls.start == start)
        if row is None:
            offset = start - wall_now
            try:
                with db.atomic():
                    row = cls.create(start=start, offset_us=offset // timedelta(microseconds=1))
            except IntegrityError:  # another process fixed it a moment ago
                row = cls.get(cls.start == start)
        return timedelta(microseconds=row.offset_us)
