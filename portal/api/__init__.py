"""The read-only balance API for widgets and balance checkers, with a personal token
(views.py), described by openapi.json."""
from . import views


def init_app(app):
    app.register_blueprint(views.bp)
