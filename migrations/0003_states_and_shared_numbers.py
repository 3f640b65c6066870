"""One state model: a number's temporary SIM block is kept on the subscription (it was read
from the requests' history); a service connection's review key makes a replay charge
once. (Numbers managed from another cabinet have a new table, made by init-db.)"""
from peewee import BooleanField, CharField


def up(migrator, db):
    migrator.migrate(
        migrator.add_column("subscription", "sim_blocked", BooleanField(default=False)),
        migrator.add_column("service_request", "key", CharField(max_length=32, null=True)),
        migrator.add_index("service_request", ("key",), True),
    )
    # The SIM is blocked where the latest SIM request that was done is a block.
    db.execute_sql(
        "UPDATE subscription SET sim_blocked = (SELECT r.kind = 'sim_block' "
        "FROM service_request r WHERE r.subscription_id = subscription.id "
        "AND r.kind IN ('sim_block', 'sim_unblock') AND r.state = 'done' "
        "ORDER BY r.finished_at DESC, r.id DESC LIMIT 1) "
        "WHERE EXISTS (SELECT 1 FROM service_request r WHERE r.subscription_id = subscription.id "
        "AND r.kind IN ('sim_block', 'sim_unblock') AND r.state = 'done')")
