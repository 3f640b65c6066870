"""The dashboard (the balance, the state and its next step, and the panels other areas
give it) and the switcher of the cabinet's numbers and accounts."""
from . import views


def init_app(app):
    app.register_blueprint(views.bp)
