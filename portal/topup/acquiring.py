"""Card acquiring: the payment providers the portal plugs in, chosen by
PORTAL_PAYMENT_PROVIDER.

- `demo`: the in-portal demo acquirer (demo and training). It authorises an amount on a
  card (a hold), then captures or voids it; the card object passes through in memory only.
- `liqpay`: LiqPay's hosted checkout (`hosted`): the card never touches the portal; the
  payer pays on LiqPay's page and LiqPay's signed callback (or `status`) says how it ended.

Both charge a saved card for autopay (`saved_card`, `charge_saved`), each answering a
`Result` in the words of rules.liqpay (PAID, FAILED, PENDING).
"""
import secrets
from dataclasses import dataclass, field

from flask import current_app

from rules import liqpay as liqpay_rules
from ..core.settings import SettingsError
from . import liqpay


class Declined(Exception):
    """The provider refused: `reason` is 'declined' or 'insufficient_funds'."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Result:
    """What a provider said about a payment: `outcome` (rules.liqpay: PAID, FAILED,
    REVERSED, PENDING), its own reference, why it failed, and after a paid payment that
    asked to save the card, the card's token and mask."""
    outcome: str
    reference: str = ""
    failure: str = ""
    card_mask: str | None = None
    card_token: str | None = field(default=None, repr=False)


class DemoAcquirer:
    """Approves every valid card except the documented declining test cards (README). A card
    saved from the demo is a token of the demo's own; the test card 4000 0000 0000 0341 pays
    once but its saved token is then refused, to show autopay's failures."""

    name = "demo"
    hosted = False
    DECLINING = {"4000000000000002": "declined", "4000000000009995": "insufficient_funds"}
    TOKEN_DECLINING = {"4000000000000341"}

    def authorize(self, card, cvv, amount, key):
        reason = self.DECLINING.get(card.number)
        if reason:
            raise Declined(reason)
        refusing = "x" if card.number in self.TOKEN_DECLINING else ""
        return f"demo{refusing}-" + secrets.token_hex(8)

    def capture(self, reference, amount):
        """Take the held money; a real provider may still refuse here (Declined)."""

    def void(self, reference):
        """Release the hold."""

    def saved_card(self, payment):
        """The token and mask of the card that paid `payment` (captured)."""
        return (f"demo-token-{payment.provider_reference}",
                f"{payment.card_brand.upper()} *{payment.card_last4}")

    def charge_saved(self, token, kopiyky, order_id, description):
        if token.startswith("demo-token-demox-"):
            return Result(liqpay_rules.FAILED, failure="declined")
        return Result(liqpay_rules.PAID, reference="demo-" + secrets.token_hex(8))


def result_of(notice):
    """A LiqPay Notice in the providers' common words."""
    return Result(notice.outcome, reference=notice.payment_id or "",
                  failure=(notice.err_code or notice.status)[:30], card_mask=notice.card_mask,
                  card_token=notice.card_token)


class LiqPayProvider:
    """LiqPay: the client (`client`) and the portal's public address the callback and the
    result page are built on."""

    name = "liqpay"
    hosted = True

    def __init__(self, client, public_url):
        self.client = client
        self.public_url = public_url

    def result_url(self, order_id):
        return f"{self.public_url}/topup/result/{order_id}"

    @property
    def callback_url(self):
        return f"{self.public_url}/payments/liqpay/callback"

    def charge_saved(self, token, kopiyky, order_id, description):
        """`paytoken`. A refused request charged nothing (FAILED); no answer may hide a
        charge, so the payment stays PENDING and reconciliation asks `status` of the same
        order."""
        try:
            return result_of(self.client.paytoken(order_id=order_id, kopiyky=kopiyky,
                                                  description=description, card_token=token))
        except liqpay.ApiRefused as refused:
            return Result(liqpay_rules.FAILED, failure=refused.err_code[:30])
        except liqpay.ApiError:
            return Result(liqpay_rules.PENDING)


def provider():
    """The configured provider, or None when card payments are not set up."""
    return current_app.extensions.get("payment_provider")


def _liqpay(config):
    """The LiqPay provider from the settings; refuses to start without its keys or the
    portal's public address (the callback could never reach it)."""
    missing = [f"PORTAL_{name}" for name in ("LIQPAY_PUBLIC_KEY", "LIQPAY_PRIVATE_KEY",
                                             "PUBLIC_URL") if not config.get(name)]
    if missing:
        raise SettingsError("PORTAL_PAYMENT_PROVIDER=liqpay needs " + ", ".join(missing)
                            + " (docs/payments.md)")
    public_url = str(config["PUBLIC_URL"]).rstrip("/")
    if not public_url.startswith(("https://", "http://")):
        raise SettingsError("PORTAL_PUBLIC_URL must be the portal's address, like "
                            "https://my.example.ua")
    sandbox = str(config.get("LIQPAY_SANDBOX", "")).strip().lower() in ("1", "true", "yes")
    client = liqpay.LiqPay(config["LIQPAY_PUBLIC_KEY"], config["LIQPAY_PRIVATE_KEY"],
                           config.get("LIQPAY_URL") or liqpay.DEFAULT_URL, sandbox=sandbox)
    return LiqPayProvider(client, public_url)


def init_app(app):
    """PAYMENT_PROVIDER (PORTAL_PAYMENT_PROVIDER): 'demo', 'liqpay', empty (card payments
    off), or an object with the demo's methods."""
    choice = app.config.get("PAYMENT_PROVIDER", "demo" if app.config["DEMO"] else "")
    if not isinstance(choice, str):
        app.extensions["payment_provider"] = choice
    elif choice == "demo":
        app.extensions["payment_provider"] = DemoAcquirer()
    elif choice == "liqpay":
        app.extensions["payment_provider"] = _liqpay(app.config)
    elif choice:
        raise SettingsError("PORTAL_PAYMENT_PROVIDER must be 'demo', 'liqpay' or empty, not "
                            f"{choice!r}")
