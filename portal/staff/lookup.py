"""Looking up a subscriber, and the audit log (admins)."""

from flask import request
from flask_babel import gettext as _, lazy_gettext as _l
from peewee import JOIN

from models import (
    AuditEvent,
    Chat,
    Credit,
    Fault,
    Profile,
    ServiceRequest,
    SmsMessage,
    Subscription,
    Tariff,
)
from rules.dates import add_months, day_start
from rules.numbers import NumberError, parse_login
from ..core import clock, sms
from ..core.guards import checked_query
from ..core.web import INVALID_FORM, flashed_notice, render
from ..credit import service as credit_service
from ..orders import service as orders_service
from ..signin import service as signin_service
from ..support.service import fault_label
from . import words
from .access import audit, bp, staff_required
from .forms import AuditFilterForm, LookupForm, RecoveryForm

AUDIT_PAGE = 50
CREDIT_MONTHS = 12  # the look-up lists the credits taken in this many months
RECENT_SMS = 20  # the look-up lists this many of the cabinet's newest SMS
# What each audit event code means, for the people reading the log (the code stays beside
# it: filters and scripts use it). tests/test_support.py checks every code has one.
EVENT_LABELS = {
    "login": _l("Signed in"),
    "login_failed": _l("Sign-in refused"),
    "lockout": _l("Sign-in paused after failed tries"),
    "logout": _l("Signed out"),
    "register": _l("Temporary password sent"),
    "welcome_sms": _l("Welcome SMS with a temporary password sent"),
    "password_set": _l("First sign-in confirmed, password set"),
    "password_changed": _l("Password changed"),
    "session_ended": _l("A session ended from the profile"),
    "signed_out_everywhere": _l("Signed out everywhere"),
    "number_add_asked": _l("Code sent to add a number"),
    "number_added": _l("Number added to the cabinet"),
    "number_removed": _l("Number removed from the cabinet"),
    "manager_removed": _l("Another cabinet stopped managing a number"),
    "contact_changed": _l("Contact number changed"),
    "nickname_changed": _l("Nickname of a number changed"),
    "puk_shown": _l("PUK code shown"),
    "api_token_created": _l("API token made"),
    "api_token_revoked": _l("API token revoked"),
    "chat_opened": _l("Chat opened"),
    "chat_message": _l("Chat message from the subscriber"),
    "chat_rated": _l("Chat rated"),
    "fault_reported": _l("Home Internet fault reported"),
    "visit_confirmed": _l("Technician's visit confirmed"),
    "staff_login": _l("Staff signed in"),
    "staff_login_failed": _l("Staff sign-in refused"),
    "staff_unlocked": _l("Staff sign-in wait lifted"),
    "staff_logout": _l("Staff signed out"),
    "staff_lookup": _l("Subscriber looked up"),
    "staff_chat_viewed": _l("Chat read by staff"),
    "staff_chat_reply": _l("Chat answered by staff"),
    "staff_chat_closed": _l("Chat closed by staff"),
    "staff_fault_viewed": _l("Fault read by staff"),
    "staff_visit_offered": _l("Technician's visit offered"),
    "staff_request_processed": _l("Request processed by staff"),
    "staff_audit_read": _l("Audit log read"),
    "credit_granted": _l("Self-service credit taken"),
    "credit_repaid": _l("Self-service credit repaid from money paid in"),
    "credit_settled": _l("Self-service credit charged after its last day"),
    "staff_secret_refused": _l("Secret answer refused (typed by staff)"),
    "staff_password_sent": _l("Secret answer matched: temporary password sent by staff"),
    "card_saved": _l("Card saved for automatic top-ups"),
    "card_not_saved": _l("Card not saved: the provider gave no token"),
    "payment_status_refused": _l("The payment provider refused a status request"),
    "card_removed": _l("Saved card removed, its automatic top-ups stopped"),
    "card_token_replayed": _l("A saved card's token from another cabinet refused"),
    "payment_status_unanswered": _l("The payment provider did not answer a status request"),
    "payment_conflict": _l("The payment provider contradicted a settled payment"),
    "liqpay_callback_refused": _l("A payment callback refused (bad signature or data)"),
}


def _named_number(form):
    """The text typed in the look-up form and the number it names, or None (the field's
    error added)."""
    form.validate()  # nothing to check but the number below; makes errors a list
    text = (form.number.data or "").strip()
    if not text:
        form.number.errors.append(_("Type a phone number or an account number."))
        return text, None
    try:
        return text, parse_login(text).number
    except NumberError:
        form.number.errors.append(_("This is not one of our numbers or accounts."))
        return text, None


def recent_sms(profile, numbers):
    """The newest SMS to the cabinet's phones (its mobile numbers and its contact phone),
    each with how far it got."""
    phones = {sub.number for sub in numbers if sub.is_mobile}
    if profile.contact_phone:
        phones.add(profile.contact_phone)
    return [(message, sms.delivery_label(message))
            for message in SmsMessage.recent_to(phones, RECENT_SMS)]


