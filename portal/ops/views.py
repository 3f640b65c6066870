"""The probes: `/healthz` (the process serves), `/readyz` (the database answers and holds the
code's schema), `/metrics` (Prometheus, behind a bearer token). None of them reads the
session or the request's database connection (web.bare), none is throttled, none says
anything secret."""
import hmac

from flask import Blueprint, Response, abort, current_app, request
from prometheus_client.core import GaugeMetricFamily

import models
from ..core import clock, metrics
from ..core.web import bare
from . import service

bp = Blueprint("ops", __name__)
PLAIN = "text/plain; charset=utf-8"


@bp.get("/healthz")
@bare
def healthz():
    return Response("ok\n", mimetype=PLAIN)


@bp.get("/readyz")
@bare
def readyz():
    reason = service.not_ready_reason()
    if reason:
        return Response(f"not ready: {reason}\n", status=503, mimetype=PLAIN)
    return Response("ready\n", mimetype=PLAIN)


@bp.get("/metrics")
@bare
def metrics_page():
    token = current_app.config["METRICS_TOKEN"]
    given = request.headers.get("Authorization", "").encode("utf-8", "replace")
    # 404 like any unknown address: a scanner learns nothing, not even that it exists.
    if not token or not hmac.compare_digest(given, f"Bearer {token}".encode()):
        abort(404)
    ready = service.not_ready_reason() is None
    gauges = [GaugeMetricFamily("portal_ready", "1 when /readyz answers 200 (the database "
                                "answers within 1 s and holds the code's schema)",
                                value=int(ready))]
    if ready:  # else the process's own counts still answer, without the queues
        with models.db.connection_context():
            gauges += service.queues(clock.now())
    return Response(metrics.exposition(service.Gauges(gauges)),
                    mimetype="text/plain; version=0.0.4; charset=utf-8")
