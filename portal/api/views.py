"""The read-only balance API for widgets and balance checkers: `GET /api/v1/balance` with a
personal token (portal/profile/token_views.py), described by the OpenAPI document `/api/v1/openapi.json`
(a file kept as it is served: portal/api/openapi.json).

A token opens the API and nothing else; a signed-in browser's cookie opens no part of it.
Each token's calls are counted in the database in a sliding minute (models.RateEvent, under
the token's lock), so every worker and server shares the rate and no 60 seconds ever hold
more than the limit. Answers are JSON, errors
too (`{"error": "..."}`; the API's own in English: programs read them)."""
from pathlib import Path

from flask import Blueprint, current_app, jsonify, request

import models
from models import ApiToken, RateEvent, Subscription
from rules import tokens as tokens_rules
from rules.dates import local_day
from ..bonuses import service as bonuses_service
from ..core import clock, security
from ..core.formatting import plain
from ..core.web import api_error
from ..profile import service as profile_service

bp = Blueprint("api", __name__, url_prefix="/api/v1")

OPENAPI = Path(__file__).resolve().parent / "openapi.json"


_error = api_error


@bp.before_request
def options():
    """OPTIONS is answered here, in JSON like everything under the API (Flask's own answer
    is an empty HTML one): the methods the address takes, in `Allow` and in the body. It
    reads nothing and counts against no rate."""
    if request.method != "OPTIONS":
        return None
    methods = sorted(request.url_rule.methods)
    response = jsonify(methods=methods)
    response.headers["Allow"] = ", ".join(methods)
    return response


def _live_token():
    """The token the request's Authorization header carries, if it is live. It is looked
    up by its keyed hash: how long the look-up takes depends on that hash, which nobody
    without the app's key can steer, so the timing tells nothing of any token."""
    text = tokens_rules.bearer_token(request.headers.get("Authorization"))
    if text is None or (text.startswith(profile_service.DEMO_PREFIX) and not current_app.config["DEMO"]):
        return None
    return ApiToken.get_or_none(ApiToken.digest == security.keyed_digest(text))


def _number(subscription, bonus_balance, valid_until):
    return {"number": subscription.number, "kind": subscription.kind,
            "balance": plain(subscription.balance), "bonus_balance": plain(bonus_balance),
            "state": subscription.state,
            "valid_until": valid_until.isoformat() if valid_until else None}


@bp.get("/balance")
def balance():
    """The token's cabinet's numbers and accounts (its own and those it manages), in the
    switcher's order, as the dashboard and /settings show them."""
    token = _live_token()
    if token is None:
        return _error(401, "A live API token is needed: Authorization: Bearer <token>.",
                      {"WWW-Authenticate": 'Bearer realm="api"'})
    if request.args:
        return _error(400, "This address takes no query parameters.")
    if request.method == "HEAD":
        # Whether the token is live, and no more: a HEAD reads no balance and counts
        # against no rate (a monitor's check must not use up a widget's calls).
        return current_app.response_class(status=200, mimetype="application/json")
    now = clock.now()
    with models.locking_transaction():
        calls = RateEvent.take(f"api:{token.digest}", now, tokens_rules.WINDOWS)
    wait = tokens_rules.retry_after(calls, now)
    if wait is not None:
        return _error(429, f"Too many calls: at most {tokens_rules.CALLS_PER_WINDOW} a minute "
                           "for one token.", {"Retry-After": str(wait)})
    if tokens_rules.touch_due(token.last_used_at, now):
        ApiToken.touch(token.id, now, now - tokens_rules.TOUCH_EVERY)
    numbers = list(Subscription.of_cabinet(token.profile_id))
    today = local_day(now)
    bonuses_service.read_bonuses(numbers, today)
    valid_until = profile_service.valid_until(numbers)
    return jsonify(numbers=[_number(sub, bonuses_service.shown_bonuses(sub, today)[0],
                                    valid_until[sub.id]) for sub in numbers])


@bp.get("/openapi.json")
def openapi():
    return current_app.response_class(OPENAPI.read_bytes(), mimetype="application/json")


@bp.after_request
def not_kept(response):
    # Balances: never in a shared cache, nor in the client's.
    response.headers["Cache-Control"] = "no-store"
    return response
