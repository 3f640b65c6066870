"""Card top-up of any of the operator's numbers or Home Internet accounts, signed in or
not: the card is authorised, a code goes by SMS to the paying phone (any Ukrainian mobile
number), and the right code captures the money and credits the target at once.

Only paid top-ups count towards a number's daily cap, and the cap is checked again at
confirmation under the target's row lock. A payment not confirmed within its code's ten
minutes lapses: cancelled and its hold released, when it is next looked at and by
`flask reconcile-payments` (a timer).

With LiqPay (`PORTAL_PAYMENT_PROVIDER=liqpay`) no card field is shown: the page answers a
form that takes the payer to LiqPay's checkout, LiqPay's signed callback
(`/payments/liqpay/callback`) says how it ended, and `/topup/result/<order_id>` shows it."""
import secrets
from urllib.parse import urlsplit

from flask import Blueprint, Response, abort, request, session, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import ValidationError

from models import Payment, Subscription
from rules import money as money_rules, states as states_rules
from rules.amounts import AmountError, parse_uah
from ..core import clock, security, sms, states, web
from ..core.auth import current_subscription
from ..core.formatting import CURRENCY, phone, typed, uah
from ..core.forms import AmountField, BaseForm, LoginField, UkrainianMobileField, sms_code_field
from ..core.i18n import current_locale
from ..core.web import CONFLICT, GATEWAY_DOWN, INVALID_FORM, render, see_other
from . import liqpay, service
from .acquiring import Declined, provider

bp = Blueprint("topup", __name__)
CHECKOUTS_KEPT = 5  # hosted checkouts a browser is shown as its own (result page)

CARD_MESSAGES = {
    ("card_number", "empty"): _l("Type the card number."),
    ("card_number", "chars"): _l("A card number has digits only."),
    ("card_number", "length"): _l("A card number has 13 to 19 digits."),
    ("card_number", "luhn"): _l("This card number has a typo: check the digits."),
    ("card_number", "brand"): _l("We take Visa, Mastercard, Maestro and Prostir cards."),
    ("card_expiry", "empty"): _l("Type the expiry date from the card."),
    ("card_expiry", "format"): _l("Type the expiry date as MM/YY, like 08/27."),
    ("card_expiry", "month"): _l("The month is from 01 to 12."),
    ("card_expiry", "past"): _l("This card has expired."),
    ("card_expiry", "far"): _l("Check the expiry date: it is too far ahead."),
    ("card_cvv", "empty"): _l("Type the 3 digits from the back of the card."),
    ("card_cvv", "format"): _l("The CVV is 3 digits."),
    ("card_holder", "empty"): _l("Type the name as printed on the card."),
    ("card_holder", "length"): _l("The name on a card is at most 26 characters."),
    ("card_holder", "chars"): _l("Type the name in Latin letters, as on the card."),
}
AMOUNT_MESSAGES = {
    "min": lambda e: _("The least is %(limit)s.", limit=uah(e.limit)),
    "max": lambda e: _("The most in one payment is %(limit)s.", limit=uah(e.limit)),
    "daily": lambda e: _("At most %(limit)s a day can be paid to one number; %(left)s more "
                         "today.", limit=uah(e.limit), left=uah(e.left)),
}


QUICK_AMOUNTS = (50_00, 100_00, 200_00)  # whole hryvnias, offered as radio buttons


def _amount_of(text):
    """The kopiyky of a posted amount, or the text itself when it is not one."""
    try:
        return parse_uah(text)
    except AmountError:
        return text


