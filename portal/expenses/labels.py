"""How the expenses report names things in the reader's language: the page, the CSV and
the PDF print record types with these labels, so the three never disagree. A record's
counterpart is named for people on the page and in the PDF; the CSV keeps the feed's own
value (a number in E.164, `card`, a tariff's code) for the scripts that read it."""
from types import MappingProxyType

from flask_babel import lazy_gettext as _l

from rules.expenses import (
    CALLS,
    INTERNET,
    KILOBYTES,
    PAYMENTS,
    SECONDS,
    SERVICES,
    SMS,
    SUBSCRIPTION,
    quantity_unit,
)
from ..core.formatting import phone_unbroken
from ..core.i18n import current_locale

GROUP_LABELS = {
    CALLS: _l("Calls"), SMS: _l("SMS"), INTERNET: _l("Internet"),
    SUBSCRIPTION: _l("Subscription fee"), SERVICES: _l("Services"), PAYMENTS: _l("Payments"),
}
TYPE_LABELS = {
    "call_out": _l("Outgoing call"), "call_in": _l("Incoming call"),
    "sms_out": _l("Outgoing SMS"), "sms_in": _l("Incoming SMS"),
    "internet": _l("Internet"), "subscription": _l("Subscription fee"),
    "service": _l("Service"), "topup": _l("Top-up"),
    "transfer_in": _l("Transfer received"), "transfer_out": _l("Transfer sent"),
}
# Codes the operator's feed puts in place of a counterpart: a name for the reader, or
# nothing where the type already says it ('internet' on an internet session).
COUNTERPART_CODES = {"card": _l("bank card"), "internet": ""}


# {(language, id of a labels dict above): its labels in that language}: the catalogs do not
# change under a running process, and translating the labels anew cost a report page
# eighteen lookups through Flask-Babel.
_TRANSLATED = {}


def translated(labels):
    """`labels` (one of this module's dicts of lazy labels) in the reader's language, read
    only: a page or file prints them on every line."""
    # Kept by the dict's identity: only this module's own dicts, which live as long as the
    # process (another dict could take a freed one's id).
    assert any(labels is own for own in (GROUP_LABELS, TYPE_LABELS, COUNTERPART_CODES))
    key = (current_locale(), id(labels))
    found = _TRANSLATED.get(key)
    if found is None:
        found = _TRANSLATED[key] = MappingProxyType(
            {code: str(label) for code, label in labels.items()})
    return found


def quantity_text(usage_type, quantity, reader):
    """Duration for calls, volume for internet, a count for the rest (a plain '1' says
    nothing, so a count of one is left out on the page; see record_detail)."""
    unit = quantity_unit(usage_type)
    if unit == SECONDS:
        return reader.duration(quantity)
    if unit == KILOBYTES:
        return reader.volume(quantity)
    return str(quantity)


class Names:
    """Counterparts as the reader reads them: numbers grouped like everywhere else, the
    feed's codes named in the reader's language, a monthly fee by its tariff's name, a
    service (which the feed names in Ukrainian) by the catalogue's name in the reader's
    language."""

    def __init__(self, tariff_names, service_names=None):
        self.codes = translated(COUNTERPART_CODES)
        self.tariffs = tariff_names  # {code: name in the reader's language}
        self.services = service_names or {}  # {Ukrainian name: the reader's}

    def counterpart(self, usage_type, counterpart):
        if usage_type == "subscription":
            return self.tariffs.get(counterpart, counterpart)
        if usage_type == "service":
            return self.services.get(counterpart, counterpart)
        named = self.codes.get(counterpart)
        return phone_unbroken(counterpart) if named is None else named

    def detail(self, record, reader):
        """'+380 50 111 22 33 · 2:05', '195,8 МБ', 'bank card': what the record's line
        says under its type (a count of one says nothing). Fifty lines a page: no part is
        worked out twice."""
        name = self.counterpart(record.type, record.counterpart)
        quantity = record.quantity
        if quantity_unit(record.type) in (SECONDS, KILOBYTES):
            amount = quantity_text(record.type, quantity, reader)
        else:
            amount = "" if quantity == 1 else f"×\u00a0{quantity}"
        return f"{name} · {amount}" if name and amount else name or amount
