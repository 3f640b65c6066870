"""Online help and the staff console: the chat with an agent, Home Internet fault reports,
technician visit slots, and what each staff role may do.

Pure rules: `today` and `now` (naive Kyiv local time, as the app's clock gives them) are
parameters. A refusal is a `SupportError` with a `code`, the `field` it concerns (or None for
the whole form) and the numbers a translated message needs, never a finished sentence.
"""
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from .dates import local, local_day, on_day


class SupportError(ValueError):
    def __init__(self, code, field=None, **params):
        super().__init__(code if field is None else f"{field}: {code}")
        self.code, self.field, self.params = code, field, params


class SupportErrors(ValueError):
    """Every problem of one form at once, so each field gets its own message."""

    def __init__(self, errors):
        super().__init__(", ".join(str(error) for error in errors))
        self.errors = list(errors)

    def by_field(self):
        return {error.field: error for error in reversed(self.errors)}


# --- The chat ---------------------------------------------------------------------------

CHAT_OPEN, CHAT_CLOSED, CHAT_RATED = "open", "closed", "rated"
CHAT_STATES = (CHAT_OPEN, CHAT_CLOSED, CHAT_RATED)
MAX_MESSAGE_LENGTH = 1000
MIN_SCORE, MAX_SCORE = 1, 5

# Control characters other than the line break have no place in a chat line.
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f]")


def clean_message(text, field="text"):
    """A chat line as typed -> the text stored: line breaks unified, blank lines at the ends
    trimmed. Empty, too long or holding control characters -> SupportError."""
    cleaned = (text or "").replace("\r\n", "\n").replace("\r", "\n").strip()
    if not cleaned:
        raise SupportError("required", field)
    if len(cleaned) > MAX_MESSAGE_LENGTH:
        raise SupportError("too_long", field, limit=MAX_MESSAGE_LENGTH, length=len(cleaned))
    if _CONTROL.search(cleaned):
        raise SupportError("control_characters", field)
    return cleaned


# A person types a few lines a minute; more than this is a script filling the agents' queue.
MAX_MESSAGES_PER_WINDOW = 20
MESSAGE_WINDOW = timedelta(minutes=10)


def check_message_pace(recent, now):
    """`recent`: when this profile's last messages were sent. Refuses a message that would
    make more than MAX_MESSAGES_PER_WINDOW within MESSAGE_WINDOW, saying when it may go."""
    inside = sorted(moment for moment in recent if now - moment < MESSAGE_WINDOW)
    if len(inside) >= MAX_MESSAGES_PER_WINDOW:
        oldest_that_counts = inside[-MAX_MESSAGES_PER_WINDOW]
        raise SupportError("too_fast", until=oldest_that_counts + MESSAGE_WINDOW)
    return now


def starts_new_chat(state):
    """A subscriber's message goes to their open chat; with none open (never had one, or the
    last one was closed by the agent) it opens a new one."""
    return state != CHAT_OPEN


def agent_can_reply(state):
    return state == CHAT_OPEN


def close_chat(state):
    """The agent ends the conversation; only then may the subscriber rate it."""
    if state != CHAT_OPEN:
        raise SupportError("chat_not_open", state=state)
    return CHAT_CLOSED


def parse_score(text, field="score"):
    """The rating as the form sends it: a whole number from 1 to 5."""
    cleaned = str(text if text is not None else "").strip()
    if not cleaned:
        raise SupportError("required", field)
    if not (cleaned.isascii() and cleaned.isdigit()) or not MIN_SCORE <= int(cleaned) <= MAX_SCORE:
        raise SupportError("score", field, low=MIN_SCORE, high=MAX_SCORE)
    return int(cleaned)


def rate_chat(state, score):
    """closed -> rated, once. An open chat is not over yet; a rated one keeps its first score."""
    if state == CHAT_OPEN:
        raise SupportError("chat_open")
    if state == CHAT_RATED:
        raise SupportError("already_rated")
    if state != CHAT_CLOSED:
        raise SupportError("chat_not_closed", state=state)
    if not isinstance(score, int) or not MIN_SCORE <= score <= MAX_SCORE:
        raise SupportError("score", "score", low=MIN_SCORE, high=MAX_SCORE)
    return CHAT_RATED


# --- Home Internet fault reports --------------------------------------------------------

FAULT_PROBLEMS = ("no_connection", "slow", "drops", "equipment", "other")
MAX_FAULT_DETAILS = 500


@dataclass(frozen=True)
class FaultReport:
    problem: str
    details: str
    since: date


