"""Days' totals of the usage records already there (init-db has just created the empty
usage_day table): the dashboard and the reports read their totals from it."""
from peewee import SqliteDatabase


def up(migrator, db):
    day = "date(started_at)" if isinstance(db, SqliteDatabase) else "started_at::date"
    db.execute_sql(
        "INSERT INTO usage_day (subscription_id, day, type, records, amount) "
        f"SELECT subscription_id, {day}, type, COUNT(*), SUM(amount) FROM usage_record "
        f"GROUP BY subscription_id, {day}, type")
