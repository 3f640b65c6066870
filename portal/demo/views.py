"""Demo and training mode's SMS pages: every SMS the portal sent, readable without a
phone (/demo/sms, and /demo/sms.json for scripts); 404 outside demo mode."""
from flask import Blueprint, abort, current_app, jsonify, request

from models import SmsMessage
from rules.numbers import NumberError, parse_mobile
from ..core.web import render

bp = Blueprint("demo", __name__)


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
    return jsonify([{"to": m.to, "text": m.text, "sent_at": m.created_at.isoformat()}
                    for m in _messages()])


@bp.get("/demo/sms")
def sms_page():
    return render("demo_sms.html", messages=list(_messages()), to=request.args.get("to", ""))
