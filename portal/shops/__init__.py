"""The operator's shops by city, from the catalogue; searchable in every language."""
from . import views


def init_app(app):
    app.register_blueprint(views.bp)
