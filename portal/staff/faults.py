"""Home Internet faults in the staff console: offering a technician's visit (with an SMS
to the subscriber), resolving or rejecting the fault."""
from datetime import datetime

from flask import url_for
from flask_babel import gettext as _
from peewee import IntegrityError, fn
from wtforms.fields.choices import SelectChoice

import models
from models import Fault, Profile, Subscription, Technician, Visit
from rules import support as support_rules
from rules.dates import day_start, instant, local_day
from ..core import clock, sms
from ..core.confirmation import ask_first, confirmed
from ..core.formatting import moment
from ..core.web import CONFLICT, INVALID_FORM, or_404, render, see_other, submitted
from ..support.service import fault_label, refusal_message, visit_time
from . import words
from .access import audit, bp, staff_required
from .forms import ActionForm, CloseForm, OfferForm

SLOT_FORMAT = "%Y-%m-%dT%H:%M"  # a slot in the offer form: Kyiv wall time (never the repeated hour)
SLOT_MESSAGES = {
    "not_working_hours": lambda r: _("Visits start on the hour from 9:00 to 17:00 (not at "
                                     "13:00), Monday to Saturday."),
    "too_soon": lambda r: _("Too soon: the earliest visit now is at %(time)s.",
                            time=visit_time(r.params["earliest"])),
    "too_far": lambda r: _("Offer a time within %(days)s days.", **r.params),
    "slot_taken": lambda r: _("No technician is free at this time any more. Choose another."),
    "day_full": lambda r: _("This technician's day is full (%(limit)s visits).", **r.params),
}


def _fault_or_404(fault_id):
    fault = (Fault.select(Fault, Subscription).join(Subscription)
             .where(Fault.id == fault_id).first())
    return or_404(fault)


def _slot_choices(now, declined=()):
    booked = Technician.booked(day_start(local_day(now)))
    slots = support_rules.slots_to_offer(support_rules.free_slots(now, booked), declined)
    return [SelectChoice(moment(slot, SLOT_FORMAT), visit_time(slot)) for slot in slots]


def contact_phone(profile_id):
    """Where the technician calls: the cabinet's first live mobile number, else its contact
    number (as Profile.sms_phone, in one query)."""
    first_mobile = (Subscription.select(Subscription.number)
                    .where((Subscription.profile == profile_id) & (Subscription.kind == "mobile")
                           & (Subscription.status != "closed"))
                    .order_by(Subscription.id).limit(1))
    return (Profile.select(fn.COALESCE(first_mobile, Profile.contact_phone))
            .where(Profile.id == profile_id).scalar())


def fault_context(staff, fault, offer_form=None, alert=None):
    offer_form = offer_form or OfferForm(formdata=None)
    visits = list(fault.all_visits())
    declined = [visit for visit in visits if visit.state == "declined"]
    offer_form.slot.choices = _slot_choices(clock.now(), [visit.starts_at for visit in declined])
    return {"staff": staff, "fault": fault, "subscription": fault.subscription,
            "visits": visits, "visit": next((visit for visit in visits if visit.held), None),
            "actions": support_rules.fault_actions(fault.state, support_rules.STAFF),
            "state_label": words.FAULT_STATES[fault.state], "problem": fault_label(fault),
            "visit_state_labels": words.VISIT_STATES,
            "visit_time": visit_time, "offer_form": offer_form,
            "action_form": ActionForm(formdata=None), "alert": alert,
            "wish": declined[-1].wish if declined else "",  # the latest answer
            "contact_phone": contact_phone(fault.subscription.profile_id)}


@bp.get("/staff/faults/<int:fault_id>")
@staff_required("process_request")
def fault(staff, fault_id):
    fault = _fault_or_404(fault_id)
    audit(staff, "staff_fault_viewed", subject=f"fault:{fault.id}",
          profile=fault.subscription.profile_id)
    return render("staff/fault.html", **fault_context(staff, fault))


@bp.post("/staff/faults/<int:fault_id>/offer")
@staff_required("offer_visit")
def offer_visit(staff, fault_id):
    fault = _fault_or_404(fault_id)
    form = submitted(OfferForm())
    try:
        start = instant(datetime.fromisoformat(form.slot.data or ""))
    except (ValueError, OverflowError):  # not a time, or one beyond the calendar in UTC
        form.slot.errors.append(_("Choose a time from the list."))
        return render("staff/fault.html", "offer", INVALID_FORM,
                      **fault_context(staff, fault, offer_form=form))
    now = clock.now()
    try:
        with models.locking_transaction():
            fault = Fault.locked(fault.id)
            new_state = support_rules.next_fault_state(fault.state, "offer", support_rules.STAFF)
            booked = Technician.booked(day_start(local_day(start)))
            support_rules.check_visit_slot(start, now, [])  # working hours, lead time, horizon
            technicians = support_rules.free_technicians(start, now, booked)
            if not technicians:
                raise support_rules.SupportError("slot_taken", "slot")
            Visit.create(fault=fault, technician=technicians[0], starts_at=start,
                         offered_by=staff, offered_at=now)
            Fault.update(state=new_state, updated_at=now).where(Fault.id == fault.id).execute()
            account = (Subscription.select(Subscription, Profile).join(Profile)
                       .where(Subscription.id == fault.subscription_id).get())
            audit(staff, "staff_visit_offered", subject=f"fault:{fault.id}",
                  profile=account.profile_id,
                  details=f"{moment(start, SLOT_FORMAT)} technician {technicians[0]}")
            _tell_about_offer(account, start)
    except IntegrityError:
        # Another agent held this technician's slot a moment ago.
        form.slot.errors.append(SLOT_MESSAGES["slot_taken"](None))
        return render("staff/fault.html", "offer", CONFLICT,
                      **fault_context(staff, _fault_or_404(fault_id), offer_form=form))
    except support_rules.SupportError as refusal:
        fault = _fault_or_404(fault_id)
        if refusal.field == "slot":
            form.slot.errors.append(SLOT_MESSAGES[refusal.code](refusal))
            return render("staff/fault.html", "offer", INVALID_FORM,
                          **fault_context(staff, fault, offer_form=form))
        return render("staff/fault.html", "offer", CONFLICT, **fault_context(
            staff, fault, alert=refusal_message(refusal)))
    return see_other(url_for("staff.fault", fault_id=fault.id))


def _tell_about_offer(account, start):
    """An SMS (no link: we teach subscribers to trust none) saying a time is offered and
    where to answer."""
    phone = account.profile.sms_phone()
    if not phone:
        return
    with sms.language_of(profile=account.profile):
        sms.send(phone, _("Home Internet %(account)s: a technician can come on %(time)s. "
                          "Confirm this time or ask for another in your cabinet, under "
                          "Online help.", account=account.number, time=visit_time(start)))


def _close_fault(staff, fault_id, action):
    form = submitted(CloseForm() if action == "reject" else ActionForm())
    if action == "reject" and not confirmed(form):
        fault = _fault_or_404(fault_id)
        return ask_first(form, _("Close fault %(id)s without a visit?", id=fault.id),
                         _("The subscriber is told the fault is closed and no technician "
                           "comes; a held visit time is freed."),
                         _("Yes, close without a visit"),
                         url_for("staff.fault", fault_id=fault.id))
    now = clock.now()
    try:
        with models.locking_transaction():
            fault = Fault.locked(_fault_or_404(fault_id).id)
            new_state = support_rules.next_fault_state(fault.state, action, support_rules.STAFF)
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
    except support_rules.SupportError as refusal:
        return render("staff/fault.html", "offer", CONFLICT, **fault_context(
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
