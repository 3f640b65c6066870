"""The terms of use and the privacy notice: Markdown files the operator edits in the
catalogue folder, one per language."""
from . import views


def init_app(app):
    app.register_blueprint(views.bp)
