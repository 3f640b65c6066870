"""The staff console: its own sign-in, the queue of open chats and requests, answering
chats, offering technician visits, looking up subscribers, and the audit log.

Staff sessions live apart from subscribers': signing in here ends any subscriber session of
the browser and the other way round, a subscriber's session never opens a staff page, and no
staff page acts as a subscriber. Every staff step and look-up is written to the audit log.
"""
import secrets
from datetime import datetime, timedelta
from functools import wraps

import click
from flask.cli import with_appcontext
from flask import Blueprint, abort, current_app, g, redirect, request, session, url_for
from flask_babel import force_locale, format_time, gettext as _, lazy_gettext as _l
from flask_login import current_user, logout_user
from peewee import JOIN, IntegrityError, fn
from wtforms import PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

import models
from models import (AuditEvent, AuthSession, Chat, ChatMessage, Fault, Profile, ServiceRequest,
                    StaffSession, StaffUser, Subscription, Tariff, Technician, Visit)
from rules import services as services_rules, support as rules
from rules.numbers import NumberError, parse_login
from rules.passwords import check_password
from . import security
from .demo import DEMO_LOADERS
from .forms import BaseForm
from .guards import INT64_MAX, int_arg
from .sms import SmsError, send_sms
from .support import (FAULT_STATE_LABELS, MessageForm, POLL_SECONDS, fault_label,
                      refusal_message, visit_time)
from .web import INVALID_FORM, render, see_other

bp = Blueprint("staff", __name__)

# Other areas add their requests to the queue here: functions () -> list of
# {"title", "subject", "state", "at", "url"} for requests waiting for staff.
QUEUE_SOURCES = []

SESSION_KEY = "staff_session"
IDLE_TIMEOUT = timedelta(minutes=30)
SHIFT_LENGTH = timedelta(hours=12)  # a staff session ends after a shift, busy or not
SEEN_RESOLUTION = timedelta(minutes=1)
TOO_MANY = 429
CONFLICT = 409
GATEWAY_DOWN = 503
AUDIT_PAGE = 50
# What each audit event code means, for the people reading the log (the code stays beside
# it: filters and scripts use it). tests/test_support.py checks every code has one.
EVENT_LABELS = {
    "login": _l("Signed in"),
    "login_failed": _l("Sign-in refused"),
    "lockout": _l("Sign-in paused after failed tries"),
    "logout": _l("Signed out"),
    "register": _l("Temporary password sent"),
    "password_set": _l("First sign-in confirmed, password set"),
    "password_changed": _l("Password changed"),
    "session_ended": _l("A session ended from the profile"),
    "signed_out_everywhere": _l("Signed out everywhere"),
    "number_add_asked": _l("Code sent to add a number"),
    "number_added": _l("Number added to the cabinet"),
    "number_removed": _l("Number removed from the cabinet"),
    "contact_changed": _l("Contact number changed"),
    "nickname_changed": _l("Nickname of a number changed"),
    "puk_shown": _l("PUK code shown"),
    "chat_opened": _l("Chat opened"),
    "chat_message": _l("Chat message from the subscriber"),
    "chat_rated": _l("Chat rated"),
    "fault_reported": _l("Home Internet fault reported"),
    "visit_confirmed": _l("Technician's visit confirmed"),
    "staff_login": _l("Staff signed in"),
    "staff_login_failed": _l("Staff sign-in refused"),
    "staff_logout": _l("Staff signed out"),
    "staff_lookup": _l("Subscriber looked up"),
    "staff_chat_viewed": _l("Chat read by staff"),
    "staff_chat_reply": _l("Chat answered by staff"),
    "staff_chat_closed": _l("Chat closed by staff"),
    "staff_fault_viewed": _l("Fault read by staff"),
    "staff_visit_offered": _l("Technician's visit offered"),
    "staff_request_processed": _l("Request processed by staff"),
    "staff_audit_read": _l("Audit log read"),
}


