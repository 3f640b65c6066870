"""Demo and training mode: the SMS the portal sent, readable without a phone."""
from flask import Blueprint, abort, current_app, jsonify, request

from models import SmsMessage
from rules.numbers import NumberError, parse_mobile
from .web import render

bp = Blueprint("demo", __name__)

# Other areas add their demo data here: functions (clock) called by `flask demo-data`
# after the subscribers are loaded, each safe to run again.
DEMO_LOADERS = []


@bp.before_request
def demo_only():
    if not current_app.config["DEMO"]:
        abort(404)


def _messages():
    to = request.args.get("to", "").strip()
    if to:
        try:
            to = parse_mobile(to)
        except NumberError:
            abort(400)
    return SmsMessage.newest_first(to or None).limit(200)


@bp.get("/demo/sms.json")
def sms_json():
    return jsonify([{"to": m.to, "text": m.text, "sent_at": m.sent_at.isoformat()}
                    for m in _messages()])


@bp.get("/demo/sms")
def sms_page():
    return render("demo_sms.html", messages=list(_messages()), to=request.args.get("to", ""))
