"""Moved bonuses pay for usage (issue 23): a usage record keeps the part of its amount paid
from bonuses, a day's totals sum it, and a moved lot keeps what of it was spent (that part
no longer lapses). Every existing row paid nothing from bonuses. An accrual keeps the fee
it came from and the days left out, for the bonus history (unknown for earlier ones).

usage_day has its column already when init-db has just created it (a database from before
migration 0001)."""
from peewee import BigIntegerField, IntegerField

COLUMNS = (
    ("usage_record", "bonus_amount", lambda: BigIntegerField(default=0)),
    ("usage_day", "bonus_amount", lambda: BigIntegerField(default=0)),
    ("bonus_lot", "spent", lambda: BigIntegerField(default=0)),
    ("bonus_accrual", "fee_paid", lambda: BigIntegerField(null=True)),
    ("bonus_accrual", "days_out", lambda: IntegerField(null=True)),
)


def up(migrator, db):
    missing = [(table, column, field()) for table, column, field in COLUMNS
               if column not in {found.name for found in db.get_columns(table)}]
    if missing:
        migrator.migrate(*(migrator.add_column(table, column, field)
                           for table, column, field in missing))
