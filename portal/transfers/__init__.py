"""Money sent from the number on show to another subscriber's number: the form, its
review step and the done page (views.py), and the transfer's checks and booking
(service.py)."""
from . import views


def init_app(app):
    app.register_blueprint(views.bp)
