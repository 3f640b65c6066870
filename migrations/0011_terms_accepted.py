"""The day a cabinet accepted the terms of use (asked at the first sign-in): none yet for
the cabinets confirmed before."""
from peewee import DateTimeField


def up(migrator, db):
    migrator.migrate(
        migrator.add_column("profile", "terms_accepted_at", DateTimeField(null=True)),
    )
