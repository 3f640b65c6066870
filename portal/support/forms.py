"""The support forms: a chat message (also the staff console's answer), a score, a Home
Internet fault report, a visit's answer."""
from datetime import datetime

from flask_babel import gettext as _, lazy_gettext as _l
from wtforms import RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError

from rules import support as support_rules
from ..core.forms import BaseForm
from .service import PROBLEM_LABELS, refusal_message


class RulesField:
    """A field checked by a rules function; `.value` holds what the rule returned."""

    value = None
    rule = None

    def pre_validate(self, form):
        try:
            self.value = type(self).rule(self.data)
        except support_rules.SupportError as exc:
            raise ValidationError(refusal_message(exc)) from exc


class MessageField(RulesField, TextAreaField):
    rule = staticmethod(support_rules.clean_message)


class ScoreField(RulesField, RadioField):
    rule = staticmethod(support_rules.parse_score)


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


SCORE_CHOICES = [SelectChoice(str(score)) for score in range(support_rules.MIN_SCORE, support_rules.MAX_SCORE + 1)]


class MessageForm(BaseForm):
    text = MessageField(_l("Your message"),
                        render_kw={"rows": 3, "maxlength": support_rules.MAX_MESSAGE_LENGTH})


class RateForm(BaseForm):
    score = ScoreField(_l("Your score"), choices=SCORE_CHOICES, validate_choice=False)


class FaultForm(BaseForm):
    account = SelectField(_l("Home Internet account"), validate_choice=False)
    problem = RadioField(_l("What is wrong"), choices=[SelectChoice(code, label) for code, label in PROBLEM_LABELS.items()],
                         validate_choice=False)
    details = TextAreaField(_l("Details (required for \u201csomething else\u201d)"),
                            render_kw={"rows": 3, "maxlength": support_rules.MAX_FAULT_DETAILS})
    since = DayField(_l("Since when"))


class VisitAnswerForm(BaseForm):
    """Confirm or ask for another time: only the CSRF token travels."""


class AnotherTimeForm(VisitAnswerForm):
    """Asking for another time says which days and times suit (rules.support.check_visit_wish)."""

    wish = StringField(_l("Which days and times suit you?"),
                       render_kw={"maxlength": support_rules.MAX_VISIT_WISH})