def _now():
    return current_app.config["CLOCK"].now()


# The staff session -----------------------------------------------------------------------

def current_staff():
    """The signed-in staff user of this request, or None (loaded once per request)."""
    token = session.get(SESSION_KEY)
    cached = g.get("staff_session")
    # Keyed by the token, so a sign-in or sign-out never meets a stale answer.
    if cached is None or cached[0] != token:
        g.staff_session = (token, _load_session(token) if token else None)
    return g.staff_session[1]


def _load_session(token):
    row = (StaffSession.select(StaffSession, StaffUser).join(StaffUser)
           .where((StaffSession.token == token) & StaffSession.ended_at.is_null()).first())
    if row is None:
        return None
    now = _now()
    if now - row.last_seen_at > IDLE_TIMEOUT or now - row.created_at > SHIFT_LENGTH:
        StaffSession.update(ended_at=now).where(StaffSession.token == token).execute()
        return None
    if now - row.last_seen_at > SEEN_RESOLUTION:
        StaffSession.update(last_seen_at=now).where(StaffSession.token == token).execute()
    staff = row.staff
    staff.session_token = row.token
    return staff


def staff_required(permission):
    """A signed-in staff user holding `permission`; others go to the staff sign-in."""
    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            staff = current_staff()
            if staff is None:
                target = url_for("staff.console")
                if request.htmx:
                    response = current_app.response_class(status=401)
                    response.headers["HX-Redirect"] = target
                    return response
                return redirect(target, code=303)
            if not staff.can(permission):
                abort(403)
            return view(staff, *args, **kwargs)
        return wrapped
    return decorator


def audit(staff, event, subject="", profile=None, details=""):
    return security.audit(event, profile=profile, actor=f"staff:{staff.login}", subject=subject,
                          details=details)


# Forms -----------------------------------------------------------------------------------

class StaffLoginForm(BaseForm):
    login = StringField(_l("Staff login"), validators=[DataRequired(_l("Type your login.")),
                                                       Length(max=64)])
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Type your password.")),
                                                         Length(max=200)])


class LookupForm(BaseForm):
    class Meta:
        csrf = False  # a GET search that changes nothing

    number = StringField(_l("Phone number or account"))


class ReplyForm(MessageForm):
    pass


class ActionForm(BaseForm):
    """Close, resolve, reject: only the CSRF token travels."""


class OfferForm(BaseForm):
    slot = SelectField(_l("Visit time"), validate_choice=False)


# Sign-in ---------------------------------------------------------------------------------

def _login_key(login):
    return f"staff:{login}"


def _dummy_hash():
    """Checked against when the login is unknown, so the answer takes as long either way."""
    cached = current_app.extensions.get("staff_dummy_hash")
    if cached is None:
        cached = security.hash_password(secrets.token_urlsafe(16))
        current_app.extensions["staff_dummy_hash"] = cached
    return cached


def _lockout_message(until):
    return _("Too many attempts. You can try again at %(time)s.", time=format_time(until, "HH:mm"))


@bp.get("/staff")
def console():
    staff = current_staff()
    if staff is None:
        return render("staff/login.html", form=StaffLoginForm(formdata=None), alert=None)
    if not staff.can("view_queue"):
        abort(403)
    return render("staff/queue.html", **queue_context(staff))


