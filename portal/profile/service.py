"""What the profile area gives other areas and its pages share: the last valid day of a
number, the profile's own changes for the request archive, the signed-in sessions, and the
personal API tokens."""
import hashlib
import secrets

from flask_babel import gettext as _

from models import ApiToken, AuditEvent, AuthSession, UsageDay
from rules import profile as profile_rules, tokens as tokens_rules
from rules.expenses import CREDIT_TYPES
from rules.sessions import ENDED, check_session
from ..core import clock
from ..core.auth import IDLE, REMEMBERED


def revoke_all_tokens(profile_id):
    """Every API token of the cabinet revoked (in the caller's transaction): a token ends
    with the cabinet's sessions, at a password change and at "sign out everywhere", or it
    would keep reading the balances of a cabinet its owner took back. Returns how many."""
    return ApiToken.delete().where(ApiToken.profile == profile_id).execute()


def public_id(token):
    """A session's name on the page: never the token itself, which signs a browser in."""
    return hashlib.sha256(token.encode()).hexdigest()[:16]


def live_sessions(profile):
    """The profile's sessions that still sign a browser in, newest first."""
    now = clock.now()
    rows = AuthSession.open_for(profile).order_by(AuthSession.last_seen_at.desc())
    return [row for row in rows if check_session(
        REMEMBERED if row.remember else IDLE, row.created_at, row.last_seen_at, now) != ENDED]


def session_label(row):
    browser, system = profile_rules.describe_user_agent(row.user_agent)
    if browser and system:
        return _("%(browser)s on %(system)s", browser=browser, system=system)
    return browser or system or _("Unknown browser")


def valid_until(subscriptions):
    """{id: the last valid day (None: a contract, or closed)} of each of `subscriptions`
    (rules.profile.valid_until), in one query: /settings and the balance API show it."""
    # Every top-up counts: the operator's feed, a card, money received from another number.
    last_topups = UsageDay.last_days_of([sub.id for sub in subscriptions], CREDIT_TYPES)
    return {sub.id: profile_rules.valid_until(sub.payment, sub.status, sub.activated_on,
                                      last_topups.get(sub.id)) for sub in subscriptions}


ARCHIVED_EVENTS = ("number_added", "number_removed", "contact_changed", "nickname_changed",
                   "signed_out_everywhere")


def archive_title(event):
    return {"number_added": _("Add a number to the cabinet"),
            "number_removed": _("Remove a number from the cabinet"),
            "contact_changed": _("Change the contact number"),
            "nickname_changed": _("Change the nickname of a number"),
            "signed_out_everywhere": _("Sign out everywhere")}[event.event]


def archived_changes(profile_id, narrow):
    """The profile's own changes, done at once, for the request archive."""
    rows = narrow(AuditEvent.select().where((AuditEvent.profile == profile_id)
                                            & AuditEvent.event.in_(ARCHIVED_EVENTS)),
                  AuditEvent.at, AuditEvent.id)
    return [{"id": row.id, "number": row.subject if row.event != "contact_changed" else "",
             "title": archive_title(row), "state": "done", "state_label": _("Done"),
             "created_at": row.at, "finished_at": row.at} for row in rows]


# The demo cabinet's token (load_demo), printed in the README: the API takes a token
# with DEMO_PREFIX in demo mode only.
DEMO_TOKEN = tokens_rules.PREFIX + "demo_olena_widget_2026_training_only"


DEMO_PREFIX = tokens_rules.PREFIX + "demo_"


def new_token():
    """A token nobody can guess (32 random bytes), its prefix telling what it is."""
    return tokens_rules.PREFIX + secrets.token_urlsafe(32)
