"""/terms and /privacy, in the reader's language; a signed-in reader also sees when the
cabinet accepted the terms."""
from flask import Blueprint
from flask_login import current_user

from ..core.i18n import current_locale
from ..core.web import render
from . import service

bp = Blueprint("legal", __name__)


def _page(name):
    document = service.document(name, current_locale())
    accepted_at = (current_user.terms_accepted_at
                   if name == "terms" and current_user.is_authenticated else None)
    return render("legal.html", document=document, accepted_at=accepted_at)


@bp.get("/terms")
def terms():
    return _page("terms")


@bp.get("/privacy")
def privacy():
    return _page("privacy")