@bp.post("/staff")
def sign_in():
    form = StaffLoginForm()
    if not form.validate():
        return render("staff/login.html", "login_form", INVALID_FORM, form=form, alert=None)
    login = form.login.data.strip().lower()
    key = _login_key(login)
    until = security.locked_until(key)
    if until:
        return render("staff/login.html", "login_form", TOO_MANY, form=form,
                      alert=_lockout_message(until))
    staff = StaffUser.get_or_none(StaffUser.login == login)
    if not security.verify_password(staff.password_hash if staff else _dummy_hash(),
                                    form.password.data) or staff is None:
        until = security.record_failure(key)
        security.audit("staff_login_failed", actor=f"staff:{login}"[:80])
        if until:
            return render("staff/login.html", "login_form", TOO_MANY, form=form,
                          alert=_lockout_message(until))
        form.password.errors.append(_("Wrong login or password."))
        return render("staff/login.html", "login_form", INVALID_FORM, form=form, alert=None)
    security.forget_failures(key)
    now = _now()
    # A new session: whatever this browser held ends here, a subscriber's cabinet included
    # (its server-side session too, so a "remember me" cookie cannot bring it back).
    if current_user.is_authenticated:
        AuthSession.update(ended_at=now).where(
            AuthSession.token == current_user.auth_session.token).execute()
    session.clear()
    logout_user()  # after clear(): it marks the remember-me cookie for deletion
    row = StaffSession.create(token=secrets.token_urlsafe(32), staff=staff, created_at=now,
                              last_seen_at=now, ip=security.client_ip())
    session[SESSION_KEY] = row.token
    audit(staff, "staff_login")
    return see_other(url_for("staff.console"))


@bp.post("/staff/logout")
def sign_out():
    staff = current_staff()
    if staff is not None:
        StaffSession.update(ended_at=_now()).where(
            StaffSession.token == staff.session_token).execute()
        audit(staff, "staff_logout")
    session.clear()
    return see_other(url_for("staff.console"))


# The queue -------------------------------------------------------------------------------

def queue_context(staff):
    chats = list(Chat.open_queue().limit(100))
    faults = list(Fault.open_queue().limit(100))
    other = [item for source in QUEUE_SOURCES for item in source()]
    other.sort(key=lambda item: item["at"])
    return {"staff": staff, "chats": chats, "faults": faults, "other_requests": other,
            "fault_state_labels": FAULT_STATE_LABELS, "fault_label": fault_label,
            "lookup_form": LookupForm(formdata=None), "poll_seconds": POLL_SECONDS * 3}


@bp.get("/staff/queue")
@staff_required("view_queue")
def queue(staff):
    """The queue alone, for the console's polling."""
    return render("staff/queue.html", "queue", **queue_context(staff))


# Chats -----------------------------------------------------------------------------------

def _chat_or_404(chat_id):
    chat = (Chat.select(Chat, Profile, Subscription).join(Profile).switch(Chat)
            .join(Subscription, JOIN.LEFT_OUTER, on=(Chat.subscription == Subscription.id))
            .where(Chat.id == chat_id).first())
    if chat is None:
        abort(404)
    return chat


def staff_chat_context(staff, chat, form=None, alert=None):
    messages = list(chat.messages())
    return {"staff": staff, "chat": chat, "messages": messages,
            "last_id": messages[-1].id if messages else 0,
            "subscription": chat.subscription, "form": form or ReplyForm(formdata=None),
            "action_form": ActionForm(formdata=None), "poll_seconds": POLL_SECONDS,
            "alert": alert}


@bp.get("/staff/chats/<int:chat_id>")
@staff_required("answer_chat")
def chat(staff, chat_id):
    chat = _chat_or_404(chat_id)
    after = int_arg("after")
    if after is not None and request.htmx:
        if request.args.get("state") == chat.state and not chat.has_messages_after(after):
            return current_app.response_class(status=204)
        return render("staff/chat.html", "conversation", **staff_chat_context(staff, chat))
    audit(staff, "staff_chat_viewed", subject=f"chat:{chat.id}", profile=chat.profile_id)
    return render("staff/chat.html", **staff_chat_context(staff, chat))