def cabinet_of(number, today):
    """Every number of the cabinet that holds `number`, and their credits of the last
    CREDIT_MONTHS (number, Credit; newest first), in one query: at most one credit a month
    each, and the page keeps within its query budget."""
    holder = Subscription.select(Subscription.profile).where(Subscription.number == number)
    since = day_start(add_months(today, -CREDIT_MONTHS))
    rows = (Subscription.select(Subscription, Tariff, Profile, Credit)
            .join(Tariff).switch(Subscription).join(Profile).switch(Subscription)
            .join(Credit, JOIN.LEFT_OUTER, attr="recent_credit",
                  on=(Credit.subscription == Subscription.id) & (Credit.granted_at >= since))
            .where(Subscription.profile.in_(holder))
            .order_by(Subscription.kind.desc(), Subscription.number, Credit.granted_at.desc()))
    numbers, credits = {}, []
    for row in rows:
        numbers.setdefault(row.id, row)
        if row.recent_credit is not None and row.recent_credit.id is not None:
            credits.append((row.number, row.recent_credit))
    credits.sort(key=lambda pair: pair[1].granted_at, reverse=True)
    return list(numbers.values()), credits


@bp.get("/staff/lookup")
@staff_required("lookup_subscriber")
def lookup(staff):
    form = LookupForm(request.args)
    if "number" not in request.args:  # the page opened, nothing asked yet
        return render("staff/lookup.html", staff=staff, lookup_form=form, subscription=None)
    return lookup_page(staff, form)


def lookup_page(staff, form, recovery_form=None, alert=None, status=200, audited=True):
    """The look-up of `form`'s number: its cabinet, or the field's refusal. `recovery_form`
    and `alert` are a refused restore of access (recovery.py), shown on the same page."""
    text, number = _named_number(form)
    numbers, credits = cabinet_of(number, clock.today()) if number else ([], [])
    if number and not numbers:
        form.number.errors.append(_("No subscriber has this number."))
    subscription = next((sub for sub in numbers if sub.number == number), None)
    if audited:
        audit(staff, "staff_lookup", subject=text[:80],
              profile=subscription.profile_id if subscription else None,
              details="found" if subscription else "not found")
    if subscription is None:
        return render("staff/lookup.html", status=INVALID_FORM if form.number.errors else 200,
                      staff=staff, lookup_form=form, subscription=None)
    profile = subscription.profile
    service_requests = (orders_service.with_catalogue(Subscription)
                        .where(Subscription.profile == profile)
                        .order_by(ServiceRequest.created_at.desc(), ServiceRequest.id.desc())
                        .limit(10))
    return render("staff/lookup.html", status=status, staff=staff, lookup_form=form,
                  subscription=subscription, profile=profile, numbers=numbers,
                  chats=list(Chat.select().where(Chat.profile == profile)
                             .order_by(Chat.opened_at.desc()).limit(10)),
                  faults=list(Fault.of_profile(profile).limit(10)),
                  service_requests=list(service_requests), describe_request=orders_service.describe,
                  credits=credits, credit_state_labels=credit_service.STATE_LABELS,
                  state_label=orders_service.state_label,
                  state_labels=words.SUBSCRIPTION_STATES, chat_state_labels=words.CHAT_STATES,
                  fault_state_labels=words.FAULT_STATES, fault_label=fault_label,
                  recovery_form=recovery_form or RecoveryForm(
                      formdata=None, number=subscription.number),
                  question_labels=signin_service.QUESTION_LABELS,
                  recovery_alert=alert, notice=flashed_notice())


@bp.get("/staff/lookup/sms")
@staff_required("lookup_subscriber")
def lookup_sms(staff):
    """The newest SMS of the cabinet holding a number, each with how far it got: a page of
    its own beside the look-up, which keeps within its query budget."""
    form = LookupForm(request.args)
    text, number = _named_number(form)
    subscription = (Subscription.select(Subscription, Profile).join(Profile)
                    .where(Subscription.number == number).first()) if number else None
    if number and subscription is None:
        form.number.errors.append(_("No subscriber has this number."))
    audit(staff, "staff_lookup", subject=text[:80],
          profile=subscription.profile_id if subscription else None,
          details="sms" if subscription else "sms: not found")
    if subscription is None:
        return render("staff/lookup.html", status=INVALID_FORM, staff=staff, lookup_form=form,
                      subscription=None)
    numbers = Subscription.select(Subscription.number, Subscription.kind).where(
        Subscription.profile == subscription.profile_id)
    return render("staff/lookup_sms.html", staff=staff, lookup_form=form,
                  subscription=subscription, profile=subscription.profile,
                  messages=recent_sms(subscription.profile, numbers))


@bp.get("/staff/audit")
@staff_required("read_audit")
def audit_log(staff):
    """Newest first, a page at a time; filtered by who acted and by what it was about
    (`fault:12`, `chat:3`, a number), so one case can be followed step by step."""
    filters = checked_query(AuditFilterForm(request.args))
    page = max(filters.page.data or 1, 1)
    actor = (filters.actor.data or "").strip()[:80]
    subject = (filters.subject.data or "").strip()[:80]
    query = AuditEvent.select().order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    if actor:
        query = query.where(AuditEvent.actor == actor)
    if subject:
        query = query.where(AuditEvent.subject == subject)
    events = list(query.offset((page - 1) * AUDIT_PAGE).limit(AUDIT_PAGE + 1))
    audit(staff, "staff_audit_read", details=f"page {page}" + (f", actor {actor}" if actor else "")
          + (f", subject {subject}" if subject else ""))
    return render("staff/audit.html", staff=staff, events=events[:AUDIT_PAGE],
                  event_labels=EVENT_LABELS,
                  has_next=len(events) > AUDIT_PAGE, page=page, actor=actor, subject=subject)
