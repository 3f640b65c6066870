"""Promotions of the catalogue: which a number may take (its kind, its tariff, the dates),
and the few the dashboard shows. Pure: `today` comes in as a parameter."""
from dataclasses import dataclass, field
from datetime import date

LOCALES = ("uk", "en", "ru")
FIELDS = {"code", "kind", "tariffs", "starts_on", "ends_on", "price", "connects", "position"} | {
    f"{text}_{locale}" for text in ("name", "conditions") for locale in LOCALES}


@dataclass(frozen=True)
class Promotion:
    """A promotion: `connects` the service `connects` at `price` (kopiyky, charged when
    connected) for numbers of `kind` on one of `tariffs` (empty: any), from `starts_on`
    to `ends_on` inclusive; `names` and `conditions` by language."""

    code: str
    kind: str
    connects: str
    price: int
    starts_on: date
    ends_on: date
    tariffs: tuple = ()
    position: int = 0
    names: dict = field(default_factory=dict, compare=False)
    conditions: dict = field(default_factory=dict, compare=False)

    def name(self, locale):
        return self.names.get(locale) or self.names["uk"]

    def text(self, locale):
        return self.conditions.get(locale) or self.conditions["uk"]


def parse_promotions(entries, service_kinds):
    """The catalogue's `promotions` (a list of tables) -> [Promotion] by position;
    ValueError naming the entry and what is wrong. `service_kinds` maps each service code
    to its kind: a promotion connects a service of its own kind."""
    promotions = []
    for entry in entries:
        code = entry.get("code", "?")
        unknown = set(entry) - FIELDS
        missing = {"code", "kind", "connects", "price", "starts_on", "ends_on", "name_uk",
                   "conditions_uk"} - set(entry)
        if unknown or missing:
            raise ValueError(f"promotion {code!r}: unknown {sorted(unknown)}, "
                             f"missing {sorted(missing)}")
        if service_kinds.get(entry["connects"]) != entry["kind"]:
            raise ValueError(f"promotion {code!r}: connects no {entry['kind']} service "
                             f"{entry['connects']!r}")
        if not (isinstance(entry["starts_on"], date) and isinstance(entry["ends_on"], date)
                and entry["starts_on"] <= entry["ends_on"]):
            raise ValueError(f"promotion {code!r}: starts_on and ends_on are dates, in order")
        if not isinstance(entry["price"], int) or entry["price"] < 0:
            raise ValueError(f"promotion {code!r}: price is kopiyky, 0 or more")
        promotions.append(Promotion(
            code=code, kind=entry["kind"], connects=entry["connects"], price=entry["price"],
            starts_on=entry["starts_on"], ends_on=entry["ends_on"],
            tariffs=tuple(t.strip() for t in entry.get("tariffs", "").split(",") if t.strip()),
            position=entry.get("position", 0),
            names={locale: entry[f"name_{locale}"] for locale in LOCALES
                   if entry.get(f"name_{locale}")},
            conditions={locale: entry[f"conditions_{locale}"] for locale in LOCALES
                        if entry.get(f"conditions_{locale}")}))
    return sorted(promotions, key=lambda p: (p.position, p.code))


def refusal(promotion, kind, tariff, today):
    """Why a number of `kind` on `tariff` may not take `promotion` on `today`, or None:
    'kind', 'tariff', 'not_yet', 'over'."""
    if promotion.kind != kind:
        return "kind"
    if promotion.tariffs and tariff not in promotion.tariffs:
        return "tariff"
    if today < promotion.starts_on:
        return "not_yet"
    if today > promotion.ends_on:
        return "over"
    return None


def available(promotions, kind, tariff, today, connected=(), limit=None):
    """The promotions a number may take now, in the catalogue's order, leaving out those
    whose service it has already; the first `limit` of them."""
    found = [p for p in promotions
             if refusal(p, kind, tariff, today) is None and p.connects not in connected]
    return found[:limit] if limit else found