def check_fault_report(problem, details, since, today, activated_on=None):
    """What is wrong (one of FAULT_PROBLEMS; details required for 'other'), and since when:
    a date not after `today` and not before the account was connected.
    -> FaultReport, or SupportErrors with every bad field."""
    errors = []
    problem = (problem or "").strip()
    details = (details or "").replace("\r\n", "\n").strip()
    if problem not in FAULT_PROBLEMS:
        errors.append(SupportError("choice" if problem else "required", "problem"))
    if len(details) > MAX_FAULT_DETAILS:
        errors.append(SupportError("too_long", "details", limit=MAX_FAULT_DETAILS,
                                   length=len(details)))
    elif _CONTROL.search(details):
        errors.append(SupportError("control_characters", "details"))
    elif problem == "other" and not details:
        errors.append(SupportError("required", "details"))
    if since is None:
        errors.append(SupportError("required", "since"))
    elif since > today:
        errors.append(SupportError("future", "since", today=today))
    elif activated_on is not None and since < activated_on:
        errors.append(SupportError("before_activation", "since", activated_on=activated_on))
    if errors:
        raise SupportErrors(errors)
    return FaultReport(problem, details, since)


def fault_refusal(kind, status, has_open_fault):
    """Why this subscription may not report a fault now, or None. Only a Home Internet
    account that is not closed, and one fault at a time, so a visit is never booked twice."""
    if kind != "home_internet":
        return "not_home_internet"
    if status == "closed":
        return "account_closed"
    if has_open_fault:
        return "fault_open"
    return None


# A fault request moves through these states. The team offers a slot; the subscriber confirms
# it or asks for another, which sends it back to the team for a new offer.
FAULT_REPORTED = "reported"
FAULT_VISIT_OFFERED = "visit_offered"
FAULT_ANOTHER_ASKED = "another_asked"
FAULT_VISIT_CONFIRMED = "visit_confirmed"
FAULT_RESOLVED = "resolved"
FAULT_REJECTED = "rejected"
FAULT_STATES = (FAULT_REPORTED, FAULT_VISIT_OFFERED, FAULT_ANOTHER_ASKED,
                FAULT_VISIT_CONFIRMED, FAULT_RESOLVED, FAULT_REJECTED)
FAULT_OPEN_STATES = FAULT_STATES[:4]

STAFF, SUBSCRIBER = "staff", "subscriber"

# action -> (who may take it, the states it starts from, the state it leads to)
FAULT_ACTIONS = {
    "offer": (STAFF, (FAULT_REPORTED, FAULT_ANOTHER_ASKED), FAULT_VISIT_OFFERED),
    "confirm": (SUBSCRIBER, (FAULT_VISIT_OFFERED,), FAULT_VISIT_CONFIRMED),
    "ask_another": (SUBSCRIBER, (FAULT_VISIT_OFFERED,), FAULT_ANOTHER_ASKED),
    "resolve": (STAFF, FAULT_OPEN_STATES, FAULT_RESOLVED),
    "reject": (STAFF, (FAULT_REPORTED, FAULT_VISIT_OFFERED, FAULT_ANOTHER_ASKED), FAULT_REJECTED),
}

# The request archive knows three states; a fault's finer state shows beside it.
ARCHIVE_STATE = {
    FAULT_REPORTED: "pending", FAULT_VISIT_OFFERED: "pending", FAULT_ANOTHER_ASKED: "pending",
    FAULT_VISIT_CONFIRMED: "pending", FAULT_RESOLVED: "done", FAULT_REJECTED: "rejected",
}


def next_fault_state(state, action, actor):
    """The state after `actor` ('staff' or 'subscriber') takes `action`, or SupportError."""
    if action not in FAULT_ACTIONS:
        raise SupportError("unknown_action", action=action)
    who, sources, target = FAULT_ACTIONS[action]
    if actor != who:
        raise SupportError("not_allowed", action=action, actor=actor)
    if state not in sources:
        raise SupportError("wrong_state", action=action, state=state)
    return target


def fault_actions(state, actor):
    """The actions `actor` may take on a fault in `state`, in a stable order for the page."""
    return [action for action, (who, sources, _) in FAULT_ACTIONS.items()
            if who == actor and state in sources]


# --- Technician visits ------------------------------------------------------------------

# A technician's day: eight one-hour visits from 9:00 to 18:00 with a lunch hour at 13:00,
# Monday to Saturday. One visit per slot, so a day never holds more than eight.
SLOT_STARTS = tuple(time(hour) for hour in (9, 10, 11, 12, 14, 15, 16, 17))
VISITS_PER_DAY = len(SLOT_STARTS)
WORKING_WEEKDAYS = frozenset(range(6))  # Monday (0) to Saturday (5)
MIN_LEAD = timedelta(hours=2)  # a technician cannot be sent sooner than this
OFFER_HORIZON_DAYS = 14  # offers go at most this many days ahead


