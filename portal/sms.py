"""The SMS gateway: every SMS the portal sends goes through `send_sms`.

Backends: `outbox` keeps messages in the database (demo mode lists them at /demo/sms);
`http` posts JSON to an SMS aggregator and keeps a copy. A failure raises SmsError, so the
caller's transaction rolls back and nothing is left half-done.
"""
import json
import logging
import urllib.error
import urllib.request

from flask import current_app

from models import SmsMessage

log = logging.getLogger(__name__)


class SmsError(RuntimeError):
    """The message could not be handed to the gateway."""


class OutboxGateway:
    name = "outbox"

    def deliver(self, to, text):
        """Stored only: the outbox is the delivery."""


class HttpGateway:
    name = "http"

    def __init__(self, url, token="", timeout=5):
        self.url, self.token, self.timeout = url, token, timeout

    def deliver(self, to, text):
        body = json.dumps({"to": to, "text": text}).encode()
        headers = {"Content-Type": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        req = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as response:
                if not 200 <= response.status < 300:
                    raise SmsError(f"gateway answered {response.status}")
        except (urllib.error.URLError, OSError) as exc:
            # The text may hold a code: log the recipient only.
            log.warning("SMS to %s failed: %s", to, exc)
            raise SmsError(str(exc)) from exc


def send_sms(to, text):
    """Send `text` to `to` ('+380…'); call inside the transaction that depends on it."""
    gateway = current_app.extensions["sms_gateway"]
    gateway.deliver(to, text)
    return SmsMessage.create(to=to, text=text, sent_at=current_app.config["CLOCK"].now(),
                             backend=gateway.name)


def init_app(app):
    backend = app.config["SMS_BACKEND"]
    if "SMS_GATEWAY" in app.config:
        gateway = app.config["SMS_GATEWAY"]
    elif backend == "http":
        if not app.config["SMS_URL"]:
            raise RuntimeError("PORTAL_SMS_BACKEND=http needs PORTAL_SMS_URL")
        gateway = HttpGateway(app.config["SMS_URL"], app.config["SMS_TOKEN"])
    elif backend == "outbox":
        gateway = OutboxGateway()
    else:
        raise RuntimeError(f"PORTAL_SMS_BACKEND must be 'outbox' or 'http', not {backend!r}")
    app.extensions["sms_gateway"] = gateway
