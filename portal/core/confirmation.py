"""The confirmation step before an action the subscriber cannot take back alone or that
costs money (a disconnection, a SIM block, a pause, signing out everywhere, revoking a
token; staff closing a fault without a visit).

The action's form posts as before; without its `confirmed` field the view answers with
`ask_first`: a page (JavaScript off) whose form sends the same fields again with
`confirmed`, or, for htmx, the same block retargeted into the page's <dialog>
(static/confirm-dialog.js opens it). A double tap lands on the question, never on a
second action."""
from flask import request
from wtforms import HiddenField

from .forms import NumberForm
from .web import is_fragment_request, render

CONFIRMED = "yes"
DIALOG = "confirm-dialog"


class ConfirmedField(HiddenField):
    """`confirmed`: sent by the confirmation's own form only."""


class ConfirmNumberForm(NumberForm):
    """An action's button on one number that asks first."""

    confirmed = ConfirmedField()


def confirmed(form):
    return form.confirmed.data == CONFIRMED


def ask_first(form, title, message, yes, back, warning=None):
    """The question before the action `form` posted to this URL: `message` says what
    happens, `warning` what is lost, `yes` labels the button that does it, `back` is where
    Cancel goes."""
    resend = [field for field in form
              if field.name not in ("csrf_token", "confirmed") and field.data is not None]
    dialog = is_fragment_request()
    response = render("confirm.html", "confirmation", title=title, message=message,
                      warning=warning, yes=yes, back=back, action=request.path,
                      resend=resend, in_dialog=dialog, confirmed_value=CONFIRMED)
    if dialog:
        response.headers["HX-Retarget"] = "#" + DIALOG
        response.headers["HX-Reswap"] = "innerHTML"
    return response
