"""What the portal counts for Prometheus (`GET /metrics`, portal/ops): requests, SMS,
payments, sign-ins and the SMS budget's refusals. Each count is one small call at the place
where the thing happens (`sms.send`, `topup.service`, the sign-in pages).

Under gunicorn each worker is a process of its own: with PROMETHEUS_MULTIPROC_DIR set
(deploy/gunicorn.conf.py sets it before the app is imported) prometheus-client keeps each
process's counts in a file of that folder and `/metrics` adds them up. Without it (tests,
`flask run`) the counts live in this process. The queues (the outbox, pending payments)
are not counted here: `/metrics` reads them from the database when it is asked."""
import os

from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
    multiprocess,
)

import models

# A `_created` twin of every series doubles the text and Prometheus reads a restart without it.
disable_created_metrics()
# A page takes milliseconds; a gateway or a payment provider may hold one for seconds.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)

REQUESTS = Histogram("portal_http_request_duration_seconds",
                     "Requests by route and status: how long each took (its _count is the "
                     "number of requests)", ["route", "method", "status"],
                     buckets=LATENCY_BUCKETS)
SMS = Counter("portal_sms", "SMS by kind ('' for notices) and outcome: queued (written to the "
              "outbox), sent (the gateway took it), failed (the gateway did not), refused "
              "(the code budget said no), held (a notice past its recipient's budget, left "
              "for the summary)", ["kind", "outcome"])
BUDGET_REFUSALS = Counter("portal_sms_budget_refusals", "SMS the budget refused, by kind and "
                          "by the limit reached (pace, open, number, address, stranger, "
                          "portal...)",
                          ["kind", "limit"])
PAYMENTS = Counter("portal_payments", "Card payments reaching a state (pending, capturing, "
                   "succeeded, cancelled, failed), by provider", ["provider", "state"])
LOGINS = Counter("portal_logins", "Sign-in attempts by way (password, sms, staff) and outcome "
                 "(ok, wrong, locked)", ["way", "outcome"])


def request_served(route, method, status, seconds):
    REQUESTS.labels(route, method, str(status)).observe(seconds)


def sms_queued(kind):
    SMS.labels(kind, "queued").inc()


def sms_held(kind):
    """A notice past its recipient's budget, held back for the summary SMS."""
    SMS.labels(kind, "held").inc()


def sms_refused(kind, limit):
    SMS.labels(kind, "refused").inc()
    BUDGET_REFUSALS.labels(kind, limit).inc()


def sms_handed_over(message_id, sent):
    """The gateway took (or did not take) an outbox message: counted by its kind."""
    kind = models.SmsMessage.select(models.SmsMessage.kind).where(
        models.SmsMessage.id == message_id).scalar() or ""
    SMS.labels(kind, "sent" if sent else "failed").inc()


def payment(provider, state):
    PAYMENTS.labels(provider, state).inc()


def login(way, attempt):
    """A sign-in attempt (security.Attempt) of `way`: ok, wrong, or locked (refused unchecked:
    the account waits after too many failures)."""
    outcome = "ok" if attempt.ok else "wrong" if attempt.checked else "locked"
    LOGINS.labels(way, outcome).inc()


def exposition(*collectors):
    """The text Prometheus reads: every process's counts, then `collectors` (read now)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    extra = CollectorRegistry()
    for collector in collectors:
        extra.register(collector)
    return generate_latest(registry) + generate_latest(extra)
