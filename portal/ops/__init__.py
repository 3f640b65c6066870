"""Running it like an operator: `GET /healthz` and `GET /readyz` for the load balancer,
`GET /metrics` for Prometheus (views.py), one JSON log line per request and per command run
(logs.py). Listed last in AREAS: it wraps every command the other areas registered."""
from . import logs, views


def init_app(app):
    app.register_blueprint(views.bp)
    logs.init_app(app)
