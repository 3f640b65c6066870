"""Free SMS from the number on show to another subscriber of ours: the page with its live
count of characters and parts (views.py) and the sending (service.py)."""
from . import views


def init_app(app):
    app.register_blueprint(views.bp)
