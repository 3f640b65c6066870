"""Services and tariffs of the number on show: the lists and pages (views.py), connecting,
disconnecting and switching, each with its fee (service.py)."""
from . import offers_views, tariff_views, views  # noqa: F401 (their pages join views.bp)


def init_app(app):
    app.register_blueprint(views.bp)
