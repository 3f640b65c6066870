"""What the probes read: whether the database answers and holds the code's schema
(readiness), and the queues' sizes and oldest ages (for /metrics)."""
from concurrent.futures import ThreadPoolExecutor, TimeoutError as Timeout

from playhouse.migrations import Migration
from prometheus_client.core import GaugeMetricFamily

import models
from models import Payment, SmsMessage
from ..database.service import MIGRATIONS

READY_TIMEOUT = 1.0  # seconds: a database slower than this is not ready for pages
# The checks run in a thread of their own, so a database that never answers costs the
# probe its timeout, not a worker. One thread: while a check hangs, the next ones wait
# behind it and time out too, instead of piling up connections.
_checker = None


def _executor():
    global _checker
    if _checker is None:  # made in the worker process, after gunicorn's fork
        _checker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="readyz")
    return _checker


def not_ready_reason():
    """None when the database answers within READY_TIMEOUT and its schema is the code's;
    else why not, in one line that names no host, user or password."""
    timeout = READY_TIMEOUT
    future = _executor().submit(_check, models.db.obj)
    try:
        return future.result(timeout=timeout)
    except Timeout:
        return f"the database did not answer within {timeout:g} s"


def _check(database):
    try:
        with database.connection_context():
            database.execute_sql("SELECT 1")
            tables = set(database.get_tables())
            applied = set()
            if "schema_migration" in tables:
                applied = {name for (name,) in database.execute_sql(
                    "SELECT name FROM schema_migration")}
    except Exception as error:  # any failure to reach or read it: the node is not ready
        return f"the database is unreachable ({type(error).__name__})"
    missing = sorted({model._meta.table_name for model in models.all_models()} - tables)
    if missing:
        return f"the schema is not the code's: table {missing[0]} is missing (run init-db)"
    pending = sorted(_migration_names() - applied)
    if pending:
        return f"the schema is not the code's: migration {pending[0]} is not applied (run init-db)"
    return None


def _migration_names():
    # A database migrated further by a newer node is still ready for this code: the scripts
    # add, so a rolling upgrade keeps its old nodes serving.
    return {migration.name for migration in Migration.load_directory(str(MIGRATIONS))}


def queues(now):
    """The outbox's and the pending payments' sizes and oldest ages (seconds), as gauges."""
    found = []
    for name, what, query, created in (
            ("portal_sms_outbox", "SMS waiting for the gateway (queued, retries included)",
             SmsMessage.select().where(SmsMessage.state == SmsMessage.QUEUED),
             SmsMessage.created_at),
            ("portal_payments_pending", "card payments not yet ended (pending, capturing)",
             Payment.select().where(Payment.state.in_((Payment.PENDING, Payment.CAPTURING))),
             Payment.created_at)):
        oldest = query.select(created).order_by(created).first()
        found.append(GaugeMetricFamily(name, what, value=query.count()))
        found.append(GaugeMetricFamily(
            f"{name}_oldest_age_seconds", f"age of the oldest of the {what}; 0 when none",
            value=max((now - getattr(oldest, created.name)).total_seconds(), 0)
            if oldest else 0))
    return found


class Gauges:
    """Gauges read beforehand (a prometheus-client collector)."""

    def __init__(self, families):
        self.families = families

    def collect(self):
        return iter(self.families)
