"""Payments and expenses of the number on show: the report page, its CSV and PDF
(views.py), their labels (labels.py) and the PDF's layout (pdf.py), a contract number's
monthly invoices (invoice_views.py), and the dashboard's spending panel and the invoices'
figures (service.py)."""
from . import invoice_views, views  # noqa: F401 (invoice_views: its pages join views.bp)


def init_app(app):
    app.register_blueprint(views.bp)