@bp.post("/staff/chats/<int:chat_id>/messages")
@staff_required("answer_chat")
def reply(staff, chat_id):
    chat = _chat_or_404(chat_id)
    form = ReplyForm()
    if not form.validate():
        return render("staff/chat.html", "reply", INVALID_FORM,
                      **staff_chat_context(staff, chat, form=form))
    if not rules.agent_can_reply(chat.state):
        return render("staff/chat.html", "reply", CONFLICT, **staff_chat_context(
            staff, chat, form=form, alert=refusal_message(rules.SupportError("chat_not_open"))))
    now = _now()
    with models.db.atomic():
        ChatMessage.create(chat=chat, staff=staff, from_staff=True, text=form.text.value,
                           sent_at=now)
        Chat.update(last_message_at=now, waiting=False).where(Chat.id == chat.id).execute()
        audit(staff, "staff_chat_reply", subject=f"chat:{chat.id}", profile=chat.profile_id)
    return see_other(url_for("staff.chat", chat_id=chat.id, _anchor="reply"))


@bp.post("/staff/chats/<int:chat_id>/close")
@staff_required("close_chat")
def close_chat(staff, chat_id):
    chat = _chat_or_404(chat_id)
    if not ActionForm().validate():
        abort(400)
    now = _now()
    with models.db.atomic():
        updated = Chat.update(state=rules.CHAT_CLOSED, closed_at=now, closed_by=staff,
                              waiting=False).where(
            (Chat.id == chat.id) & (Chat.state == rules.CHAT_OPEN)).execute()
        if not updated:
            return render("staff/chat.html", "reply", CONFLICT, **staff_chat_context(
                staff, chat, alert=refusal_message(rules.SupportError("chat_not_open"))))
        audit(staff, "staff_chat_closed", subject=f"chat:{chat.id}", profile=chat.profile_id)
    return see_other(url_for("staff.console"))


# Faults and visits -----------------------------------------------------------------------

def _fault_or_404(fault_id):
    fault = (Fault.select(Fault, Subscription).join(Subscription)
             .where(Fault.id == fault_id).first())
    if fault is None:
        abort(404)
    return fault


def _slot_choices(now):
    booked = Technician.booked(datetime.combine(now.date(), datetime.min.time()))
    return [SelectChoice(slot.isoformat(timespec="minutes"), visit_time(slot))
            for slot in rules.free_slots(now, booked)]


def contact_phone(profile_id):
    """Where the technician calls: the cabinet's first live mobile number, else its contact
    number (as Profile.sms_phone, in one query)."""
    first_mobile = (Subscription.select(Subscription.number)
                    .where((Subscription.profile == profile_id) & (Subscription.kind == "mobile")
                           & (Subscription.status != "closed"))
                    .order_by(Subscription.id).limit(1))
    return (Profile.select(fn.COALESCE(first_mobile, Profile.contact_phone))
            .where(Profile.id == profile_id).scalar())


def staff_fault_context(staff, fault, offer_form=None, alert=None):
    offer_form = offer_form or OfferForm(formdata=None)
    offer_form.slot.choices = _slot_choices(_now())
    visits = list(fault.all_visits())
    return {"staff": staff, "fault": fault, "subscription": fault.subscription,
            "visits": visits, "visit": next((visit for visit in visits if visit.held), None),
            "actions": rules.fault_actions(fault.state, rules.STAFF),
            "state_label": FAULT_STATE_LABELS[fault.state], "problem": fault_label(fault),
            "visit_time": visit_time, "offer_form": offer_form,
            "action_form": ActionForm(formdata=None), "alert": alert,
            "contact_phone": contact_phone(fault.subscription.profile_id)}


@bp.get("/staff/faults/<int:fault_id>")
@staff_required("process_request")
def fault(staff, fault_id):
    fault = _fault_or_404(fault_id)
    audit(staff, "staff_fault_viewed", subject=f"fault:{fault.id}",
          profile=fault.subscription.profile_id)
    return render("staff/fault.html", **staff_fault_context(staff, fault))


def _locked_fault(fault_id):
    query = Fault.select().where(Fault.id == fault_id)
    return (query if models.is_sqlite() else query.for_update()).get()


