"""Form fields shared by every area: the sign-in number, passwords, money amounts."""
from flask import request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Form, HiddenField, IntegerField, PasswordField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from rules.amounts import AmountError, parse_uah
from rules.numbers import NumberError, parse_login, parse_mobile, parse_ukrainian_mobile
from rules.passwords import MAX_LENGTH, is_acceptable

NUMBER_MESSAGES = {
    "empty": _l("Enter a phone number or a Home Internet account number."),
    "invalid": _l("This is not a phone number. Type it like 097 123 45 67."),
    "foreign": _l("This number belongs to another operator. Our numbers start with "
                  "039, 067, 068, 077, 096, 097 or 098."),
}


class LoginField(StringField):
    """A mobile number in any common form or an 8-digit account; `.parsed` holds the Login.
    The other number fields differ in their `parse` and `messages`."""

    parse = staticmethod(parse_login)
    messages = NUMBER_MESSAGES
    parsed = None

    def pre_validate(self, form):
        try:
            self.parsed = self.parse(self.data)
        except NumberError as exc:
            raise ValidationError(self.messages[exc.code]) from exc


class MobileField(LoginField):
    """One of the operator's mobile numbers; `.parsed` holds '+380…'."""

    parse = staticmethod(parse_mobile)


class UkrainianMobileField(LoginField):
    """A Ukrainian mobile number of any network (a payer only receives a code on it);
    `.parsed` holds '+380…'."""

    parse = staticmethod(parse_ukrainian_mobile)
    messages = {**NUMBER_MESSAGES,
                "foreign": _l("Type a Ukrainian mobile number, like 050 123 45 67.")}


class AmountField(StringField):
    """Hryvnias with at most two decimals; `.kopiyky` holds the amount."""

    kopiyky = None

    def pre_validate(self, form):
        try:
            self.kopiyky = parse_uah(self.data)
        except AmountError as exc:
            raise ValidationError(_l("Type an amount in hryvnias, like 50 or 50.25.")) from exc


def sms_code_field():
    """The 6-digit code from an SMS (sign-in, adding a number, a top-up)."""
    return StringField(_l("Code from the SMS"), validators=[
        DataRequired(_l("Type the code from the SMS.")),
        Length(min=6, max=6, message=_l("The code has 6 digits."))])


def new_password_field(label):
    return PasswordField(label, validators=[
        DataRequired(_l("Type the new password.")),
        Length(max=MAX_LENGTH, message=_l("The password is too long.")),
    ])


def check_new_password(form):
    """The rules for `new_password` and its confirmation; errors go on the fields."""
    ok = True
    if form.new_password.data and not is_acceptable(form.new_password.data):
        form.new_password.errors.append(_l("The password does not meet the rules below."))
        ok = False
    if form.new_password.data != form.new_password_confirm.data:
        form.new_password_confirm.errors.append(_l("The two passwords differ."))
        ok = False
    return ok


class RecordIdField(HiddenField):
    """A hidden field naming a row by its id: `.record_id` holds it as an int, or None when the
    text is not an id the database can hold (ASCII digits only: "²".isdigit() is true,
    and int("²") fails); such a text does not validate."""

    @property
    def record_id(self):
        text = self.data or ""
        if text.isascii() and text.isdigit() and len(text) <= 18:
            return int(text)
        return None

    def pre_validate(self, form):
        if self.record_id is None:
            raise ValidationError("not a record id")


class PollForm(Form):
    """What a chat page polling for news (htmx, every few seconds) already shows: the last
    message's id and the chat's state, from the query string."""

    after = IntegerField(validators=[Optional(), NumberRange(min=0, max=2**62)])
    state = StringField()
    chat = IntegerField(validators=[Optional(), NumberRange(min=0, max=2**62)])


# A form built without formdata reads the posted fields (FlaskForm's own default would
# read the request's files or JSON too).
POSTED = object()


class BaseForm(FlaskForm):
    """The base of every form: Flask-WTF's CSRF field comes with it. It takes what was
    posted in its fields only: Flask-WTF would hand them the request's files or JSON too,
    which are not strings. `formdata=None` builds it empty (a page's first view)."""

    def __init__(self, formdata=POSTED, **kwargs):
        if formdata is POSTED:
            formdata = request.form if request.method == "POST" and request.form else None
        super().__init__(formdata=formdata, **kwargs)


class NumberForm(BaseForm):
    """An action's button on one number or account (a request, a disconnection): its hidden
    `number` names the page it was sent from, so another tab switching numbers cannot
    redirect the action."""

    number = HiddenField()
