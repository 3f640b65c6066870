"""The payer budget of card top-ups counts the payer's payments still waiting for their
code (rules.budget.check_open_top_ups): an index finds them by the paying phone. The
budgets' own tables (rate_event, held_notice, welcome_sms) are new: init-db makes them."""


def up(migrator, db):
    migrator.migrate(migrator.add_index("payment", ("payer_phone", "created_at"), False))