class TopupAmountField(AmountField):
    """The amount: one of the quick amounts (radio buttons named `amount` too) or one typed
    in the field. Two different amounts in one form are refused, never guessed."""

    ambiguous = False

    def process_formdata(self, valuelist):
        given = [value.strip() for value in valuelist if value and value.strip()]
        self.data = given[0] if given else ""
        self.ambiguous = len({_amount_of(value) for value in given}) > 1

    def quick_choice(self):
        """The quick amount the field holds (its radio's value), if any: that radio comes
        back ticked and the typed field empty, so a second choice sends one amount."""
        kopiyky = None if self.ambiguous else _amount_of(self.data or "")
        return str(kopiyky // 100) if kopiyky in QUICK_AMOUNTS else None

    def _value(self):
        return "" if self.quick_choice() else super()._value()

    def pre_validate(self, form):
        if self.ambiguous:
            raise ValidationError(_l("Choose one of the amounts or type your own, not both."))
        super().pre_validate(form)


class TopupForm(BaseForm):
    target = LoginField(_l("Number or Home Internet account to top up"))
    amount = TopupAmountField(_l("Amount, UAH"))
    card_number = StringField(_l("Card number"))
    card_expiry = StringField(_l("Valid until (MM/YY)"))
    card_holder = StringField(_l("Name on the card"))
    card_cvv = PasswordField(_l("CVV"))
    payer_phone = UkrainianMobileField(_l("Your phone number, for the confirmation code"))
    save_card = BooleanField(_l("Save this card for automatic top-ups of this number"))


class ConfirmForm(BaseForm):
    code = sms_code_field()


def _signed_in():
    return current_user.is_authenticated


def _payer_phone_of_signed_in():
    subscription = current_subscription()
    if subscription is not None and subscription.is_mobile:
        return subscription.number
    return current_user.sms_phone()


def _hosted():
    acquirer = provider()
    return acquirer is not None and acquirer.hosted


def _form_context(form, alert=None):
    signed_in = _signed_in()
    return {"form": form, "alert": alert, "signed_in": signed_in, "hosted": _hosted(),
            "payer": _payer_phone_of_signed_in() if signed_in else None,
            "quick": [(str(kopiyky // 100), f"{kopiyky // 100}{CURRENCY}")
                      for kopiyky in QUICK_AMOUNTS],
            "limits": {"min": uah(money_rules.TOPUP_MIN), "max": uah(money_rules.TOPUP_MAX),
                       "daily": uah(money_rules.TOPUP_DAILY_CAP)}}


def _check_card(form, today):
    """The card fields through the rules; errors go on the fields. Returns (card, cvv)."""
    results = {}
    for field, parse in (("card_number", money_rules.parse_card_number),
                         ("card_expiry", lambda text: money_rules.parse_expiry(text, today)),
                         ("card_holder", money_rules.parse_holder), ("card_cvv", money_rules.parse_cvv)):
        try:
            results[field] = parse(getattr(form, field).data)
        except money_rules.MoneyError as error:
            getattr(form, field).errors.append(CARD_MESSAGES[(field, error.code)])
    return results.get("card_number"), results.get("card_cvv")


@bp.get("/topup")
def page():
    form = TopupForm(formdata=None)
    subscription = current_subscription() if _signed_in() else None
    wanted = request.args.get("target", "")[:40]
    form.target.data = phone(wanted or (subscription.number if subscription else ""))
    wanted_amount = request.args.get("amount", "")[:20]
    try:  # a link's amount is machine-readable ('120.50'); the field shows it as typed
        form.amount.data = typed(parse_uah(wanted_amount))
    except AmountError:
        form.amount.data = wanted_amount
    return render("topup.html", **_form_context(form))


@bp.after_request
def _checkout_allowed(response):
    """The top-up's pages may send the payer's browser to LiqPay's checkout (the form's
    action, or its htmx-swapped form, is on LiqPay's host)."""
    acquirer = provider()
    if acquirer is not None and acquirer.hosted:
        parts = urlsplit(acquirer.client.checkout_url)
        response.headers["Content-Security-Policy"] = web.CONTENT_SECURITY_POLICY.replace(
            "form-action 'self'", f"form-action 'self' {parts.scheme}://{parts.netloc}")
    return response


def _save_card_refusal(form, target):
    """Why the 'save this card' box cannot be ticked for `target`, or None."""
    if not form.save_card.data:
        return None
    if not _signed_in() or target is None or target.profile_id != current_user.id \
            or not target.is_mobile:
        return _("Only a card paying for a mobile number of your own cabinet can be saved.")
    return None


@bp.post("/topup")
def start():
    form = TopupForm()
    if _signed_in():
        del form.payer_phone
    context = _form_context(form)
    acquirer = provider()
    if acquirer is None:
        context["alert"] = _("Card payments are not available right now.")
        return render("topup.html", "topup_form", GATEWAY_DOWN, **context)
    if acquirer.hosted:
        return _start_hosted(form, context)
    valid = form.validate()
    card, cvv = _check_card(form, clock.today())
    target = _target_of(form)
    _check_amount(form, target)
    refusal = _save_card_refusal(form, target)
    if refusal:
        form.save_card.errors.append(refusal)
    payer = context["payer"] if _signed_in() else form.payer_phone.parsed
    if _signed_in() and not payer:
        context["alert"] = _("Your cabinet has no phone for the confirmation code.")
    if not (valid and card and cvv and target and payer) or form.errors:
        return render("topup.html", "topup_form", INVALID_FORM, **context)

    key = secrets.token_urlsafe(18)
    amount = form.amount.kopiyky
    try:
        reference = acquirer.authorize(card, cvv, amount, key)
    except Declined as declined:
        context["alert"] = (_("The bank declined the card: not enough money on it.")
                            if declined.reason == "insufficient_funds"
                            else _("The bank declined the card. Try another card."))
        return render("topup.html", "topup_form", INVALID_FORM, **context)
    try:
        payment, _nonce = service.send_code(
            {"key": key, "profile": current_user.id if _signed_in() else None,
             "amount": amount, "provider_reference": reference,
             "save_card": bool(form.save_card.data)}, target, card, payer, acquirer)
    except sms.NotSent as failure:
        context["alert"] = failure.message
        return render("topup.html", "topup_form", failure.status, **context)
    return render("topup_confirm.html", "confirm",
                  **_confirm_context(payment, ConfirmForm(formdata=None)))


def _target_of(form):
    """The top-up's target, or None with the reason on the field."""
    if form.target.parsed is None:
        return None
    target = Subscription.by_number(form.target.parsed.number)
    if target is None:
        form.target.errors.append(_("We have no subscriber with this number or account."))
    elif states_rules.refusal(states_rules.TOP_UP, target.state):
        form.target.errors.append(states.OTHER[target.state](target.number))
        return None
    return target


def _check_amount(form, target):
    if target is not None and form.amount.kopiyky is not None:
        try:
            money_rules.check_topup_amount(form.amount.kopiyky,
                                           Payment.paid_today(target, clock.today()))
        except money_rules.MoneyError as error:
            form.amount.errors.append(AMOUNT_MESSAGES[error.code](error))


def _start_hosted(form, context):
    """LiqPay: no card field and no code; a pending payment and the page that takes the
    payer to LiqPay's checkout (it submits itself with JavaScript; without, one button)."""
    for name in ("card_number", "card_expiry", "card_holder", "card_cvv", "payer_phone"):
        if name in form:
            delattr(form, name)
    valid = form.validate()
    target = _target_of(form)
    _check_amount(form, target)
    refusal = _save_card_refusal(form, target)
    if refusal:
        form.save_card.errors.append(refusal)
    if not (valid and target) or form.errors:
        return render("topup.html", "topup_form", INVALID_FORM, **context)
    payer = context["payer"] if _signed_in() else None
    payment, checkout = service.start_hosted(
        target, form.amount.kopiyky, current_user.id if _signed_in() else None, payer,
        bool(form.save_card.data), current_locale())
    # The browser that started it sees what it paid on the result page: the last few
    # checkouts' order ids, so the cookie stays small however many it starts.
    session["checkouts"] = [payment.key, *session.get("checkouts", [])][:CHECKOUTS_KEPT]
    return render("topup_checkout.html", "topup_form", payment=payment, checkout=checkout,
                  amount=uah(payment.amount))


def _payment_or_404(key):
    """Only the browser that started the payment, or the cabinet it was made from, sees it.
    A pending one whose code has expired lapses here."""
    payment = (Payment.select(Payment, Subscription).join(Subscription)
               .where(Payment.key == key).first())
    if payment is None or payment.provider == "liqpay" or payment.autopay_rule is not None:
        abort(404)
    own = _signed_in() and payment.profile_id == current_user.id
    if not own and not service.asked_from(payment, security.browser_nonce()):
        abort(404)
    service.lapse_if_expired(payment, clock.now())
    return payment


def _confirm_context(payment, form, alert=None):
    waiting = payment.state == Payment.PENDING and payment.payer_phone
    return {"payment": payment, "form": form, "alert": alert, "amount": uah(payment.amount),
            "delivery": sms.code_delivery(payment.payer_phone, "top-up") if waiting else None,
            "unblocked": payment.state == Payment.SUCCEEDED
            and states.lifted_by(payment.reference)}


@bp.get("/topup/<key>")
def status(key):
    payment = _payment_or_404(key)
    return render("topup_confirm.html", **_confirm_context(payment, ConfirmForm(formdata=None)))


@bp.post("/topup/<key>/confirm")
def confirm(key):
    payment = _payment_or_404(key)
    form = ConfirmForm()
    if payment.state in (Payment.CANCELLED, Payment.FAILED):
        return render("topup_confirm.html", "confirm", CONFLICT,
                      **_confirm_context(payment, form))
    if payment.state != Payment.PENDING:
        # A replayed confirmation: the first result, never a second credit.
        return see_other(url_for("topup.status", key=key))
    if not form.validate():
        return render("topup_confirm.html", "confirm", INVALID_FORM,
                      **_confirm_context(payment, form))
    nonce = security.browser_nonce()
    try:
        security.check_code(service.purpose(payment), payment.payer_phone, nonce, form.code.data,
                            reference=key)
    except security.CodeRefused as refusal:
        if refusal.code in ("tries", "expired"):
            service.cancel(payment, refusal.code)
            return render("topup_confirm.html", "confirm", CONFLICT,
                          **_confirm_context(payment, form))
        if refusal.code == "used":
            return see_other(url_for("topup.status", key=key))
        form.code.errors.append(
            _("Wrong code. Tries left: %(left)s.", left=refusal.left) if refusal.code == "wrong"
            else _("Ask for a new payment: this one cannot be confirmed here."))
        return render("topup_confirm.html", "confirm", INVALID_FORM,
                      **_confirm_context(payment, form))
    if not service.reserve(payment):
        service.cancel(payment, "cap")
        return see_other(url_for("topup.status", key=key))
    try:
        provider().capture(payment.provider_reference, payment.amount)
    except Declined:
        service.cancel(payment, "declined", state=Payment.FAILED, from_state=Payment.CAPTURING)
        return see_other(url_for("topup.status", key=key))
    service.credit_captured(payment)
    return see_other(url_for("topup.status", key=key))


@bp.get("/topup/result/<order_id>")
def result(order_id):
    """How a LiqPay payment ended: paid, failed or waiting for the bank. Anyone with the
    address sees the state only; the browser that started it, or its cabinet, sees what
    was paid to whom too. Waiting, it reloads itself (htmx), or by a link."""
    payment = (Payment.select(Payment, Subscription).join(Subscription)
               .where(Payment.key == order_id[:40]).first())
    if payment is None or payment.autopay_rule is not None:
        abort(404)
    own = (_signed_in() and payment.profile_id == current_user.id) \
        or payment.key in session.get("checkouts", ())
    return render("topup_result.html", "result", payment=payment, own=own,
                  amount=uah(payment.amount))


class CallbackForm(BaseForm):
    """LiqPay's callback: its two fields, no CSRF token (the signature is the proof)."""

    class Meta:
        csrf = False

    payload = StringField(name="data")
    signature = StringField()


@bp.post("/payments/liqpay/callback")
def liqpay_callback():
    """LiqPay's signed word on one payment, applied once: 200 when applied or already
    applied, 400 (and an audit line, nothing else written) when refused."""
    if not _hosted():
        abort(404)
    form = CallbackForm()
    try:
        service.callback(form.payload.data, form.signature.data)
    except liqpay.Refused as refused:
        security.audit("liqpay_callback_refused",
                       details=f"{refused.code}: {refused.detail}"[:500])
        return Response(f"refused: {refused.code}\n", 400, mimetype="text/plain")
    return Response("ok\n", 200, mimetype="text/plain")


def init_callback(app):
    """The callback carries no CSRF token: LiqPay's signature is its proof."""
    app.extensions["csrf"].exempt(liqpay_callback)
