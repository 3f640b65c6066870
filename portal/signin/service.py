"""What the sign-in area gives other areas: the secret questions, checking a secret answer
(the caller throttles it per cabinet) and sending a new temporary password (the staff console uses both
to restore a cabinet's access by the secret question)."""
from flask_babel import format_datetime, gettext as _, lazy_gettext as _l
from wtforms.fields.choices import SelectChoice

from models import Profile
from rules.passwords import TEMPORARY_PASSWORD_LIFETIME, generate_temporary_password
from ..core import clock, security, sms

SECRET_QUESTIONS = [
    SelectChoice("mother", _l("Your mother's maiden name")),
    SelectChoice("pet", _l("The name of your first pet")),
    SelectChoice("school", _l("The number of your school")),
    SelectChoice("city", _l("The city you were born in")),
    SelectChoice("book", _l("Your favourite book")),
]
QUESTION_LABELS = {choice.value: choice.label for choice in SECRET_QUESTIONS}


def answer_hash(answer):
    """What is kept of a secret answer: its hash, of the answer as typed in any case."""
    return security.hash_password(_normalized(answer))


def _normalized(answer):
    return (answer or "").strip().lower()


def secret_key(profile_id):
    """The throttle of a cabinet's secret answer: apart from its password's and codes'."""
    return f"secret:{profile_id}"


def answer_matches(profile, answer):
    """The answer told is the cabinet's secret answer (in any case, spaces around it
    aside). Throttle it: security.attempt(secret_key(profile.id), ...)."""
    return security.verify_password(profile.secret_answer_hash, _normalized(answer))


def send_temporary_password(profile, phone, event, actor, new_contact=False):
    """A new temporary password for the cabinet, by SMS to `phone`; the audit's `event`
    names who asked. `new_contact`: `phone` becomes the cabinet's contact number in the
    same transaction (the staff's restore of access). Returns when it expires; raises
    sms.NotSent."""
    password = generate_temporary_password()
    expires = clock.now() + TEMPORARY_PASSWORD_LIFETIME

    def issue():
        changes = {"temporary_password_hash": security.hash_password(password),
                   "temporary_password_expires_at": expires}
        if new_contact:
            changes["contact_phone"] = phone
        Profile.update(changes).where(Profile.id == profile.id).execute()
        security.audit(event, profile=profile, actor=actor,
                       details=f"to {phone}" if new_contact else "")
        return password, None

    sms.send_secret(phone, "password", issue, lambda secret: _(
        "Your temporary password for the cabinet: %(password)s. It is valid until "
        "%(until)s. Never tell it to anyone.", password=secret,
        until=format_datetime(expires, "dd.MM HH:mm")),
        language_number=profile.sms_phone() if new_contact else None)
    return expires
