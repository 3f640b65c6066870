"""The operator's shops by city, from the catalogue file; searchable, no external map."""
from itertools import groupby

from flask import Blueprint, request

from models import Shop
from rules.profile import matches
from ..core.i18n import current_locale
from ..core.web import render

bp = Blueprint("shops", __name__)


def shops_context(query):
    locale = current_locale()
    found = [shop for shop in Shop.select().order_by(Shop.city_uk, Shop.position)
             if matches(shop.texts(), query)]
    cities = [(city, list(shops)) for city, shops in
              groupby(found, key=lambda shop: shop.text("city", locale))]
    return {"query": query, "cities": cities, "count": len(found), "locale": locale}


@bp.get("/shops")
def page():
    query = request.args.get("q", "")[:100]
    return render("shops.html", "results", **shops_context(query))
