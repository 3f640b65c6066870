"""Online help for subscribers: the chat with an agent and its rating, Home Internet fault
reports, and the technician visits the team offers for them."""
from datetime import datetime

from flask import Blueprint, current_app, request, url_for
from flask_babel import format_datetime, format_time, gettext as _, lazy_gettext as _l
from flask_login import current_user, login_required
from wtforms import RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError

import models
from models import Chat, ChatMessage, Fault, Subscription, Visit
from rules import support as rules
from . import clock, security
from .auth import current_subscription, own_subscriptions
from .forms import BaseForm, PollForm
from .guards import checked_query
from .web import CONFLICT, INVALID_FORM, TOO_MANY, or_404, render, see_other, submitted

bp = Blueprint("support", __name__)

POLL_SECONDS = 5  # how often an open chat asks for new messages when JavaScript is on


# Messages for the rules' refusals ---------------------------------------------------------

def refusal_message(error):
    """The user's-language sentence for a rules.SupportError."""
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
        "fault_open": lambda: _("A fault of this account is being handled already; see it "
                                "below."),
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


class RulesField:
    """A field checked by a rules function; `.value` holds what the rule returned."""

    value = None
    rule = None

    def pre_validate(self, form):
        try:
            self.value = type(self).rule(self.data)
        except rules.SupportError as exc:
            raise ValidationError(refusal_message(exc)) from exc


class MessageField(RulesField, TextAreaField):
    rule = staticmethod(rules.clean_message)


class ScoreField(RulesField, RadioField):
    rule = staticmethod(rules.parse_score)


class DayField(StringField):
    """A date typed as 25.11.2026 (old browsers show a text box) or sent by a date picker
    as 2026-11-25; `.value` holds the date or None when empty."""

    value = None
    FORMATS = ("%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y")

    def pre_validate(self, form):
        text = (self.data or "").strip()
        self.value = None
        if not text:
            return
        for pattern in self.FORMATS:
            try:
                self.value = datetime.strptime(text, pattern).date()
                return
            except ValueError:
                continue
        raise ValidationError(_("Type the date, like 25.11.2026."))


SCORE_CHOICES = [SelectChoice(str(score)) for score in range(rules.MIN_SCORE, rules.MAX_SCORE + 1)]

PROBLEM_LABELS = {
    "no_connection": _l("No internet at all"),
    "slow": _l("Internet is slow"),
    "drops": _l("The connection keeps dropping"),
    "equipment": _l("The router or cable is damaged"),
    "other": _l("Something else"),
}
FAULT_STATE_LABELS = {
    rules.FAULT_REPORTED: _l("Reported, waiting for a visit offer"),
    rules.FAULT_VISIT_OFFERED: _l("A visit is offered: confirm it or ask for another time"),
    rules.FAULT_ANOTHER_ASKED: _l("You asked for another time; a new offer is coming"),
    rules.FAULT_VISIT_CONFIRMED: _l("Visit confirmed"),
    rules.FAULT_RESOLVED: _l("Resolved"),
    rules.FAULT_REJECTED: _l("Closed without a visit"),
}


class MessageForm(BaseForm):
    text = MessageField(_l("Your message"),
                        render_kw={"rows": 3, "maxlength": rules.MAX_MESSAGE_LENGTH})


class RateForm(BaseForm):
    score = ScoreField(_l("Your score"), choices=SCORE_CHOICES, validate_choice=False)


class FaultForm(BaseForm):
    account = SelectField(_l("Home Internet account"), validate_choice=False)
    problem = RadioField(_l("What is wrong"), choices=[SelectChoice(code, label) for code, label in PROBLEM_LABELS.items()],
                         validate_choice=False)
    details = TextAreaField(_l("Details (required for \u201csomething else\u201d)"),
                            render_kw={"rows": 3, "maxlength": rules.MAX_FAULT_DETAILS})
    since = DayField(_l("Since when"))


class VisitAnswerForm(BaseForm):
    """Confirm or ask for another time: only the CSRF token travels."""


def fault_label(fault):
    return PROBLEM_LABELS.get(fault.problem, fault.problem)


def visit_time(start):
    return format_datetime(start, "EEEE, d MMMM, HH:mm")


# The chat --------------------------------------------------------------------------------

def _home_internet_accounts():
    return [subscription for subscription in own_subscriptions()
            if subscription.kind == "home_internet" and subscription.status != "closed"]


def chat_context(message_form=None, rate_form=None, alert=None, notice=None):
    chat = Chat.latest_for(current_user.id)
    messages = list(chat.messages()) if chat else []
    return {
        "chat": chat,
        "messages": messages,
        "last_id": messages[-1].id if messages else 0,
        "message_form": message_form or MessageForm(formdata=None),
        "rate_form": rate_form or RateForm(formdata=None),
        "poll_seconds": POLL_SECONDS,
        "alert": alert,
        "notice": notice,
    }


