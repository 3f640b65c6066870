"""The catalogue file (`catalogue/catalogue.toml`) the operator edits, applied to the
database by `init-db`: each section is upserted by code."""
import tomllib
from pathlib import Path

import models
from models import Service, Shop, Tariff
from rules import credit as credit_rules

CATALOGUE_FILE = Path(__file__).resolve().parents[2] / "catalogue" / "catalogue.toml"

# section name -> (model, key field): the sections `init-db` upserts.
SECTIONS = {"tariffs": (Tariff, "code"), "services": (Service, "code"), "shops": (Shop, "code")}


def load(path=CATALOGUE_FILE):
    with open(path, "rb") as handle:
        return tomllib.load(handle)


def support_phones(data):
    """{topic: {'short', 'landline', 'landline_tel'}}: the support lines for mobile numbers,
    for Home Internet accounts and the call centre's (no SMS, a lost SIM, a wrong number);
    `landline_tel` is the landline's tel: address ('0-800-300-460' -> '+380800300460')."""
    lines = {}
    for topic, phones in data["support"].items():
        digits = "".join(ch for ch in phones["landline"] if ch.isdigit())
        lines[topic] = {**phones, "landline_tel": "+38" + digits}
    return lines


def credit_tiers(data):
    """The self-service credit's tiers (rules.credit.Tier), by spending."""
    return credit_rules.parse_tiers(data["credit"]["tiers"])


def init_app(app):
    phones = support_phones(load())

    def support_phones_of(subscription=None, topic=None):
        """The support lines for `topic` ('call_centre'), else for the number on show
        (mobile ones when there is none)."""
        if topic is None:
            topic = ("home_internet" if subscription is not None
                     and subscription.kind == "home_internet" else "mobile")
        return phones[topic]

    app.jinja_env.globals.update(support_phones=support_phones_of)


def apply(data):
    """Upsert every entry of every known section; returns {section: count}."""
    counts = {}
    with models.db.atomic():
        for section, (model, key) in SECTIONS.items():
            entries = data.get(section, [])
            for entry in entries:
                fields = {name: value for name, value in entry.items()
                          if name in model._meta.fields}
                unknown = set(entry) - set(fields)
                if unknown:
                    raise ValueError(f"{section} {entry.get(key)!r}: unknown fields {sorted(unknown)}")
                existing = model.get_or_none(getattr(model, key) == fields[key])
                if existing is None:
                    model.insert(**fields).execute()
                else:
                    model.update(**fields).where(getattr(model, key) == fields[key]).execute()
            counts[section] = len(entries)
    return counts
