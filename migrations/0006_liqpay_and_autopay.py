"""Card payments with LiqPay and autopay (issue 20): a payment may ask to save its card and
may be an automatic top-up; reconciliation finds open payments by state and age. The new
tables (saved_card, autopay_rule) are made by init-db."""
from peewee import BooleanField, IntegerField


def up(migrator, db):
    migrator.migrate(
        migrator.add_column("payment", "save_card", BooleanField(default=False)),
        migrator.add_column("payment", "autopay_rule", IntegerField(null=True)),
        migrator.add_index("payment", ("state", "created_at"), False),
    )
