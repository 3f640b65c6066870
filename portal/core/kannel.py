"""Kannel's delivery reports (docs/sms.md): the `dlr-url` each message is sent with
(sms.KannelGateway) and `GET /sms/dlr`, where Kannel calls it as the SMS centre reports:
accepted, buffered, delivered or not.

The address names the outbox message and carries a token the portal signs with its secret
key, so only the gateway that got the message can report on it.
"""
import hashlib
import hmac
import urllib.parse

from flask import current_app, request
from wtforms import Form, IntegerField, StringField
from wtforms.validators import InputRequired, NumberRange

from models import SmsMessage
from . import clock

# Kannel's delivery-report types (its `%d`), as the outbox keeps them.
DLR_DELIVERED, DLR_UNDELIVERED, DLR_BUFFERED, DLR_SMSC_ACCEPTED, DLR_SMSC_REJECTED = 1, 2, 4, 8, 16
DLR_MASK = (DLR_DELIVERED | DLR_UNDELIVERED | DLR_BUFFERED | DLR_SMSC_ACCEPTED
            | DLR_SMSC_REJECTED)  # 31: every report
DELIVERY_OF_REPORT = {
    DLR_DELIVERED: SmsMessage.DELIVERED,
    DLR_UNDELIVERED: SmsMessage.UNDELIVERED,
    DLR_BUFFERED: SmsMessage.BUFFERED,
    DLR_SMSC_ACCEPTED: SmsMessage.ACCEPTED,
    DLR_SMSC_REJECTED: SmsMessage.UNDELIVERED,
}
DLR_PATH = "/sms/dlr"


def report_token(message_id, secret_key):
    """The signature of one message's delivery reports: nobody without the portal's key
    can make one, and a token opens no other message."""
    return hmac.new(secret_key.encode(), f"sms-dlr:{message_id}".encode(),
                    hashlib.sha256).hexdigest()[:32]


def report_url(public_url, message_id, secret_key):
    """The `dlr-url` of one message; Kannel fills in `%d` (the report's type)."""
    query = urllib.parse.urlencode({"message": message_id,
                                    "token": report_token(message_id, secret_key)})
    return f"{public_url.rstrip('/')}{DLR_PATH}?{query}&type=%d"


class ReportForm(Form):
    """A delivery report's query: the message, its token, Kannel's report type."""

    message = IntegerField(validators=[InputRequired(), NumberRange(min=1, max=2**62)])
    token = StringField(validators=[InputRequired()])
    type = IntegerField(validators=[InputRequired(), NumberRange(min=0, max=2**31)])


def delivery_report():
    """`GET /sms/dlr`: Kannel reports on one message. 403 for a token the portal did not
    sign, 400 for a report that is not one of Kannel's types, else 200 (a report that
    comes late or twice changes nothing, and is answered 200 so Kannel does not retry)."""
    form = ReportForm(request.args)
    if not form.validate():
        return "bad report\n", 400, {"Content-Type": "text/plain"}
    expected = report_token(form.message.data, current_app.config["SECRET_KEY"])
    if not hmac.compare_digest(expected, form.token.data):
        return "bad token\n", 403, {"Content-Type": "text/plain"}
    delivery = DELIVERY_OF_REPORT.get(form.type.data)
    if delivery is None:
        return "unknown report type\n", 400, {"Content-Type": "text/plain"}
    SmsMessage.record_delivery(form.message.data, delivery, clock.now())
    return "ok\n", 200, {"Content-Type": "text/plain"}


def init_app(app):
    app.add_url_rule(DLR_PATH, "sms_delivery_report", delivery_report, methods=["GET"])
