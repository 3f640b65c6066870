"""Services and tariffs of the number on show: the lists and pages (views.py), connecting,
disconnecting and switching, each with its fee (service.py)."""
from . import tariff_views, views  # noqa: F401 (tariff_views: its page joins views.bp)


def init_app(app):
    app.register_blueprint(views.bp)
