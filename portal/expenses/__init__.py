"""Payments and expenses of the number on show: the report page, its CSV and PDF
(views.py), their labels (labels.py) and the PDF's layout (pdf.py), and the dashboard's
spending panel (service.py)."""
from . import views


def init_app(app):
    app.register_blueprint(views.bp)