def support_context(**chat_parts):
    context = chat_context(**chat_parts)
    faults = list(Fault.of_profile(current_user.id).limit(10))
    context.update(
        faults=faults,
        fault_state_labels=FAULT_STATE_LABELS,
        fault_label=fault_label,
        can_report=bool(_home_internet_accounts()),
    )
    return context


def _unchanged_since(chat, poll):
    """What a poll already shows is current: the same chat, state and last message."""
    return (chat is not None and poll.chat.data == chat.id and poll.state.data == chat.state
            and not chat.has_messages_after(poll.after.data))


@bp.get("/support")
@login_required
def page():
    poll = checked_query(PollForm(request.args))
    if request.htmx and poll.after.data is not None:
        chat = Chat.latest_for(current_user.id)
        if _unchanged_since(chat, poll):
            return current_app.response_class(status=204)
        return render("support.html", "conversation", **chat_context())
    notice = {"sent": _("Message sent. An agent will answer here."),
              "rated": _("Thank you for your score!")}.get(request.args.get("done"))
    return render("support.html", **support_context(notice=notice))


def _chat_refused(status, **parts):
    return render("support.html", "chat", status, **support_context(**parts))


@bp.post("/support/messages")
@login_required
def send_message():
    form = MessageForm()
    if not form.validate():
        return _chat_refused(INVALID_FORM, message_form=form)
    now = clock.now()
    try:
        with models.locking_transaction():
            # The count and the new message in one step no other post of this cabinet can
            # interleave with, on any server.
            models.lock_name(f"chat:{current_user.id}")
            rules.check_message_pace(ChatMessage.sent_by_profile_since(
                current_user.id, now - rules.MESSAGE_WINDOW), now)
            _post_message(form.text.value, now)
    except rules.SupportError as refusal:
        return _chat_refused(TOO_MANY, message_form=form, alert=refusal_message(refusal))
    if request.htmx:
        return render("support.html", "chat", **support_context())
    return see_other(url_for("support.page", done="sent", _anchor="conversation"))


def _post_message(text, now):
    chat = Chat.latest_for(current_user.id)
    if chat is None or rules.starts_new_chat(chat.state):
        subscription = current_subscription()
        chat = Chat.create(profile=current_user.id, subscription=subscription,
                           opened_at=now, last_message_at=now)
        security.audit("chat_opened", profile=current_user.id,
                       actor=subscription.number if subscription else "",
                       subject=f"chat:{chat.id}")
    ChatMessage.create(chat=chat, text=text, sent_at=now)
    Chat.update(last_message_at=now, waiting=True).where(Chat.id == chat.id).execute()
    security.audit("chat_message", profile=current_user.id, subject=f"chat:{chat.id}")


@bp.post("/support/rate")
@login_required
def rate():
    form = RateForm()
    if not form.validate():
        return _chat_refused(INVALID_FORM, rate_form=form)
    now = clock.now()
    with models.locking_transaction():
        chat = Chat.latest_for(current_user.id)
        try:
            rules.rate_chat(chat.state if chat else None, form.score.value)
        except rules.SupportError as refusal:
            return _chat_refused(CONFLICT, alert=refusal_message(refusal))
        # Only a closed chat is rated: a second request racing this one changes nothing.
        updated = Chat.update(state=rules.CHAT_RATED, score=form.score.value, rated_at=now).where(
            (Chat.id == chat.id) & (Chat.state == rules.CHAT_CLOSED)).execute()
        if updated:
            security.audit("chat_rated", profile=current_user.id, subject=f"chat:{chat.id}",
                           details=f"score {form.score.value}")
    if request.htmx:
        return render("support.html", "chat",
                      **support_context(notice=_("Thank you for your score!")))
    return see_other(url_for("support.page", done="rated", _anchor="conversation"))


# Home Internet faults --------------------------------------------------------------------

def _fault_form_context(form, alert=None):
    accounts = _home_internet_accounts()
    form.account.choices = [SelectChoice(account.number) for account in accounts]
    selected = current_subscription()
    if not form.account.data and selected is not None and selected.kind == "home_internet":
        form.account.data = selected.number
    return {"form": form, "accounts": accounts, "alert": alert,
            "today": clock.today()}


@bp.get("/support/fault")
@login_required
def fault_page():
    return render("support_fault.html", **_fault_form_context(FaultForm(formdata=None)))


