"""The console's words for states, in the staff member's language and from the staff's side
("the subscriber asked for another time", not the subscriber's own "you asked"): no page
of the console prints a state's code."""
from flask_babel import lazy_gettext as _l

from rules import states as states_rules, support as support_rules

SUBSCRIPTION_STATES = {
    states_rules.ACTIVE: _l("Active"),
    states_rules.SUSPENDED: _l("Paused by the subscriber"),
    states_rules.DEBT_BLOCKED: _l("Blocked for debt"),
    states_rules.SIM_BLOCKED: _l("SIM-blocked by the subscriber"),
    states_rules.CLOSED: _l("Closed"),
}
CHAT_STATES = {
    support_rules.CHAT_OPEN: _l("Open"),
    support_rules.CHAT_CLOSED: _l("Closed, not rated yet"),
    support_rules.CHAT_RATED: _l("Closed and rated"),
}
FAULT_STATES = {
    support_rules.FAULT_REPORTED: _l("Reported: offer a visit"),
    support_rules.FAULT_VISIT_OFFERED: _l("Visit offered, waiting for the subscriber"),
    support_rules.FAULT_ANOTHER_ASKED: _l("The subscriber asked for another time: offer one"),
    support_rules.FAULT_VISIT_CONFIRMED: _l("Visit confirmed by the subscriber"),
    support_rules.FAULT_RESOLVED: _l("Resolved"),
    support_rules.FAULT_REJECTED: _l("Closed without a visit"),
}
VISIT_STATES = {
    "offered": _l("Offered"),
    "confirmed": _l("Confirmed"),
    "declined": _l("Declined: another time asked for"),
    "done": _l("Done"),
    "cancelled": _l("Cancelled"),
}
