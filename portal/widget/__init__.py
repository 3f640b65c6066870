"""The installable web app: its manifest and service worker, the offline page, and the
home-screen widget (/widget: balance and bonuses in large type, readable offline)."""
from . import views


def init_app(app):
    app.register_blueprint(views.bp)
