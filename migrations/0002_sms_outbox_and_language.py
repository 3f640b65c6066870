"""The SMS outbox (a message is queued in the transaction of what it reports and sent after
the commit) and each cabinet's language (its pages and its SMS). Messages sent before are
recorded as sent."""
from peewee import BooleanField, CharField, DateTimeField, IntegerField


def up(migrator, db):
    migrator.migrate(
        migrator.add_column("profile", "language", CharField(max_length=2, default="uk")),
        migrator.add_column("sms_message", "kind", CharField(max_length=20, default="")),
        migrator.add_column("sms_message", "retriable", BooleanField(default=True)),
        migrator.add_column("sms_message", "state", CharField(max_length=10, default="sent")),
        migrator.add_column("sms_message", "attempts", IntegerField(default=1)),
        migrator.add_column("sms_message", "created_at", DateTimeField(null=True)),
        migrator.add_column("sms_message", "next_attempt_at", DateTimeField(null=True)),
        migrator.drop_not_null("sms_message", "sent_at"),
        migrator.drop_index("sms_message", "sms_message_to_sent_at"),
        migrator.drop_index("sms_message", "sms_message_sent_at"),
    )
    db.execute_sql("UPDATE sms_message SET created_at = sent_at")
    migrator.migrate(
        migrator.add_not_null("sms_message", "created_at"),
        migrator.add_index("sms_message", ("to", "created_at"), False),
        migrator.add_index("sms_message", ("created_at",), False),
        migrator.add_index("sms_message", ("state", "next_attempt_at"), False),
    )
