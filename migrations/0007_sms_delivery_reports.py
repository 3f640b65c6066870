"""The gateway's delivery reports (Kannel's dlr-url, GET /sms/dlr) are kept on each outbox
message: how far it got (accepted by the SMS centre, buffered, delivered, undelivered) and
when the last report came. Messages sent before have no report."""
from peewee import CharField, DateTimeField


def up(migrator, db):
    migrator.migrate(
        migrator.add_column("sms_message", "delivery", CharField(max_length=12, default="")),
        migrator.add_column("sms_message", "delivery_at", DateTimeField(null=True)),
    )
