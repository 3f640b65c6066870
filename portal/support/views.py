"""Online help for subscribers: the chat with an agent and its rating, Home Internet fault
reports, and the technician visits the team offers for them."""
from flask import Blueprint, current_app, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

import models
from models import Chat, ChatMessage, Fault, Subscription, Visit
from rules import support as support_rules
from ..core import clock, security
from ..core.auth import current_subscription, own_subscriptions
from ..core.formatting import moment
from ..core.forms import PollForm
from ..core.guards import checked_query
from ..core.web import (
    CONFLICT,
    INVALID_FORM,
    TOO_MANY,
    flashed_notice,
    or_404,
    render,
    see_other,
    submitted,
)
from .forms import AnotherTimeForm, FaultForm, MessageForm, RateForm, VisitAnswerForm
from .service import FAULT_STATE_LABELS, POLL_SECONDS, fault_label, refusal_message, visit_time

bp = Blueprint("support", __name__)


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
    return render("support.html", **support_context(notice=flashed_notice()))


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
            support_rules.check_message_pace(ChatMessage.sent_by_profile_since(
                current_user.id, now - support_rules.MESSAGE_WINDOW), now)
            _post_message(form.text.value, now)
    except support_rules.SupportError as refusal:
        return _chat_refused(TOO_MANY, message_form=form, alert=refusal_message(refusal))
    if request.htmx:
        return render("support.html", "chat", **support_context())
    return see_other(url_for("support.page", _anchor="conversation"),
                     notice=_("Message sent. An agent will answer here."))


def _post_message(text, now):
    chat = Chat.latest_for(current_user.id)
    if chat is None or support_rules.starts_new_chat(chat.state):
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
            support_rules.rate_chat(chat.state if chat else None, form.score.value)
        except support_rules.SupportError as refusal:
            return _chat_refused(CONFLICT, alert=refusal_message(refusal))
        # Only a closed chat is rated: a second request racing this one changes nothing.
        updated = Chat.update(state=support_rules.CHAT_RATED, score=form.score.value, rated_at=now).where(
            (Chat.id == chat.id) & (Chat.state == support_rules.CHAT_CLOSED)).execute()
        if updated:
            security.audit("chat_rated", profile=current_user.id, subject=f"chat:{chat.id}",
                           details=f"score {form.score.value}")
    if request.htmx:
        return render("support.html", "chat",
                      **support_context(notice=_("Thank you for your score!")))
    return see_other(url_for("support.page", _anchor="conversation"),
                     notice=_("Thank you for your score!"))


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
        report = support_rules.check_fault_report(
            form.problem.data, form.details.data, form.since.value, today,
            account.activated_on if account else None)
    except support_rules.SupportErrors as refusals:
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
        refusal = support_rules.fault_refusal(account.kind, account.status, Fault.has_open(account))
        if refusal:
            context["alert"] = refusal_message(support_rules.SupportError(refusal))
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


def fault_context(fault, alert=None, notice=None, another_form=None):
    visits = list(fault.all_visits())
    return {"fault": fault, "visit": next((visit for visit in visits if visit.held), None),
            "visits": visits,
            "actions": support_rules.fault_actions(fault.state, support_rules.SUBSCRIBER),
            "state_label": FAULT_STATE_LABELS[fault.state], "problem": fault_label(fault),
            "visit_time": visit_time, "form": VisitAnswerForm(formdata=None),
            "another_form": another_form or AnotherTimeForm(formdata=None),
            "alert": alert, "notice": notice}


@bp.get("/support/faults/<int:fault_id>")
@login_required
def fault(fault_id):
    fault = _own_fault(fault_id)
    return render("support_visit.html", **fault_context(fault, notice=flashed_notice()))


def _answer_visit(fault_id, action):
    fault = _own_fault(fault_id)
    form = submitted(AnotherTimeForm() if action == "ask_another" else VisitAnswerForm())
    now = clock.now()
    with models.locking_transaction():
        fault = Fault.locked(fault.id)
        visit = fault.current_visit()
        try:
            new_state = support_rules.next_fault_state(fault.state, action, support_rules.SUBSCRIBER)
            if visit is None:
                raise support_rules.SupportError("wrong_state")
            if action == "confirm":
                support_rules.check_confirmable(visit.starts_at, now)
        except support_rules.SupportError as refusal:
            return render("support_visit.html", "visit", CONFLICT,
                          **fault_context(fault, alert=refusal_message(refusal)))
        wish = ""
        if action == "ask_another":  # the state allows it: now what suits instead
            try:
                wish = support_rules.check_visit_wish(form.wish.data)
            except support_rules.SupportError as refusal:
                form.wish.errors = [refusal_message(refusal)]
                return render("support_visit.html", "visit", INVALID_FORM,
                              **fault_context(fault, another_form=form))
        if action == "confirm":
            Visit.update(state="confirmed", answered_at=now).where(Visit.id == visit.id).execute()
        else:
            # Asking for another time frees the slot for someone else.
            Visit.update(state="declined", answered_at=now, held=None, wish=wish).where(
                Visit.id == visit.id).execute()
        Fault.update(state=new_state, updated_at=now).where(Fault.id == fault.id).execute()
        security.audit("visit_confirmed" if action == "confirm" else "visit_another_asked",
                       profile=current_user.id, actor=fault.subscription.number,
                       subject=f"fault:{fault.id}",
                       details=moment(visit.starts_at, "%Y-%m-%dT%H:%M"))
    return see_other(url_for("support.fault", fault_id=fault.id), notice=_(
        "Visit confirmed. The technician will call before coming.") if action == "confirm"
        else _("We will offer you another time soon."))


@bp.post("/support/faults/<int:fault_id>/confirm")
@login_required
def confirm_visit(fault_id):
    return _answer_visit(fault_id, "confirm")


@bp.post("/support/faults/<int:fault_id>/another")
@login_required
def ask_another(fault_id):
    return _answer_visit(fault_id, "ask_another")