@bp.post("/support/fault")
@login_required
def report_fault():
    form = FaultForm()
    context = _fault_form_context(form)
    valid = form.validate()
    account = next((a for a in context["accounts"] if a.number == form.account.data), None)
    if account is None:
        form.account.errors.append(_("Choose one of your Home Internet accounts."))
        valid = False
    today = clock.today()
    report = None
    try:
        report = rules.check_fault_report(
            form.problem.data, form.details.data, form.since.value, today,
            account.activated_on if account else None)
    except rules.SupportErrors as refusals:
        for refusal in refusals.errors:
            field = getattr(form, refusal.field)
            if not field.errors:  # the field's own parse error says it already
                field.errors.append(refusal_message(refusal))
        valid = False
    if not valid:
        return render("support_fault.html", "fault_form", INVALID_FORM, **context)
    now = clock.now()
    with models.locking_transaction():
        # Read-check-write under the write lock, so a double click files one fault.
        account = Subscription.locked(account.id)
        refusal = rules.fault_refusal(account.kind, account.status, Fault.has_open(account))
        if refusal:
            context["alert"] = refusal_message(rules.SupportError(refusal))
            return render("support_fault.html", "fault_form", CONFLICT, **context)
        fault = Fault.create(subscription=account, problem=report.problem,
                             details=report.details, since=report.since,
                             created_at=now, updated_at=now)
        security.audit("fault_reported", profile=current_user.id, actor=account.number,
                       subject=f"fault:{fault.id}", details=report.problem)
    return see_other(url_for("support.fault", fault_id=fault.id))


def _own_fault(fault_id):
    """The fault if it is of an account of the signed-in profile; else 404, never a hint."""
    fault = (Fault.select(Fault, Subscription).join(Subscription)
             .where((Fault.id == fault_id) & Subscription.in_cabinet(current_user.id)).first())
    return or_404(fault)


def fault_context(fault, alert=None, notice=None):
    visits = list(fault.all_visits())
    return {"fault": fault, "visit": next((visit for visit in visits if visit.held), None),
            "visits": visits,
            "actions": rules.fault_actions(fault.state, rules.SUBSCRIBER),
            "state_label": FAULT_STATE_LABELS[fault.state], "problem": fault_label(fault),
            "visit_time": visit_time, "form": VisitAnswerForm(formdata=None),
            "alert": alert, "notice": notice}


@bp.get("/support/faults/<int:fault_id>")
@login_required
def fault(fault_id):
    fault = _own_fault(fault_id)
    notice = {"confirmed": _("Visit confirmed. The technician will call before coming."),
              "another": _("We will offer you another time soon.")}.get(request.args.get("done"))
    return render("support_visit.html", **fault_context(fault, notice=notice))


def _answer_visit(fault_id, action):
    fault = _own_fault(fault_id)
    submitted(VisitAnswerForm())
    now = clock.now()
    with models.locking_transaction():
        fault = Fault.locked(fault.id)
        visit = fault.current_visit()
        try:
            new_state = rules.next_fault_state(fault.state, action, rules.SUBSCRIBER)
            if visit is None:
                raise rules.SupportError("wrong_state")
            if action == "confirm":
                rules.check_confirmable(visit.starts_at, now)
        except rules.SupportError as refusal:
            return render("support_visit.html", "visit", CONFLICT,
                          **fault_context(fault, alert=refusal_message(refusal)))
        if action == "confirm":
            Visit.update(state="confirmed", answered_at=now).where(Visit.id == visit.id).execute()
        else:
            # Asking for another time frees the slot for someone else.
            Visit.update(state="declined", answered_at=now, held=None).where(
                Visit.id == visit.id).execute()
        Fault.update(state=new_state, updated_at=now).where(Fault.id == fault.id).execute()
        security.audit("visit_confirmed" if action == "confirm" else "visit_another_asked",
                       profile=current_user.id, actor=fault.subscription.number,
                       subject=f"fault:{fault.id}",
                       details=visit.starts_at.isoformat(timespec="minutes"))
    return see_other(url_for("support.fault", fault_id=fault.id,
                             done="confirmed" if action == "confirm" else "another"))


@bp.post("/support/faults/<int:fault_id>/confirm")
@login_required
def confirm_visit(fault_id):
    return _answer_visit(fault_id, "confirm")


@bp.post("/support/faults/<int:fault_id>/another")
@login_required
def ask_another(fault_id):
    return _answer_visit(fault_id, "ask_another")


def fault_requests(profile_id, narrow):
    """Home Internet faults in the request archive (portal.requests)."""
    items = []
    for fault in narrow(Fault.of_profile(profile_id).order_by(), Fault.created_at, Fault.id):
        state = rules.ARCHIVE_STATE[fault.state]
        items.append({"id": fault.id, "number": fault.subscription.number,
                      "title": _("Home Internet fault: %(problem)s", problem=fault_label(fault)),
                      "state": state, "state_label": FAULT_STATE_LABELS[fault.state],
                      "created_at": fault.created_at,
                      "finished_at": fault.updated_at if state != "pending" else None,
                      "url": url_for("support.fault", fault_id=fault.id)})
    return items


def init_app(app):
    app.register_blueprint(bp)
