"""Monthly invoices of a contract number (/invoices): the closed months, each a PDF whose
figures are the expenses report's own for that month."""
from flask import Response, abort
from flask_login import login_required

from rules import invoices as invoice_rules
from ..core import clock
from ..core.auth import current_subscription
from ..core.web import render
from . import service
from .pdf import invoice_pdf
from .views import bp


@bp.get("/invoices")
@login_required
def invoices():
    subscription = current_subscription()
    return render("invoices.html", subscription=subscription,
                  months=service.invoice_months(subscription))


@bp.get("/invoices/<string(length=7):month>.pdf")
@login_required
def invoice(month):
    subscription = current_subscription()
    period = invoice_rules.parse_invoice_month(month, service.invoice_months(subscription))
    if period is None:
        abort(404)  # a prepaid number, a month not closed yet, or before the number began
    pdf = invoice_pdf(service.month_invoice(subscription, period), subscription, clock.now())
    number = subscription.number.lstrip("+")
    response = Response(bytes(pdf), mimetype="application/pdf")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="invoice-{number}-{period.month}.pdf"')
    return response
