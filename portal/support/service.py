"""What the support area says and shares: its refusals in the user's words, the labels of
faults and visits, and the faults listed in the request archive (used by its pages, the
staff console and the archive)."""
from flask import url_for
from flask_babel import format_datetime, format_time, gettext as _, lazy_gettext as _l

from models import Fault
from rules import support as support_rules

POLL_SECONDS = 5  # how often an open chat asks for new messages when JavaScript is on


def refusal_message(error):
    """The user's-language sentence for a support_rules.SupportError."""
    params = error.params
    by_field = {
        ("text", "required"): lambda: _("Type your message."),
        ("text", "too_long"): lambda: _("At most %(limit)s characters, you typed %(length)s.",
                                        **params),
        ("score", "required"): lambda: _("Choose a score from 1 to 5."),
        ("problem", "required"): lambda: _("Choose what is wrong."),
        ("problem", "choice"): lambda: _("Choose what is wrong."),
        ("details", "required"): lambda: _("Describe the problem in a few words."),
        ("details", "too_long"): lambda: _("At most %(limit)s characters, you typed %(length)s.",
                                           **params),
        ("since", "required"): lambda: _("Type the date, like 25.11.2026."),
        ("since", "future"): lambda: _("This date is still ahead. Type the day the problem began."),
        ("since", "before_activation"): lambda: _(
            "The account was connected on %(day)s; type a date from then on.",
            day=params["activated_on"].strftime("%d.%m.%Y")),
    }
    by_code = {
        "control_characters": lambda: _("Remove the special characters from the text."),
        "score": lambda: _("Choose a score from %(low)s to %(high)s.", **params),
        "chat_open": lambda: _("You can rate the conversation once the agent has closed it."),
        "already_rated": lambda: _("You have rated this conversation already. Thank you!"),
        "chat_not_closed": lambda: _("There is no finished conversation to rate."),
        "chat_not_open": lambda: _("This conversation is closed already."),
        "not_home_internet": lambda: _("Faults are reported for Home Internet accounts."),
        "account_closed": lambda: _("This account is closed."),
        "fault_open": lambda: _("A fault of this account is being handled already: follow "
                                "it on the Support page, under “Home Internet not "
                                "working?”."),
        "wrong_state": lambda: _("This request has moved on meanwhile; here is where it "
                                 "stands now."),
        "not_allowed": lambda: _("This step is not yours to take."),
        "offer_expired": lambda: _("The offered time has passed. Ask for another one."),
        "too_fast": lambda: _("You are writing faster than an agent can read. You can send "
                              "the next message at %(time)s.",
                              time=format_time(params["until"], "HH:mm")),
    }
    message = by_field.get((error.field, error.code)) or by_code.get(error.code)
    return message() if message else _("Please check this field.")


PROBLEM_LABELS = {
    "no_connection": _l("No internet at all"),
    "slow": _l("Internet is slow"),
    "drops": _l("The connection keeps dropping"),
    "equipment": _l("The router or cable is damaged"),
    "other": _l("Something else"),
}


FAULT_STATE_LABELS = {
    support_rules.FAULT_REPORTED: _l("Reported, waiting for a visit offer"),
    support_rules.FAULT_VISIT_OFFERED: _l("A visit is offered: confirm it or ask for another time"),
    support_rules.FAULT_ANOTHER_ASKED: _l("You asked for another time; a new offer is coming"),
    support_rules.FAULT_VISIT_CONFIRMED: _l("Visit confirmed"),
    support_rules.FAULT_RESOLVED: _l("Resolved"),
    support_rules.FAULT_REJECTED: _l("Closed without a visit"),
}


def fault_label(fault):
    return PROBLEM_LABELS.get(fault.problem, fault.problem)


def visit_time(start):
    return format_datetime(start, "EEEE, d MMMM, HH:mm")


def fault_requests(profile_id, narrow):
    """Home Internet faults in the request archive (portal.requests)."""
    items = []
    for fault in narrow(Fault.of_profile(profile_id).order_by(), Fault.created_at, Fault.id):
        state = support_rules.ARCHIVE_STATE[fault.state]
        items.append({"id": fault.id, "number": fault.subscription.number,
                      "title": _("Home Internet fault: %(problem)s", problem=fault_label(fault)),
                      "state": state, "state_label": FAULT_STATE_LABELS[fault.state],
                      "created_at": fault.created_at,
                      "finished_at": fault.updated_at if state != "pending" else None,
                      "url": url_for("support.fault", fault_id=fault.id)})
    return items
