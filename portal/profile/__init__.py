"""The profile and a number's settings: the profile page, its numbers and sessions
(views.py), the settings and device pages (settings_views.py), personal API tokens
(token_views.py), and what other areas ask of it (service.py: a number's last valid day,
the profile's changes for the request archive, the sessions, the tokens)."""
from . import settings_views, token_views, views  # noqa: F401 (settings_views: its pages join views.bp)


def init_app(app):
    app.register_blueprint(views.bp)  # with the pages of settings_views
    app.register_blueprint(token_views.bp)