@bp.post("/staff/faults/<int:fault_id>/offer")
@staff_required("offer_visit")
def offer_visit(staff, fault_id):
    fault = _fault_or_404(fault_id)
    form = OfferForm()
    if not form.validate():
        abort(400)
    try:
        start = datetime.fromisoformat(form.slot.data or "")
    except ValueError:
        start = None
    if start is None:
        form.slot.errors.append(_("Choose a time from the list."))
        return render("staff/fault.html", "offer", INVALID_FORM,
                      **staff_fault_context(staff, fault, offer_form=form))
    now = _now()
    try:
        with models.locking_transaction():
            fault = _locked_fault(fault.id)
            new_state = rules.next_fault_state(fault.state, "offer", rules.STAFF)
            booked = Technician.booked(datetime.combine(start.date(), datetime.min.time()))
            rules.check_visit_slot(start, now, [])  # working hours, lead time, horizon
            technicians = rules.free_technicians(start, now, booked)
            if not technicians:
                raise rules.SupportError("slot_taken", "slot")
            Visit.create(fault=fault, technician=technicians[0], starts_at=start,
                         offered_by=staff, offered_at=now)
            Fault.update(state=new_state, updated_at=now).where(Fault.id == fault.id).execute()
            account = (Subscription.select(Subscription, Profile).join(Profile)
                       .where(Subscription.id == fault.subscription_id).get())
            audit(staff, "staff_visit_offered", subject=f"fault:{fault.id}",
                  profile=account.profile_id,
                  details=f"{start.isoformat(timespec='minutes')} technician {technicians[0]}")
            _tell_about_offer(account, start)
    except SmsError:
        return render("staff/fault.html", "offer", GATEWAY_DOWN, **staff_fault_context(
            staff, _fault_or_404(fault_id), offer_form=form,
            alert=_("The SMS to the subscriber could not be sent, so the time was not "
                    "offered. Please try again in a few minutes.")))
    except IntegrityError:
        # Another agent held this technician's slot a moment ago.
        form.slot.errors.append(staff_slot_message(rules.SupportError("slot_taken", "slot")))
        return render("staff/fault.html", "offer", CONFLICT,
                      **staff_fault_context(staff, _fault_or_404(fault_id), offer_form=form))
    except rules.SupportError as refusal:
        fault = _fault_or_404(fault_id)
        if refusal.field == "slot":
            form.slot.errors.append(staff_slot_message(refusal))
            return render("staff/fault.html", "offer", INVALID_FORM,
                          **staff_fault_context(staff, fault, offer_form=form))
        return render("staff/fault.html", "offer", CONFLICT, **staff_fault_context(
            staff, fault, alert=refusal_message(refusal)))
    return see_other(url_for("staff.fault", fault_id=fault.id))


def _tell_about_offer(account, start):
    """An SMS (in Ukrainian, the operator's language; no link, as we teach subscribers to
    trust none) saying a time is offered and where to answer."""
    phone = account.profile.sms_phone()
    if not phone:
        return
    with force_locale("uk"):
        send_sms(phone, _("Home Internet %(account)s: a technician can come on %(time)s. "
                          "Confirm this time or ask for another in your cabinet, under "
                          "Online help.", account=account.number, time=visit_time(start)))


def staff_slot_message(refusal):
    return {
        "not_working_hours": lambda: _("Visits start on the hour from 9:00 to 17:00 (not at "
                                       "13:00), Monday to Saturday."),
        "too_soon": lambda: _("Too soon: the earliest visit now is at %(time)s.",
                              time=visit_time(refusal.params["earliest"])),
        "too_far": lambda: _("Offer a time within %(days)s days.", **refusal.params),
        "slot_taken": lambda: _("No technician is free at this time any more. Choose another."),
        "day_full": lambda: _("This technician's day is full (%(limit)s visits).",
                              **refusal.params),
    }[refusal.code]()


