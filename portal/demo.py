"""Demo and training mode: the SMS the portal sent, readable without a phone, and the demo
data set (`flask demo-data`, README "Demo sign-ins")."""
import click
from flask import Blueprint, abort, current_app, jsonify, request

import models
from models import SmsMessage
from rules.numbers import NumberError, parse_mobile
from . import (alerts, bonus_jobs, catalogue, clock, credit, profile, requests, security, staff,
               tokens, usage)
from .cli import DEMO_DIR, DEMO_PASSWORD, init_db
from .subscribers import import_subscriber_file
from .web import render

bp = Blueprint("demo", __name__)

# Demo profiles that have been through the first sign-in; the rest show registration.
DEMO_CONFIRMED = ("olena", "romashka", "andrii", "iryna", "mariia", "taras", "olha")
# Each area's demo data, loaded in this order after the subscribers: functions (clock),
# each safe to run again.
LOADERS = (profile.load_demo, usage.load_demo, requests.load_demo, staff.commands.load_demo,
           bonus_jobs.load_demo, credit.load_demo, alerts.load_demo, tokens.load_demo)


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


def load_demo_data(reset=False):
    demo_clock = current_app.config["CLOCK"]
    if reset:
        with models.locking_transaction():
            for model in reversed(models.all_models()):
                if model is not models.DemoTimeline:  # "now" runs on through a reset
                    model.delete().execute()
        catalogue.apply(catalogue.load())
    created, updated = import_subscriber_file(DEMO_DIR / "subscribers.csv", demo_clock)
    password_hash = security.hash_password(DEMO_PASSWORD)
    with models.locking_transaction():
        models.Profile.update(password_hash=password_hash, confirmed_at=demo_clock.now()).where(
            models.Profile.key.in_(DEMO_CONFIRMED)).execute()
        for loader in LOADERS:
            loader(demo_clock)
    return created, updated


def is_empty():
    return not models.Subscription.table_exists() or models.Subscription.select().count() == 0


def init_app(app):
    app.register_blueprint(bp)

    @app.cli.command("demo-data")
    @click.option("--reset", is_flag=True, help="Delete all data first (between classes).")
    @click.option("--if-empty", is_flag=True, help="Load only into an empty database.")
    def demo_data_command(reset, if_empty):
        """Load the demo data set; safe to run again."""
        with models.db.connection_context():
            init_db()
            clock.now()  # fixes the demo's timeline (PORTAL_NOW) for every process
            if if_empty and not is_empty():
                click.echo("The database holds subscribers already; demo data not loaded.")
                return
            created, updated = load_demo_data(reset=reset)
        click.echo(f"Demo data loaded: {created} subscriptions created, {updated} updated. "
                   f"Demo password: {DEMO_PASSWORD}")
