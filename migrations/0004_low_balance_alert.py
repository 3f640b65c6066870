"""The low-balance alert: a number's threshold (none: off) and whether its SMS has gone
since the balance was last at or above it."""
from peewee import BigIntegerField, BooleanField


def up(migrator, db):
    migrator.migrate(
        migrator.add_column("subscription", "alert_threshold", BigIntegerField(null=True)),
        migrator.add_column("subscription", "alert_sent", BooleanField(default=False)),
    )
