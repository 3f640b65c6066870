"""The catalogue file (`catalogue/catalogue.toml`) the operator edits, applied to the
database by `init-db`: each section is upserted by code."""
import pickle
import tomllib
from pathlib import Path

from flask import current_app

import models
from models import Service, Shop, Tariff, TariffAllowance
from rules import (
    bonus_spending as spending_rules,
    credit as credit_rules,
    offers as offers_rules,
    tariffs as tariffs_rules,
)
from . import clock

CATALOGUE_FILE = Path(__file__).resolve().parents[2] / "catalogue" / "catalogue.toml"

# section name -> (model, key field): the sections `init-db` upserts.
SECTIONS = {"tariffs": (Tariff, "code"), "services": (Service, "code"), "shops": (Shop, "code")}


_parsed = {}  # the file's bytes as last read -> its data, parsed and pickled


def load(path=CATALOGUE_FILE):
    """The catalogue's data, parsed once while the file's text stays the same (an app reads
    it in two places at start, and the tests start thousands of apps: 3.7 ms a parse, 0.1 ms
    a copy); each caller gets its own copy, since `apply` takes entries apart."""
    with open(path, "rb") as handle:
        text = handle.read()
    if text not in _parsed:
        _parsed.clear()  # one version kept: an edited file replaces the last
        _parsed[text] = pickle.dumps(tomllib.loads(text.decode()))
    return pickle.loads(_parsed[text])


def support_phones(data):
    """{topic: {'short', 'landline', 'landline_tel'}}: the support lines for mobile numbers,
    for Home Internet accounts and the call centre's (no SMS, a lost SIM, a wrong number);
    `landline_tel` is the landline's tel: address ('0-800-300-460' -> '+380800300460')."""
    lines = {}
    for topic, phones in data["support"].items():
        digits = "".join(ch for ch in phones["landline"] if ch.isdigit())
        lines[topic] = {**phones, "landline_tel": "+38" + digits}
    return lines


def bonus_uses(data):
    """What moved bonuses pay for: {'answering_machines': [numbers], 'uses': {locale:
    [lines]}, 'summary': {locale: text}}."""
    section = data["bonuses"]
    return {"answering_machines": tuple(section["answering_machines"]),
            "uses": {key[len("uses_"):]: value for key, value in section.items()
                     if key.startswith("uses_")},
            "summary": {key[len("summary_"):]: value for key, value in section.items()
                        if key.startswith("summary_")}}


def bonus_texts(kind, locale):
    """The catalogue's bonus `kind` ('uses' or 'summary') in `locale` (Ukrainian when it
    has none), as read when the app started."""
    texts = current_app.extensions["bonus_uses"][kind]
    return texts.get(locale) or texts["uk"]


def promotions():
    """The catalogue's promotions (rules.offers.Promotion), as read when the app started."""
    return current_app.extensions["promotions"]


def offers_panel(subscription):
    """The dashboard's top three promotions for the number on show, from the catalogue in
    memory (no query; one whose service it has already may still show: /offers leaves it
    out). Here, not in the services area, so the dashboard needs no area above it."""
    top = offers_rules.available(promotions(), subscription.kind, subscription.tariff_id,
                                 clock.today(), limit=3)
    return {"promotions": top} if top else None


def answering_machines():
    return current_app.extensions["bonus_uses"]["answering_machines"]


def credit_tiers(data):
    """The self-service credit's tiers (rules.credit.Tier), by spending."""
    return credit_rules.parse_tiers(data["credit"]["tiers"])


def init_app(app):
    data = load()
    phones = support_phones(data)
    app.extensions["bonus_uses"] = bonus_uses(data)
    app.extensions["promotions"] = offers_rules.parse_promotions(
        data.get("promotions", []),
        {entry["code"]: entry["kind"] for entry in data.get("services", [])})

    def support_phones_of(subscription=None, topic=None):
        """The support lines for `topic` ('call_centre'), else for the number on show
        (mobile ones when there is none)."""
        if topic is None:
            topic = ("home_internet" if subscription is not None
                     and subscription.kind == "home_internet" else "mobile")
        return phones[topic]

    app.jinja_env.globals.update(
        support_phones=support_phones_of, spend_cap=spending_rules.MONTHLY_CAP,
        bonus_uses=lambda locale: bonus_texts("uses", str(locale)))


LANGUAGES = ("uk", "en", "ru")


def missing_texts(data):
    """'services who-called: name_ru' for every text an entry of a known section (and of
    the promotions, the offers) gives in some language but not (or empty) in another: a
    page would fall back to Ukrainian."""
    missing = []
    keys = {section: key for section, (_model, key) in SECTIONS.items()} | {"promotions": "code"}
    for section, key in keys.items():
        for entry in data.get(section, []):
            stems = {name[:-3] for name in entry if name[-3:] in {f"_{lang}" for lang in LANGUAGES}}
            missing += [f"{section} {entry.get(key)}: {stem}_{lang}" for stem in sorted(stems)
                        for lang in LANGUAGES if not str(entry.get(f"{stem}_{lang}", "")).strip()]
    return missing


def apply(data):
    """Upsert every entry of every known section; returns {section: count}. A text missing
    in a language is refused before anything is written."""
    missing = missing_texts(data)
    if missing:
        raise ValueError("texts missing in a language: " + ", ".join(missing))
    counts = {}
    with models.db.atomic():
        for section, (model, key) in SECTIONS.items():
            entries = data.get(section, [])
            for entry in entries:
                entry = dict(entry)
                allowances = entry.pop("allowances", None) if section == "tariffs" else None
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
                if section == "tariffs":
                    _apply_allowances(fields[key], allowances or [])
            counts[section] = len(entries)
    return counts


def _apply_allowances(tariff, allowances):
    """A tariff's `allowances` ({unit, amount (none: unlimited), scope}) replace its own."""
    TariffAllowance.delete().where(TariffAllowance.tariff == tariff).execute()
    for position, allowance in enumerate(allowances):
        unknown = set(allowance) - {"unit", "amount", "scope"}
        if unknown or allowance.get("unit") not in tariffs_rules.UNITS or allowance.get(
                "scope", tariffs_rules.ALL) not in tariffs_rules.SCOPES:
            raise ValueError(f"tariffs {tariff!r}: allowance {allowance!r} is not one of "
                             f"{tariffs_rules.UNITS} by {tariffs_rules.SCOPES}")
        TariffAllowance.create(tariff=tariff, position=position, unit=allowance["unit"],
                               amount=allowance.get("amount"),
                               scope=allowance.get("scope", tariffs_rules.ALL))
