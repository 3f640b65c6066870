"""Personal API tokens in the profile: one is made with a name and shown once, then listed
with when it was made and last used, until it is revoked. A token reads the cabinet's
balances through the balance API (portal.api) and opens no page; only its keyed hash is
kept (security.keyed_digest)."""
from flask import Blueprint, abort, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import login_required
from wtforms import StringField
from wtforms.validators import ValidationError

import models
from models import ApiToken
from rules import tokens as tokens_rules
from rules.profile import ProfileRefused
from ..core import clock, security
from ..core.auth import current_profile
from ..core.confirmation import ConfirmedField, ask_first, confirmed
from ..core.forms import BaseForm
from ..core.web import CONFLICT, INVALID_FORM, flashed_notice, render, see_other, submitted
from . import service
from .views import refusal_message as profile_refusal

bp = Blueprint("tokens", __name__)


MESSAGES = {
    "required": lambda e: _("Give the token a name, like “widget on my phone”."),
    "tokens_full": lambda e: _("A cabinet keeps at most %(limit)s tokens. Revoke one you no "
                               "longer use to make a new one.", limit=e.limit),
}


def refusal_message(refusal):
    if refusal.code in MESSAGES:
        return MESSAGES[refusal.code](refusal)
    return profile_refusal(refusal)


class RevokeForm(BaseForm):
    confirmed = ConfirmedField()


class TokenNameField(StringField):
    """A token's name (rules.tokens.clean_name); `.cleaned` holds it trimmed."""

    cleaned = None

    def pre_validate(self, form):
        try:
            self.cleaned = tokens_rules.clean_name(self.data)
        except ProfileRefused as refusal:
            raise ValidationError(refusal_message(refusal)) from refusal


class TokenForm(BaseForm):
    name = TokenNameField(_l("What is it for?"))


def _page(status=200, form=None, token=None, alert=None, notice=None):
    profile_id = current_profile().id
    return render("tokens.html", "tokens", status, form=form or TokenForm(formdata=None),
                  tokens=list(ApiToken.of(profile_id)), token=token, alert=alert,
                  notice=notice, limit=tokens_rules.MAX_TOKENS)


@bp.get("/profile/tokens")
@login_required
def page():
    return _page(notice=flashed_notice())


@bp.post("/profile/tokens")
@login_required
def create():
    """Shown in this answer only: the database keeps its keyed hash."""
    owner = current_profile()
    form = TokenForm()
    if not form.validate():
        return _page(INVALID_FORM, form)
    token = service.new_token()
    with models.locking_transaction():
        models.lock_name(f"api-tokens:{owner.id}")
        try:
            tokens_rules.check_new_token(ApiToken.select().where(ApiToken.profile == owner.id).count())
        except ProfileRefused as refusal:
            return _page(CONFLICT, form, alert=refusal_message(refusal))
        row = ApiToken.create(profile=owner.id, name=form.name.cleaned,
                              digest=security.keyed_digest(token), created_at=clock.now())
        security.audit("api_token_created", profile=owner, subject=row.name,
                       details=f"token {row.id}")
    return _page(201, token=token)


@bp.post("/profile/tokens/<int:token_id>/revoke")
@login_required
def revoke(token_id):
    owner = current_profile()
    form = submitted(RevokeForm())
    with models.locking_transaction():
        row = ApiToken.get_or_none((ApiToken.id == token_id) & (ApiToken.profile == owner.id))
        if row is None:
            abort(404)
        if not confirmed(form):
            return ask_first(form, _("Revoke the token “%(name)s”?", name=row.name),
                             _("Whatever uses it stops working at once; a revoked token "
                               "cannot be brought back, only a new one made."),
                             _("Yes, revoke"), url_for("tokens.page"))
        row.delete_instance()
        security.audit("api_token_revoked", profile=owner, subject=row.name,
                       details=f"token {row.id}")
    return see_other(url_for("tokens.page"), notice=_("The token is revoked."))
