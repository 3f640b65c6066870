"""How the expenses report names things in the reader's language: the page, the CSV and
the PDF print records with these labels, so the three never disagree."""
from flask_babel import lazy_gettext as _l

from rules.expenses import (CALLS, INTERNET, PAYMENTS, SERVICES, SMS, SUBSCRIPTION,
                            format_duration, format_volume, quantity_unit)

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
UNIT_LABELS = {"KB": _l("KB"), "MB": _l("MB"), "GB": _l("GB")}


def translated(labels):
    """Lazy labels translated once into the request's language, for a page or file that
    prints them on every line."""
    return {key: str(label) for key, label in labels.items()}


def quantity_text(usage_type, quantity, units=UNIT_LABELS):
    """Duration for calls, volume for internet, a count for the rest."""
    unit = quantity_unit(usage_type)
    if unit == "seconds":
        return format_duration(quantity)
    if unit == "kilobytes":
        figure, volume_unit = format_volume(quantity)
        return f"{figure}\u00a0{units[volume_unit]}"
    return str(quantity)


def started_text(moment):
    """A record's start to the millisecond, as people read it: '24.11.2026 09:15:02.125'."""
    return f"{moment:%d.%m.%Y %H:%M:%S}.{moment.microsecond // 1000:03d}"
