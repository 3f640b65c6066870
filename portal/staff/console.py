"""The staff console's queue (open chats, Home Internet faults, requests waiting for the
network), answering and closing chats, and doing a pending request before it is due."""
from flask import abort, current_app, request, url_for
from peewee import JOIN

import models
from models import Chat, ChatMessage, Fault, Profile, ServiceRequest, Subscription
from rules import services as services_rules, support as support_rules
from ..core import clock, sms
from ..core.forms import PollForm
from ..core.guards import checked_query
from ..core.web import CONFLICT, INVALID_FORM, or_404, render, see_other, submitted
from ..orders import service as orders_service
from ..support.forms import MessageForm
from ..support.service import POLL_SECONDS, fault_label, refusal_message
from . import words
from .access import audit, bp, current_staff, demo_code, staff_required
from .forms import ActionForm, LookupForm, StaffLoginForm

# The queue -------------------------------------------------------------------------------

def pending_requests():
    """Requests the network has not done yet, soonest due first."""
    rows = (ServiceRequest.select(ServiceRequest, Subscription.number).join(Subscription)
            .where(ServiceRequest.state == "pending")
            .order_by(ServiceRequest.due_at, ServiceRequest.id).limit(100))
    return [{"title": orders_service.describe_kind(row.kind), "subject": row.subscription.number,
             "state": orders_service.state_label(row.state), "at": row.created_at,
             "url": url_for("staff.service_request", request_id=row.id)} for row in rows]


def queue_context(staff):
    sent, total = sms.sent_today_by_portal(clock.now())
    return {"staff": staff, "chats": list(Chat.open_queue().limit(100)),
            "faults": list(Fault.open_queue().limit(100)), "other_requests": pending_requests(),
            "fault_state_labels": words.FAULT_STATES, "fault_label": fault_label,
            "lookup_form": LookupForm(formdata=None), "poll_seconds": POLL_SECONDS * 3,
            "sms_sent": sent, "sms_total": total}


@bp.get("/staff")
def console():
    staff = current_staff()
    if staff is None:
        return render("staff/login.html", form=StaffLoginForm(formdata=None), alert=None,
                      **demo_code())
    if not staff.can("view_queue"):
        abort(403)
    return render("staff/queue.html", **queue_context(staff))


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
    return or_404(chat)


def chat_context(staff, chat, form=None, alert=None):
    messages = list(chat.messages())
    return {"staff": staff, "chat": chat, "messages": messages,
            "last_id": messages[-1].id if messages else 0,
            "subscription": chat.subscription, "form": form or MessageForm(formdata=None),
            "action_form": ActionForm(formdata=None), "poll_seconds": POLL_SECONDS,
            "alert": alert}


@bp.get("/staff/chats/<int:chat_id>")
@staff_required("answer_chat")
def chat(staff, chat_id):
    chat = _chat_or_404(chat_id)
    poll = checked_query(PollForm(request.args))
    if request.htmx and poll.after.data is not None:
        if poll.state.data == chat.state and not chat.has_messages_after(poll.after.data):
            return current_app.response_class(status=204)
        return render("staff/chat.html", "conversation", **chat_context(staff, chat))
    audit(staff, "staff_chat_viewed", subject=f"chat:{chat.id}", profile=chat.profile_id)
    return render("staff/chat.html", **chat_context(staff, chat))


@bp.post("/staff/chats/<int:chat_id>/messages")
@staff_required("answer_chat")
def reply(staff, chat_id):
    chat = _chat_or_404(chat_id)
    form = MessageForm()
    if not form.validate():
        return render("staff/chat.html", "reply", INVALID_FORM,
                      **chat_context(staff, chat, form=form))
    if not support_rules.agent_can_reply(chat.state):
        return render("staff/chat.html", "reply", CONFLICT, **chat_context(
            staff, chat, form=form, alert=refusal_message(support_rules.SupportError("chat_not_open"))))
    now = clock.now()
    with models.locking_transaction():
        ChatMessage.create(chat=chat, staff=staff, from_staff=True, text=form.text.value,
                           sent_at=now)
        Chat.update(last_message_at=now, waiting=False).where(Chat.id == chat.id).execute()
        audit(staff, "staff_chat_reply", subject=f"chat:{chat.id}", profile=chat.profile_id)
    return see_other(url_for("staff.chat", chat_id=chat.id, _anchor="reply"))


@bp.post("/staff/chats/<int:chat_id>/close")
@staff_required("close_chat")
def close_chat(staff, chat_id):
    chat = _chat_or_404(chat_id)
    submitted(ActionForm())
    now = clock.now()
    with models.locking_transaction():
        chat = Chat.locked(chat.id)
        try:
            closed = support_rules.close_chat(chat.state)
        except support_rules.SupportError as refusal:
            return render("staff/chat.html", "reply", CONFLICT, **chat_context(
                staff, _chat_or_404(chat_id), alert=refusal_message(refusal)))
        Chat.update(state=closed, closed_at=now, closed_by=staff, waiting=False).where(
            Chat.id == chat.id).execute()
        audit(staff, "staff_chat_closed", subject=f"chat:{chat.id}", profile=chat.profile_id)
    return see_other(url_for("staff.console"))


# Requests waiting for the network ---------------------------------------------------------

def _request_or_404(request_id):
    row = (ServiceRequest.select(ServiceRequest, Subscription).join(Subscription)
           .where(ServiceRequest.id == request_id).first())
    if row is None or row.kind not in services_rules.DEFERRED_KINDS:
        abort(404)
    return row


@bp.get("/staff/requests/<int:request_id>")
@staff_required("process_request")
def service_request(staff, request_id):
    row = _request_or_404(request_id)
    return render("staff/request.html", staff=staff, item=row,
                  title=orders_service.describe_kind(row.kind),
                  state=orders_service.state_label(row.state),
                  reason=orders_service.rejection_reason(row))


@bp.post("/staff/requests/<int:request_id>/process")
@staff_required("process_request")
def process_request(staff, request_id):
    """Do a pending request now, without waiting for its 30 minutes."""
    row = _request_or_404(request_id)
    submitted(ActionForm())
    state = orders_service.process(row.id, clock.now())
    audit(staff, "staff_request_processed", subject=f"request:{row.id}",
          profile=row.subscription.profile_id, details=state or "not pending")
    return see_other(url_for("staff.service_request", request_id=row.id))