def _close_fault(staff, fault_id, action):
    if not ActionForm().validate():
        abort(400)
    now = _now()
    try:
        with models.locking_transaction():
            fault = _locked_fault(_fault_or_404(fault_id).id)
            new_state = rules.next_fault_state(fault.state, action, rules.STAFF)
            visit = fault.current_visit()
            if visit is not None:
                if action == "resolve" and visit.state == "confirmed" and visit.starts_at <= now:
                    Visit.update(state="done").where(Visit.id == visit.id).execute()
                else:  # not needed any more: free the technician's slot
                    Visit.update(state="cancelled", held=None).where(Visit.id == visit.id).execute()
            Fault.update(state=new_state, updated_at=now).where(Fault.id == fault.id).execute()
            event = "staff_fault_resolved" if action == "resolve" else "staff_fault_rejected"
            audit(staff, event, subject=f"fault:{fault.id}",
                  profile=Subscription.get_by_id(fault.subscription_id).profile_id)
    except rules.SupportError as refusal:
        return render("staff/fault.html", "offer", CONFLICT, **staff_fault_context(
            staff, _fault_or_404(fault_id), alert=refusal_message(refusal)))
    return see_other(url_for("staff.fault", fault_id=fault_id))


@bp.post("/staff/faults/<int:fault_id>/resolve")
@staff_required("process_request")
def resolve_fault(staff, fault_id):
    return _close_fault(staff, fault_id, "resolve")


@bp.post("/staff/faults/<int:fault_id>/reject")
@staff_required("process_request")
def reject_fault(staff, fault_id):
    return _close_fault(staff, fault_id, "reject")


def describe_request(row):
    """A request of the archive in a line, for the look-up (service and tariff by code)."""
    from .requests import describe_kind  # requests imports this module for its queue hook
    if row.kind in services_rules.DEFERRED_KINDS:
        return describe_kind(row.kind)
    return {
        services_rules.SERVICE_CONNECT: _("Connect the service %(code)s", code=row.subject),
        services_rules.SERVICE_DISCONNECT: _("Disconnect the service %(code)s", code=row.subject),
        services_rules.TARIFF_SWITCH: _("Switch the tariff to %(code)s", code=row.subject),
    }.get(row.kind, row.kind)


# Looking up a subscriber -----------------------------------------------------------------

@bp.get("/staff/lookup")
@staff_required("lookup_subscriber")
def lookup(staff):
    form = LookupForm(request.args)
    form.validate()  # nothing to check but the number below; makes errors a list
    text = (form.number.data or "").strip()
    numbers = []
    if not text:
        form.number.errors.append(_("Type a phone number or an account number."))
    else:
        try:
            number = parse_login(text).number
        except NumberError:
            form.number.errors.append(_("This is not one of our numbers or accounts."))
        else:
            # Every number of the cabinet that holds this one, in one query.
            holder = Subscription.select(Subscription.profile).where(Subscription.number == number)
            numbers = list(Subscription.select(Subscription, Tariff, Profile)
                           .join(Tariff).switch(Subscription).join(Profile)
                           .where(Subscription.profile.in_(holder))
                           .order_by(Subscription.kind.desc(), Subscription.number))
            if not numbers:
                form.number.errors.append(_("No subscriber has this number."))
    subscription = next((sub for sub in numbers if sub.number == number), None) if numbers else None
    audit(staff, "staff_lookup", subject=text[:80],
          profile=subscription.profile_id if subscription else None,
          details="found" if subscription else "not found")
    if subscription is None:
        return render("staff/lookup.html", status=INVALID_FORM if form.number.errors else 200,
                      staff=staff, lookup_form=form, subscription=None)
    from . import requests as requests_area  # it imports this module for its queue hook
    profile = subscription.profile
    requests = (ServiceRequest.select(ServiceRequest, Subscription).join(Subscription)
                .where(Subscription.profile == profile)
                .order_by(ServiceRequest.created_at.desc(), ServiceRequest.id.desc()).limit(10))
    return render("staff/lookup.html", staff=staff, lookup_form=form, subscription=subscription,
                  profile=profile, numbers=numbers,
                  chats=list(Chat.select().where(Chat.profile == profile)
                             .order_by(Chat.opened_at.desc()).limit(10)),
                  faults=list(Fault.of_profile(profile).limit(10)),
                  service_requests=list(requests), describe_request=describe_request,
                  state_label=requests_area.state_label,
                  fault_state_labels=FAULT_STATE_LABELS, fault_label=fault_label)


