"""Card acquiring: the interface a payment provider plugs in behind, and the demo acquirer.

A provider authorises an amount on a card (a hold), then captures or voids it. The card
object passes through in memory only; nothing here stores or logs its number or CVV.
"""
import secrets

from flask import current_app


class Declined(Exception):
    """The provider refused: `reason` is 'declined' or 'insufficient_funds'."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


class DemoAcquirer:
    """Approves every valid card except the documented declining test cards (README)."""

    name = "demo"
    DECLINING = {"4000000000000002": "declined", "4000000000009995": "insufficient_funds"}

    def authorize(self, card, cvv, amount, key):
        reason = self.DECLINING.get(card.number)
        if reason:
            raise Declined(reason)
        return "demo-" + secrets.token_hex(8)

    def capture(self, reference, amount):
        """Take the held money; a real provider may still refuse here (Declined)."""

    def void(self, reference):
        """Release the hold."""


def provider():
    """The configured provider, or None when card payments are not set up."""
    return current_app.extensions.get("payment_provider")


def init_app(app):
    """PAYMENT_PROVIDER (PORTAL_PAYMENT_PROVIDER): 'demo', empty (card payments off), or an
    object with authorize/capture/void: a real provider's adapter."""
    choice = app.config.get("PAYMENT_PROVIDER", "demo" if app.config["DEMO"] else "")
    if not isinstance(choice, str):
        app.extensions["payment_provider"] = choice
    elif choice == "demo":
        app.extensions["payment_provider"] = DemoAcquirer()
    elif choice:
        raise RuntimeError(f"PORTAL_PAYMENT_PROVIDER must be 'demo' or empty, not {choice!r}")
