"""Restoring a cabinet's access by its secret question, in the console: the subscriber on
the phone tells the agent the answer and the number they use now; the agent types both,
the portal checks the answer (throttled per cabinet) and only then sends a new temporary
password to that number, which becomes the cabinet's contact number. The agent sees the
question, never the answer: it is kept only as a hash, typed into a password field, never
sent back in a page, written to the log or kept."""
from flask import abort, url_for
from flask_babel import gettext as _

from models import Subscription
from rules.numbers import NumberError, parse_login
from ..core import security, sms
from ..core.formatting import phone as phone_text
from ..core.web import CONFLICT, INVALID_FORM, TOO_MANY, see_other
from ..signin import service as signin_service
from .access import audit, bp, staff_required
from .forms import LookupForm, RecoveryForm
from .lookup import lookup_page

# Fewer tries than a password: each is a call the agent takes, and the answer is short.
MAX_WRONG_ANSWERS = 5


@bp.post("/staff/recovery")
@staff_required("restore_access")
def restore_access(staff):
    form = RecoveryForm()
    try:
        subscription = Subscription.by_number(parse_login(form.number.data).number)
    except NumberError:
        subscription = None
    if subscription is None:
        abort(404)
    profile = subscription.profile

    def refused(status, alert=None):
        lookup_form = LookupForm(formdata=None, number=subscription.number)
        return lookup_page(staff, lookup_form, recovery_form=form, alert=alert, status=status,
                           audited=False)

    if not profile.secret_answer_hash:
        return refused(CONFLICT, _("This cabinet has no secret question yet: its first "
                                   "sign-in was never confirmed."))
    if not form.validate():
        return refused(INVALID_FORM)
    result = security.attempt(signin_service.secret_key(profile.id),
                              lambda: signin_service.answer_matches(profile, form.answer.data),
                              max_failures=MAX_WRONG_ANSWERS)
    if result.refused_unchecked:
        return refused(TOO_MANY, security.lockout_message(result.until))
    if not result.ok:
        audit(staff, "staff_secret_refused", subject=subscription.number, profile=profile)
        if result.until:
            return refused(TOO_MANY, security.lockout_message(result.until))
        form.answer.errors.append(_("The answer does not match. Ask the subscriber again; "
                                    "never tell them the answer or a hint."))
        return refused(INVALID_FORM)
    try:
        signin_service.send_temporary_password(profile, form.phone.parsed, "staff_password_sent",
                                               f"staff:{staff.login}", new_contact=True)
    except sms.NotSent as failure:
        return refused(failure.status, failure.message)
    return see_other(url_for("staff.lookup", number=subscription.number), notice=_(
        "The answer matches. A temporary password went by SMS to %(phone)s; it is now the "
        "cabinet's contact number.", phone=phone_text(form.phone.parsed)))