def is_working_slot(start):
    """A visit starts exactly at one of the day's slots (Kyiv time), on a working day."""
    if not isinstance(start, datetime):
        return False
    wall = local(start)
    return wall.weekday() in WORKING_WEEKDAYS and wall.time().replace(tzinfo=None) in SLOT_STARTS


def day_slots(day):
    """The slot starts of one day (none on a day off): instants of Kyiv's slot times."""
    if day.weekday() not in WORKING_WEEKDAYS:
        return []
    return [on_day(day, slot) for slot in SLOT_STARTS]


def _visits_on(day, starts):
    return [start for start in starts if local_day(start) == day]


def check_visit_slot(start, now, technician_visits):
    """May a visit be offered at `start` to a technician whose held visits (offered or
    confirmed) start at `technician_visits`? Raises SupportError('slot' field) if not."""
    if not is_working_slot(start):
        raise SupportError("not_working_hours", "slot")
    if start < now + MIN_LEAD:
        raise SupportError("too_soon", "slot", earliest=now + MIN_LEAD)
    if local_day(start) > local_day(now) + timedelta(days=OFFER_HORIZON_DAYS):
        raise SupportError("too_far", "slot", days=OFFER_HORIZON_DAYS)
    visits = list(technician_visits)
    if start in visits:
        raise SupportError("slot_taken", "slot")
    if len(_visits_on(local_day(start), visits)) >= VISITS_PER_DAY:
        raise SupportError("day_full", "slot", limit=VISITS_PER_DAY)
    return start


def check_confirmable(start, now):
    """A subscriber confirms an offered slot only while it is still ahead."""
    if start <= now:
        raise SupportError("offer_expired", start=start)
    return start


def free_technicians(start, now, booked):
    """Technicians (keys of `booked`: technician -> held visit starts) free at `start`,
    the least busy that day first, then by key for a stable order."""
    free = []
    for technician, visits in booked.items():
        try:
            check_visit_slot(start, now, visits)
        except SupportError:
            continue
        free.append((len(_visits_on(local_day(start), visits)), technician))
    return [technician for _, technician in sorted(free, key=lambda pair: (pair[0], str(pair[1])))]


def free_slots(now, booked, days=OFFER_HORIZON_DAYS):
    """Every slot from `now` on (within `days`) at which some technician is free, in order."""
    slots = []
    for offset in range(days + 1):
        for start in day_slots(local_day(now) + timedelta(days=offset)):
            if free_technicians(start, now, booked):
                slots.append(start)
    return slots


def slots_to_offer(slots, declined):
    """`slots` in order, but the times the subscriber already declined last: the first
    choice an agent sees is never the time that did not suit."""
    declined = set(declined)
    return ([slot for slot in slots if slot not in declined]
            + [slot for slot in slots if slot in declined])


MAX_VISIT_WISH = 200


def check_visit_wish(text):
    """Which days and times suit, said when asking for another time: required, short, plain
    text. -> the text trimmed; SupportError on the field `wish`."""
    wish = " ".join((text or "").split()) if not _CONTROL.search(text or "") else None
    if wish is None:
        raise SupportError("control_characters", "wish")
    if not wish:
        raise SupportError("required", "wish")
    if len(wish) > MAX_VISIT_WISH:
        raise SupportError("too_long", "wish", limit=MAX_VISIT_WISH, length=len(wish))
    return wish


# --- Staff ------------------------------------------------------------------------------

AGENT, ADMIN = "agent", "admin"
ROLES = (AGENT, ADMIN)

AGENT_PERMISSIONS = frozenset({
    "view_queue", "answer_chat", "close_chat", "process_request", "offer_visit",
    "lookup_subscriber", "restore_access",
})
PERMISSIONS = {
    AGENT: AGENT_PERMISSIONS,
    ADMIN: AGENT_PERMISSIONS | {"read_audit", "unlock_staff"},
}

_STAFF_LOGIN = re.compile(r"^[a-z][a-z0-9._-]{2,31}$")


def can(role, permission):
    return permission in PERMISSIONS.get(role, ())


def check_staff_login(text):
    """Staff logins: 3-32 of a-z, digits, '.', '_', '-', starting with a letter, so one is
    never mistaken for a subscriber's number or account."""
    login = (text or "").strip().lower()
    if not login:
        raise SupportError("required", "login")
    if not _STAFF_LOGIN.match(login):
        raise SupportError("login_format", "login", low=3, high=32)
    return login
