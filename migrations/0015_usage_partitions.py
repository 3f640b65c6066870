"""The usage tables at an operator's scale (issue 26).

PostgreSQL: usage_record and usage_day, plain tables until now, become partitioned by month
(models/partitions.py `convert`): each set aside, made again partitioned with a partition
for every month its rows cover, its rows copied, the old one dropped; all in this
migration's one transaction, so a failure leaves the tables as they were. usage_record's id
becomes 64-bit on the way, and its key (subscription_id, started_at, id) now serves the
reports, so the two tables lose their separate subscription_id indexes (the keys start
with it). The copy rewrites every row: on a large table plan it for a quiet hour.

SQLite: the tables stay whole; only the two redundant indexes go."""
import models
from models import partitions


def up(migrator, db):
    if models.is_sqlite():
        db.execute_sql('DROP INDEX IF EXISTS "usage_record_subscription_id"')
        db.execute_sql('DROP INDEX IF EXISTS "usage_day_subscription_id"')
        return
    for model in partitions.PARTITIONED:
        if not partitions.is_partitioned(model):
            partitions.convert(model)
