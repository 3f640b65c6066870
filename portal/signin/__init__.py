"""Signing in by password or SMS code, registration with a temporary password, the first
sign-in's confirmation, the password change and signing out (the session itself and which
number it shows: portal/core/auth.py)."""
from . import views


def init_app(app):
    app.register_blueprint(views.bp)
