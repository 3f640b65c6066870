"""The staff console's forms."""
from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, IntegerField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from ..core.confirmation import ConfirmedField
from ..core.forms import BaseForm, UkrainianMobileField


class StaffLoginForm(BaseForm):
    login = StringField(_l("Staff login"), validators=[DataRequired(_l("Type your login.")),
                                                       Length(max=64)])
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Type your password.")),
                                                         Length(max=200)])
    code = StringField(_l("Code from the authenticator app"), validators=[
        DataRequired(_l("Type the 6-digit code your authenticator app shows.")),
        Length(max=10, message=_l("The code has 6 digits."))])


class ActionForm(BaseForm):
    """Close, resolve, reject, do now: only the CSRF token travels."""


class CloseForm(ActionForm):
    """Closing a fault without a visit asks first (core/confirmation.py)."""

    confirmed = ConfirmedField()


class OfferForm(ActionForm):
    slot = SelectField(_l("Visit time"), validate_choice=False)


class LookupForm(BaseForm):
    class Meta:
        csrf = False  # a GET search that changes nothing

    number = StringField(_l("Phone number or account"))


class AuditFilterForm(BaseForm):
    class Meta:
        csrf = False

    page = IntegerField(validators=[Optional(), NumberRange(min=-10**6, max=10**6)])
    actor = StringField()
    subject = StringField()


class RecoveryForm(BaseForm):
    """Restoring access by the secret question (recovery.py). The answer is typed into a
    password field: never shown on the agent's screen, never sent back in the page."""

    number = HiddenField()  # the looked-up number
    answer = PasswordField(_l("The answer the subscriber tells you"), validators=[
        DataRequired(_l("Type the answer the subscriber tells you.")), Length(max=100)])
    phone = UkrainianMobileField(_l("Send the temporary password to"))
