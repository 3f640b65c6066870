"""Moved bonuses pay for usage (issue 23): a usage record keeps the part of its amount paid
from bonuses, a day's totals sum it, and a moved lot keeps what of it was spent (that part
no longer lapses). Every existing row paid nothing from bonuses.

usage_day has the column already when init-db has just created it (a database from before
migration 0001)."""
from peewee import BigIntegerField

COLUMNS = (("usage_record", "bonus_amount"), ("usage_day", "bonus_amount"),
           ("bonus_lot", "spent"))


def up(migrator, db):
    missing = [(table, column) for table, column in COLUMNS
               if column not in {found.name for found in db.get_columns(table)}]
    if missing:
        migrator.migrate(*(migrator.add_column(table, column, BigIntegerField(default=0))
                           for table, column in missing))