# The audit log ---------------------------------------------------------------------------

@bp.get("/staff/audit")
@staff_required("read_audit")
def audit_log(staff):
    """Newest first, a page at a time; filtered by who acted and by what it was about
    (`fault:12`, `chat:3`, a number), so one case can be followed step by step."""
    page = max(int_arg("page", 1, high=INT64_MAX // AUDIT_PAGE), 1)
    actor = (request.args.get("actor") or "").strip()[:80]
    subject = (request.args.get("subject") or "").strip()[:80]
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


# The command line ------------------------------------------------------------------------

PASSWORD_RULE_TEXTS = {
    "length": "at least 6 characters",
    "max_length": "at most 128 characters",
    "kinds": "at least two kinds of characters (small letters, capitals, digits, others)",
    "repeats": "no character more than twice",
    "common": "not one of the most common passwords",
}


@click.command("create-staff")
@with_appcontext
@click.argument("login")
@click.option("--role", required=True, type=click.Choice(rules.ROLES),
              help="agent: chats, requests, look-ups; admin: also reads the audit log")
def create_staff_command(login, role):
    """Create a staff console user (or set a new password and role for one), asking for the
    password twice."""
    try:
        login = rules.check_staff_login(login)
    except rules.SupportError as exc:
        raise click.BadParameter("3 to 32 of a-z, 0-9, '.', '_', '-', starting with a letter",
                                 param_hint="LOGIN") from exc
    password = click.prompt("Password", hide_input=True, confirmation_prompt="Password again")
    unmet = [check.code for check in check_password(password) if not check.met]
    if unmet:
        raise click.ClickException("the password does not meet the rules: "
                                   + "; ".join(PASSWORD_RULE_TEXTS[code] for code in unmet))
    now = current_app.config["CLOCK"].now()
    with models.db.connection_context(), models.db.atomic():
        staff = StaffUser.get_or_none(StaffUser.login == login)
        if staff is None:
            StaffUser.create(login=login, role=role, password_hash=security.hash_password(password),
                             created_at=now, password_changed_at=now)
            event = "staff_created"
        else:
            StaffUser.update(role=role, password_hash=security.hash_password(password),
                             password_changed_at=now).where(StaffUser.id == staff.id).execute()
            StaffSession.update(ended_at=now).where((StaffSession.staff == staff)
                                                    & StaffSession.ended_at.is_null()).execute()
            event = "staff_updated"
        AuditEvent.create(at=now, event=event, actor="cli", subject=f"staff:{login}",
                          details=f"role {role}")
    done = "created" if event == "staff_created" else "updated"
    click.echo(f"Staff user {login} ({role}) {done}.")


@click.command("add-technician")
@with_appcontext
@click.argument("name")
def add_technician_command(name):
    """Add a Home Internet technician whose days the visit offers fill (8 visits a day)."""
    name = " ".join(name.split())
    if not 2 <= len(name) <= 100:
        raise click.BadParameter("from 2 to 100 characters", param_hint="NAME")
    with models.db.connection_context(), models.db.atomic():
        technician = Technician.create(name=name)
        AuditEvent.create(at=current_app.config["CLOCK"].now(), event="technician_added",
                          actor="cli", subject=f"technician:{technician.id}", details=name)
    click.echo(f"Technician {technician.id}: {name}.")


@click.command("technicians")
@with_appcontext
@click.option("--retire", type=int, metavar="ID",
              help="No new visits for this technician; the visits booked stay.")
def technicians_command(retire):
    """List the technicians with their visits booked from today on, or retire one."""
    now = current_app.config["CLOCK"].now()
    with models.db.connection_context():
        if retire is not None:
            updated = Technician.update(active=False).where(Technician.id == retire).execute()
            if not updated:
                raise click.ClickException(f"no technician {retire}")
            AuditEvent.create(at=now, event="technician_retired", actor="cli",
                              subject=f"technician:{retire}")
        booked = Technician.booked(datetime.combine(now.date(), datetime.min.time()))
        for technician in Technician.select().order_by(Technician.id):
            state = (f"{len(booked.get(technician.id, []))} visits ahead" if technician.active
                     else "retired")
            click.echo(f"{technician.id}\t{technician.name}\t{state}")


# Demo data -------------------------------------------------------------------------------

DEMO_TECHNICIANS = ("Петро Савчук", "Іван Мороз", "Оксана Руденко")
DEMO_STAFF = (("agent", rules.AGENT), ("admin", rules.ADMIN))


def load_demo_support(clock):
    """Technicians, an agent and an admin (the demo password), Олена's chat with an answer
    and her Home Internet fault with a visit offered, Тарас's closed chat waiting for his
    score. Safe to run again: each piece is made only when missing."""
    from .cli import DEMO_PASSWORD
    now = clock.now()
    for name in DEMO_TECHNICIANS:
        if not Technician.select().where(Technician.name == name).exists():
            Technician.create(name=name)
    for login, role in DEMO_STAFF:
        if StaffUser.get_or_none(StaffUser.login == login) is None:
            StaffUser.create(login=login, role=role, created_at=now, password_changed_at=now,
                             password_hash=security.hash_password(DEMO_PASSWORD))
    agent = StaffUser.get(StaffUser.login == "agent")
    olena = Subscription.by_number("+380671234567")
    if olena and not Chat.select().where(Chat.profile == olena.profile_id).exists():
        chat = Chat.create(profile=olena.profile_id, subscription=olena, opened_at=now,
                           last_message_at=now, waiting=False)
        ChatMessage.create(chat=chat, text="Добрий день! Чому в мене повільний інтернет удома?",
                           sent_at=now - timedelta(minutes=3))
        ChatMessage.create(chat=chat, staff=agent, from_staff=True, sent_at=now,
                           text="Добрий день! Перезавантажте, будь ласка, роутер. Якщо не "
                                "допоможе, повідомте про несправність: запропонуємо візит майстра.")
    account = Subscription.by_number("10000001")
    if account and not Fault.select().where(Fault.subscription == account).exists():
        fault = Fault.create(subscription=account, problem="drops",
                             since=now.date() - timedelta(days=2),
                             details="Увечері зникає звʼязок на кілька хвилин.",
                             state=rules.FAULT_VISIT_OFFERED, created_at=now, updated_at=now)
        booked = Technician.booked(datetime.combine(now.date(), datetime.min.time()))
        start = next(slot for slot in rules.free_slots(now, booked) if slot.date() > now.date())
        Visit.create(fault=fault, technician=rules.free_technicians(start, now, booked)[0],
                     starts_at=start, offered_by=agent, offered_at=now)
    taras = Subscription.by_number("+380672223344")
    if taras and not Chat.select().where(Chat.profile == taras.profile_id).exists():
        chat = Chat.create(profile=taras.profile_id, subscription=taras, opened_at=now,
                           last_message_at=now, waiting=False, state=rules.CHAT_CLOSED,
                           closed_at=now, closed_by=agent)
        ChatMessage.create(chat=chat, text="Як поновити Домашній інтернет після паузи?",
                           sent_at=now - timedelta(minutes=10))
        ChatMessage.create(chat=chat, staff=agent, from_staff=True, sent_at=now,
                           text="Замовте відновлення в розділі «Заявки», це займе до 30 хвилин.")


DEMO_LOADERS.append(load_demo_support)


def init_app(app):
    app.register_blueprint(bp)
    app.cli.add_command(create_staff_command)
    app.cli.add_command(add_technician_command)
    app.cli.add_command(technicians_command)
