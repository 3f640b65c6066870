"""A subscriber who asks a technician to come another time says which days and times suit
(Visit.wish); the agent sees it before offering the next time."""
from peewee import CharField


def up(migrator, db):
    migrator.migrate(
        migrator.add_column("visit", "wish", CharField(max_length=200, default="")),
    )
