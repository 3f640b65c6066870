"""The staff console's second factor: each staff user's TOTP secret (sealed) and the time
step of the last code taken. Existing staff have none until an admin runs create-staff for
them again (it prints the new secret)."""
from peewee import BigIntegerField, TextField


def up(migrator, db):
    migrator.migrate(
        migrator.add_column("staff_user", "totp_secret", TextField(null=True)),
        migrator.add_column("staff_user", "totp_last_step", BigIntegerField(null=True)),
    )
