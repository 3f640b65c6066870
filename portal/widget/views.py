"""/widget, the web app's manifest and service worker, and the offline page.

The widget reads without JavaScript: the figures and the moment they were taken are in the
HTML. The service worker (static/sw.js) keeps the last widget page for offline reading and
no other signed-in page; signing out clears what it kept (Clear-Site-Data, signin.views)."""
from pathlib import Path

from flask import Blueprint, Response, current_app, jsonify
from flask_babel import gettext as _
from flask_login import login_required

from ..bonuses import service as bonuses_service
from ..core import clock
from ..core.auth import current_subscription
from ..core.web import render, static_url

bp = Blueprint("widget", __name__)

THEME = "#00205b"  # the header's colour (static/portal.css)


@bp.get("/widget")
@login_required
def widget():
    subscription = current_subscription()
    bonuses = bonuses_service.shown_bonuses(subscription, clock.today())[0]
    return render("widget.html", subscription=subscription, bonuses=bonuses, taken_at=clock.now())


@bp.get("/offline")
def offline():
    return render("offline.html")


@bp.get("/manifest.webmanifest")
def manifest():
    response = jsonify({
        "name": _("My cabinet"), "short_name": _("Balance"),
        "description": _("Balance and bonuses of your number at a glance."),
        "start_url": "/widget", "scope": "/", "display": "standalone",
        "background_color": "#f3f5f8", "theme_color": THEME,
        "icons": [{"src": static_url(f"icons/icon-{size}.png"), "sizes": f"{size}x{size}",
                   "type": "image/png", "purpose": "any maskable"} for size in (192, 512)],
    })
    response.mimetype = "application/manifest+json"
    return response


@bp.get("/sw.js")
def service_worker():
    """Served from the root, so its scope covers /widget; never cached by the browser, so
    a new version takes over on the next visit."""
    source = (Path(current_app.static_folder) / "sw.js").read_bytes()
    response = Response(source, mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"
    return response
