"""The archive of requests, and the requests done some time later by the network: a
temporary SIM block and its end, pausing and resuming a number or a Home Internet account.

Every change a subscriber makes (services, tariffs, blocks, pauses) is a ServiceRequest.
Deferred ones wait in `pending` until `flask process-requests` does them, 30 minutes after
they were made (at once in demo mode). The archive also lists the profile's own changes
and its Home Internet faults."""
from flask import Blueprint, abort, current_app, request, url_for
from flask_babel import format_datetime, gettext as _
from flask_login import current_user, login_required

from models import ServiceRequest
from rules import services as services_rules, states as states_rules
from rules.expenses import format_cursor, parse_cursor
from ..core import clock, states
from ..core.auth import current_subscription, current_subscription_or_404
from ..core.forms import NumberForm
from ..core.web import CONFLICT, flashed_notice, render, see_other, submitted
from ..profile import service as profile_service
from ..support import service as support_service
from . import service

bp = Blueprint("requests", __name__)


# Messages ------------------------------------------------------------------------------------


# Processing ------------------------------------------------------------------------------


def request_deferred(kind):
    """Make a deferred request (SIM block or its end, a pause or a resume) for the number
    the form names; done at once in demo mode."""
    subscription = current_subscription_or_404(submitted(NumberForm()).number.data)
    now = clock.now()
    created, refusal = service.make_deferred(subscription.id, kind, now)
    if refusal:
        return archive_page(alert=service.refusal_message(refusal, kind, created),
                            status=CONFLICT)
    if current_app.config["DEMO"]:
        state = service.process(created.id, now)
        notice = (_("Your request is done.") if state == services_rules.DONE
                  else _("Your request could not be done."))
    else:
        notice = _("Your request is accepted. It will be done by %(time)s.",
                   time=format_datetime(created.due_at, "HH:mm"))
    return see_other(url_for("requests.archive"), notice=notice)


# The archive -------------------------------------------------------------------------------


# What the archive lists, in this order when two happened at the same moment: functions
# (profile id, narrow) -> list of dicts {"id", "number", "title", "state", "state_label",
# "created_at", "finished_at", "url"}, `state` one of pending/done/rejected, `finished_at`
# and `url` may be None; `narrow(query, moment field, id field)` cuts a query to one page.
ARCHIVE_SOURCES = (service.service_requests, profile_service.archived_changes,
                   support_service.fault_requests)


def archive_context(alert=None):
    subscription = current_subscription()
    cursor = None
    if request.args.get("older"):
        cursor = parse_cursor(request.args["older"], numbers=2)
        if cursor is None:
            abort(400)
    items = []
    for index, source in enumerate(ARCHIVE_SOURCES):
        items.extend({**item, "source": index}
                     for item in source(current_user.id, service.older_than(cursor, index)))
    items.sort(key=lambda item: (item["created_at"], item["source"], item["id"]), reverse=True)
    more = len(items) > service.ARCHIVE_PAGE
    items = items[:service.ARCHIVE_PAGE]
    last = items[-1] if more else None
    pending = ServiceRequest.pending_kinds(subscription) if subscription else []
    return {"subscription": subscription, "items": items, "pending": pending,
            "actions": request_actions(subscription) if subscription else [],
            "state_label": states.LABELS[subscription.state] if subscription else "",
            "alert": alert, "notice": flashed_notice(), "paged": cursor is not None,
            "older": format_cursor(last["created_at"], last["source"], last["id"])
            if last else None}


def ask_url(kind):
    return url_for("requests.ask", action=kind.replace("_", "-"))


def request_actions(subscription):
    """The requests the number's state allows now: (URL, label, hint)."""
    offered = [
        (states_rules.SIM_UNBLOCK, _("End the SIM card block"),
         _("The SIM card is blocked now. Once you ask, the number works again within "
           "30 minutes.")),
        (states_rules.SIM_BLOCK, _("Block the SIM card for a while"),
         _("If your phone is lost or stolen: calls, SMS and internet stop within 30 minutes. "
           "The number stays yours.")),
        (states_rules.RESUME, _("Resume the service"),
         _("The service is back within 30 minutes.")),
        (states_rules.PAUSE, _("Pause the service"),
         _("No calls, SMS or internet and no monthly fee while paused. Done within 30 "
           "minutes.") if subscription.is_mobile else
         _("No internet, no monthly fee and no bonuses while paused. Done within 30 "
           "minutes.")),
    ]
    return [(ask_url(action), label, hint) for action, label, hint in offered
            if states_rules.refusal(action, subscription.state) is None
            and (subscription.is_mobile or action not in (states_rules.SIM_BLOCK,
                                                          states_rules.SIM_UNBLOCK))]


def archive_page(alert=None, status=200):
    return render("requests.html", "actions", status=status, **archive_context(alert))


@bp.get("/requests")
@login_required
def archive():
    return archive_page()


@bp.post("/requests/sim-block", defaults={"action": "sim-block"})
@bp.post("/requests/sim-unblock", defaults={"action": "sim-unblock"})
@bp.post("/requests/pause", defaults={"action": "pause"})
@bp.post("/requests/resume", defaults={"action": "resume"})
@login_required
def ask(action):
    """A SIM block or its end, a pause or a resume: the URL's action names the request."""
    return request_deferred(action.replace("-", "_"))
